#include <cmath>
#include <cstdio>
#include <set>

#include "CliArgs.h"
#include "Commands.h"
#include "RendererChoice.h"
#include "io/SafetensorsWriter.h"
#include "jobs/SceneAnimator.h"
#include "ml/render/NeuralRenderBackend.h"

namespace waft::app {

namespace {

#define WAFT_ENCODE_USAGE                                                                                      \
    "  --quality  draft, good (default), best or lossless (RGB-coded video, lossless WebP; not for players)\n" \
    "  --crf      constant rate factor instead of the preset's (H.264/H.265 0..51, VP9 0..63)\n"               \
    "  --codec    h264 (default) or h265 for .mp4\n"                                                           \
    "  --chroma   420 (default, what players expect) or 444 for the lossy video codecs\n"                      \
    "  --keyint   frames between keyframes (default: a loop is one group of pictures; else 2 s)\n"

constexpr const char* kAnimateUsage =
    "waft-cli animate SCENE.waft -o OUT.{mp4,webm,webp,apng,gif}|DIR/ [--seconds L] [--fps F] [--gain G]\n"
    "       [--loop|--no-loop] [--size WxH] [--speed S] [--renderer cpu|cpu-exact|vulkan|cuda|auto|neural]\n"
    "       [--renderer-model R.safetensors] [--quality draft|good|best|lossless] [--crf N] [--codec h264|h265]\n"
    "       [--chroma 420|444] [--keyint N]\n"
    "  --seconds  duration (default: the scene's loop length)\n"
    "  --fps      frame rate (default 30)\n"
    "  --gain     motion amplitude multiplier on top of the scene's gains (default 1)\n"
    "  --loop     seamless loop (default): bands snapped to harmonics of 1/L, start at the quietest instant\n"
    "  --no-loop  play the spectral volume as analysed from t = 0\n"
    "  --size     output size (WxH; 0 for one side keeps the aspect ratio)\n"
    "  --speed    time scale (default: the scene's; 2 = twice as fast, 0.5 = slow motion)\n"
    "  --renderer cpu (the fast frame path), cpu-exact (its exact reference), vulkan, cuda or auto (default:\n"
    "             the fastest available), or neural: GID's learned renderer (waft-cli train-renderer)\n"
    "             from --renderer-model, on CUDA when there is one\n" WAFT_ENCODE_USAGE;

constexpr const char* kPullUsage =
    "waft-cli pull SCENE.waft --at X,Y --drag DX,DY -o OUT.{mp4,webm,webp,apng,gif}|DIR/ [--hold SEC]\n"
    "       [--damping XI] [--seconds L] [--fps F] [--size WxH] [--speed S]\n"
    "       [--renderer cpu|cpu-exact|vulkan|cuda|auto|neural] [--trace TRACE.csv]\n"
    "       [--renderer-model R.safetensors] [--quality draft|good|best|lossless] [--crf N] [--codec h264|h265]\n"
    "       [--chroma 420|444] [--keyint N]\n"
    "  --at       grabbed pixel in scene coordinates\n"
    "  --drag     drag vector in pixels (ramps in over 0.2 s)\n"
    "  --hold     seconds the pull is held before release (default 1)\n"
    "  --damping  damping ratio xi (default: the scene's, 0.08)\n"
    "  --seconds  clip length (default 4)\n"
    "  --speed    time scale of the dynamics (default: the scene's)\n"
    "  --trace    also write the grabbed pixel's displacement along the drag per frame (CSV: frame, seconds\n"
    "             after the frame's step, px)\n"
    "  --renderer cpu (the fast frame path), cpu-exact (its exact reference), vulkan, cuda or auto (default:\n"
    "             the fastest available), or neural: GID's learned renderer (waft-cli train-renderer)\n"
    "             from --renderer-model, on CUDA when there is one\n" WAFT_ENCODE_USAGE;

const std::set<std::string> kEncodeOptions = {"--quality", "--crf", "--codec", "--chroma", "--keyint"};

// The options every exporting command shares.
std::set<std::string> withEncodeOptions(std::set<std::string> options) {
    options.insert(kEncodeOptions.begin(), kEncodeOptions.end());
    return options;
}

engine::Status parseEncoding(const CliArgs& cli, engine::ExportParams& params) {
    auto quality = engine::parseExportQuality(cli.string("--quality", "good"));
    if (!quality) return quality.status();
    auto codec = engine::parseVideoCodec(cli.string("--codec", "auto"));
    if (!codec) return codec.status();
    const auto crf = cli.integer("--crf", -1, 0, 63);
    const auto keyint = cli.integer("--keyint", 0, 1, 100000);
    for (const engine::Status& s : {crf.status(), keyint.status()})
        if (!s) return s;
    const std::string chroma = cli.string("--chroma", "420");
    if (chroma != "420" && chroma != "444") return engine::Status::invalid("--chroma must be 420 or 444");
    if (cli.has("--crf") && *quality == engine::ExportQuality::Lossless)
        return engine::Status::invalid("--crf and --quality lossless exclude each other");
    params.quality = *quality;
    params.codec = *codec;
    params.crf = *crf;
    params.keyframeInterval = *keyint;
    params.chroma444 = chroma == "444";
    return engine::Status::ok();
}

// Applies --speed to the loaded scene (it is the scene's time scale for playback and dynamics).
engine::Status applySpeed(const CliArgs& cli, engine::Scene& scene) {
    const auto speed = cli.real("--speed", scene.settings.speed, 0.01f, 100.0f);
    if (!speed) return speed.status();
    scene.settings.speed = *speed;
    return engine::Status::ok();
}

}  // namespace

namespace {

// --renderer, with "neural" taking its model from --renderer-model.
engine::Expected<engine::RenderBackendFactory> pickRenderer(const CliArgs& cli, std::string& description) {
    const std::string name = cli.string("--renderer", "auto");
    if (name != "neural") {
        if (cli.has("--renderer-model")) return engine::Status::invalid("--renderer-model needs --renderer neural");
        return chooseRenderer(name, description);
    }
    if (!cli.has("--renderer-model"))
        return engine::Status::invalid(
            "--renderer neural needs --renderer-model R.safetensors (waft-cli train-renderer)");
    description = "neural";
    return engine::render::neuralRenderBackend(cli.string("--renderer-model", ""), {});
}

}  // namespace

engine::Status parseSize(const CliArgs& cli, int& width, int& height) {
    if (!cli.has("--size")) return engine::Status::ok();
    auto size = cli.pair("--size", 'x');
    if (!size) return size.status();
    if (size->first < 0 || size->second < 0 || size->first > engine::kMaxImageSide ||
        size->second > engine::kMaxImageSide || (size->first < 2 && size->second < 2))
        return engine::Status::invalid("--size must be WxH within 2.." + std::to_string(engine::kMaxImageSide));
    width = int(size->first);
    height = int(size->second);
    return engine::Status::ok();
}

int runAnimate(const std::vector<std::string>& args) {
    CliArgs cli(withEncodeOptions(
                    {"-o", "--seconds", "--fps", "--gain", "--size", "--speed", "--renderer", "--renderer-model"}),
                {"--loop", "--no-loop"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kAnimateUsage);
    if (cli.helpRequested()) return std::puts(kAnimateUsage), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o")) return usageError("need SCENE.waft and -o OUT", kAnimateUsage);
    if (cli.has("--loop") && cli.has("--no-loop"))
        return usageError("--loop and --no-loop exclude each other", kAnimateUsage);
    engine::AnimateParams params;
    const auto seconds = cli.real("--seconds", 0.0f, 0.01f, 600.0f);
    const auto fps = cli.real("--fps", 30.0f, 1.0f, 240.0f);
    const auto gain = cli.real("--gain", 1.0f, -100.0f, 100.0f);
    for (const engine::Status& s : {seconds.status(), fps.status(), gain.status()})
        if (!s) return fail(s);
    params.seconds = *seconds;
    params.fps = *fps;
    params.gain = *gain;
    params.loop = !cli.has("--no-loop");
    if (auto s = parseSize(cli, params.width, params.height); !s) return fail(s);
    if (auto s = parseEncoding(cli, params.encode); !s) return fail(s);

    auto scene = engine::loadScene(cli.positionals()[0]);
    if (!scene) return fail(scene.status());
    if (auto s = applySpeed(cli, *scene); !s) return fail(s);
    std::string rendererName;
    auto renderer = pickRenderer(cli, rendererName);
    if (!renderer) return fail(renderer.status());
    const std::string out = cli.string("-o", "");
    engine::AnimateJob job(*scene, out, params, *renderer);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    if (params.loop)
        std::printf("%s: %d frames (%s; %s); loop seam %.4f px vs median step %.4f px\n", out.c_str(), job.frames(),
                    rendererName.c_str(), job.encoding().c_str(), job.seam().seamPx, job.seam().medianStepPx);
    else
        std::printf("%s: %d frames (%s; %s)\n", out.c_str(), job.frames(), rendererName.c_str(),
                    job.encoding().c_str());
    return 0;
}

int runPull(const std::vector<std::string>& args) {
    CliArgs cli(withEncodeOptions({"-o", "--at", "--drag", "--hold", "--damping", "--seconds", "--fps", "--size",
                                   "--speed", "--renderer", "--renderer-model", "--trace"}),
                {});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kPullUsage);
    if (cli.helpRequested()) return std::puts(kPullUsage), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o") || !cli.has("--at") || !cli.has("--drag"))
        return usageError("need SCENE.waft, --at X,Y, --drag DX,DY and -o OUT", kPullUsage);
    engine::PullParams params;
    const auto at = cli.pair("--at", ',');
    const auto drag = cli.pair("--drag", ',');
    const auto hold = cli.real("--hold", 1.0f, 0.0f, 600.0f);
    const auto damping = cli.real("--damping", -1.0f, 0.0f, 2.0f);
    const auto seconds = cli.real("--seconds", 4.0f, 0.01f, 600.0f);
    const auto fps = cli.real("--fps", 30.0f, 1.0f, 240.0f);
    for (const engine::Status& s :
         {at.status(), drag.status(), hold.status(), damping.status(), seconds.status(), fps.status()})
        if (!s) return fail(s);
    params.x = int(std::lround(at->first));
    params.y = int(std::lround(at->second));
    params.dragX = drag->first;
    params.dragY = drag->second;
    params.holdSec = *hold;
    params.dampingRatio = cli.has("--damping") ? *damping : -1.0f;
    params.seconds = *seconds;
    params.fps = *fps;
    if (auto s = parseSize(cli, params.width, params.height); !s) return fail(s);
    if (auto s = parseEncoding(cli, params.encode); !s) return fail(s);

    auto scene = engine::loadScene(cli.positionals()[0]);
    if (!scene) return fail(scene.status());
    if (auto s = applySpeed(cli, *scene); !s) return fail(s);
    std::string rendererName;
    auto renderer = pickRenderer(cli, rendererName);
    if (!renderer) return fail(renderer.status());
    const std::string out = cli.string("-o", "");
    engine::PullJob job(*scene, out, params, *renderer);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    const auto& trace = job.grabbedTrace();
    float peak = 0.0f;
    for (float v : trace) peak = std::max(peak, std::abs(v));
    std::printf("%s: %zu frames (%s); grabbed point peak %.2f px, last %.3f px\n", out.c_str(), trace.size(),
                rendererName.c_str(), peak, trace.empty() ? 0.0f : trace.back());
    if (cli.has("--trace")) {
        std::string csv = "frame,seconds,along_px\n";
        char line[96];
        for (size_t n = 0; n < trace.size(); ++n) {
            std::snprintf(line, sizeof line, "%zu,%.6f,%.6f\n", n, double(n + 1) / double(params.fps),
                          double(trace[n]));
            csv += line;
        }
        if (auto s = engine::writeFileAtomic(cli.string("--trace", ""), std::vector<uint8_t>(csv.begin(), csv.end()));
            !s)
            return fail(s);
    }
    return 0;
}

}  // namespace waft::app
