#include <cstdio>
#include <memory>

#include "CliArgs.h"
#include "Commands.h"
#include "jobs/WebPageJob.h"

namespace waft::app {

namespace {

constexpr const char* kWebUsage =
    "waft-cli web SCENE.waft -o OUT.html [--size WxH] [--bands K] [--quality Q] [--stride 2|4|8] [--no-fallback]\n"
    "  one self-contained HTML file (no network request; opens from file:// or any static host) that plays\n"
    "  the scene's seamless loop in WebGL2 and answers drags with mouse or touch like the app\n"
    "  --size        the page's render size (default: the scene's, at most 1280 on the long side; 8..4096)\n"
    "  --bands       keep the K bands that move most (default: every band that moves)\n"
    "  --quality     JPEG quality of the photo, 1..100 (default 95)\n"
    "  --stride      the motion's resolution on the page: a sample every N pixels (default 4; docs/BENCHMARKS.md)\n"
    "  --no-fallback leave out the animated WebP loop that browsers without WebGL2 play instead\n";

}  // namespace

int runWeb(const std::vector<std::string>& args) {
    CliArgs cli({"-o", "--size", "--bands", "--quality", "--stride"}, {"--no-fallback"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kWebUsage);
    if (cli.helpRequested()) return std::puts(kWebUsage), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o"))
        return usageError("need SCENE.waft and -o OUT.html", kWebUsage);
    engine::WebPageParams params;
    const auto bands = cli.integer("--bands", 0, 1, engine::kMaxBands);
    const auto quality = cli.integer("--quality", 95, 1, 100);
    const auto stride = cli.integer("--stride", 4, 2, 8);
    for (const engine::Status& s : {bands.status(), quality.status(), stride.status()})
        if (!s) return fail(s);
    params.nodeStride = *stride;
    params.bands = *bands;
    params.quality = *quality;
    params.fallback = !cli.has("--no-fallback");
    if (auto s = parseSize(cli, params.width, params.height); !s) return fail(s);
    if (params.width > engine::kWebMaxSide || params.height > engine::kWebMaxSide)
        return fail(engine::Status::invalid("--size: a web page renders at most " +
                                            std::to_string(engine::kWebMaxSide) + " pixels a side"));
    auto scene = engine::loadScene(cli.positionals()[0]);
    if (!scene) return fail(scene.status());
    const std::string out = cli.string("-o", "");
    engine::WebPageJob job(std::make_shared<const engine::Scene>(std::move(*scene)), out, params);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    std::printf("%s: %s\n", out.c_str(), job.summary().c_str());
    return 0;
}

}  // namespace waft::app
