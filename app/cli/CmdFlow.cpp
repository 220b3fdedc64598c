#include <cstdio>

#include "CliArgs.h"
#include "Commands.h"
#include "analysis/OpticalFlow.h"
#include "io/ImageFile.h"

namespace waft::app {

int runFlow(const std::vector<std::string>& args) {
    constexpr const char* kUsage =
        "waft-cli flow IMG1 IMG2 -o OUT.flo [--method dis|accurate] [--gt GT.flo]\n"
        "  writes the flow IMG1 -> IMG2; with --gt prints the mean end-point error over known pixels";
    CliArgs cli({"-o", "--method", "--gt"}, {});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kUsage);
    if (cli.helpRequested()) return std::puts(kUsage), 0;
    if (cli.positionals().size() != 2 || !cli.has("-o")) return usageError("need IMG1 IMG2 -o OUT.flo", kUsage);
    engine::FlowMethod method;
    if (!engine::parseFlowMethod(cli.string("--method", "dis"), method))
        return fail(engine::Status::invalid("--method must be dis or accurate"));
    cv::Mat images[2];
    for (int i = 0; i < 2; ++i) {
        auto image = engine::readImage(cli.positionals()[size_t(i)]);
        if (!image) return fail(image.status());
        images[i] = std::move(image).value();
    }
    engine::FlowEstimator estimator(method);
    auto flow = estimator.compute(images[0], images[1]);
    if (!flow) return fail(flow.status());
    if (auto s = engine::writeFlo(cli.string("-o", ""), *flow); !s) return fail(s);
    if (cli.has("--gt")) {
        auto gt = engine::readFlo(cli.string("--gt", ""));
        if (!gt) return fail(gt.status());
        if (gt->size() != flow->size()) return fail(engine::Status::invalid("ground truth size differs"));
        size_t known = 0;
        const double epe = engine::endPointError(*flow, *gt, &known);
        std::printf("{\"epe_px\": %.4f, \"known_pixels\": %zu}\n", epe, known);
    }
    return 0;
}

}  // namespace waft::app
