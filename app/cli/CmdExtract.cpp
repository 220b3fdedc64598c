#include <cstdio>

#include "CliArgs.h"
#include "Commands.h"
#include "core/Resources.h"
#include "jobs/ExtractMotionJob.h"
#include "scene/Scene.h"

namespace waft::app {

namespace {
constexpr const char* kUsage =
    "waft-cli extract VIDEO|--sample -o SCENE.waft [--k 16] [--frames N] [--start S] [--stabilize]\n"
    "       [--method dis|accurate] [--chain direct|chained] [--max-size PX] [--float32]\n"
    "  --sample    the bundled sample clip (share/waft/samples/tree.avi), 30 frames as the app opens it\n"
    "  --k         bands to keep (K lowest non-DC frequencies; clamped to what the clip allows)\n"
    "  --frames    frames to analyse from --start (default 150; 0 = all)\n"
    "  --start     start time in seconds\n"
    "  --stabilize subtract global (camera) motion, a RANSAC homography per frame\n"
    "  --method    optical flow: dis (default) or accurate (slower, finer)\n"
    "  --chain     direct (reference -> every frame, default) or chained (frame to frame, composed)\n"
    "  --max-size  downscale frames so the long side is at most PX (default 640; 0 = keep)\n"
    "  --float32   store the spectral volume as float32 (default float16)";
}

int runExtract(const std::vector<std::string>& args) {
    CliArgs cli({"-o", "--k", "--frames", "--start", "--method", "--chain", "--max-size"},
                {"--stabilize", "--float32", "--sample"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kUsage);
    if (cli.helpRequested()) return std::puts(kUsage), 0;
    const bool sample = cli.has("--sample");
    if (cli.positionals().size() != (sample ? 0u : 1u) || !cli.has("-o"))
        return usageError("need VIDEO (or --sample) and -o SCENE.waft", kUsage);

    engine::ExtractParams params;
    const auto k = cli.integer("--k", 16, 1, engine::kMaxBands);
    const auto frames = cli.integer("--frames", sample ? 30 : 150, 0, 100000);
    const auto start = cli.real("--start", 0.0f, 0.0f, 1e6f);
    const auto maxSize = cli.integer("--max-size", 640, 0, engine::kMaxImageSide);
    for (const engine::Status& s : {k.status(), frames.status(), start.status(), maxSize.status()})
        if (!s) return fail(s);
    params.bands = *k;
    params.decode.maxFrames = *frames;
    params.decode.startSec = *start;
    params.decode.maxLongSide = *maxSize;
    params.stabilize = cli.has("--stabilize");
    const std::string method = cli.string("--method", "dis");
    if (!engine::parseFlowMethod(method, params.flowMethod))
        return fail(engine::Status::invalid("--method must be dis or accurate"));
    const std::string chain = cli.string("--chain", "direct");
    if (chain != "direct" && chain != "chained")
        return fail(engine::Status::invalid("--chain must be direct or chained"));
    params.chaining = chain == "direct" ? engine::FlowChaining::Direct : engine::FlowChaining::Chained;

    engine::ExtractMotionJob extractor(sample ? engine::bundledSample() : cli.positionals()[0], params);
    if (auto s = runJobWithProgress(extractor); !s) return fail(s);
    engine::Scene scene;
    scene.volume = extractor.takeResult();
    scene.source = extractor.source();
    const std::string out = cli.string("-o", "");
    const auto storage = cli.has("--float32") ? engine::DType::F32 : engine::DType::F16;
    if (auto s = engine::saveScene(out, scene, storage); !s) return fail(s);  // before any note: one line
    if (scene.volume.bands < params.bands)
        std::fprintf(stderr, "waft-cli: note: the clip allows %d bands; kept %d\n", scene.volume.bands,
                     scene.volume.bands);
    std::printf("%s: %dx%d, %d bands, %.3f-%.3f Hz, %.2f s at %.2f fps\n", out.c_str(), scene.volume.width,
                scene.volume.height, scene.volume.bands, scene.volume.frequenciesHz.front(),
                scene.volume.frequenciesHz.back(), scene.volume.sourceDurationSec, scene.volume.sourceFps);
    return 0;
}

}  // namespace waft::app
