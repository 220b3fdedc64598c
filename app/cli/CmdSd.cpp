// Stable Diffusion 1.x commands on the engine's backbone (engine/ml/sd): models, generate, invert.
#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "CliArgs.h"
#include "Commands.h"
#include "encode/ExportParams.h"
#include "encode/FfmpegEncoder.h"
#include "ml/sd/SdJobs.h"
#include "ml/sd/SdModelFiles.h"
#include "ml/sd/T2vBenchmark.h"
#include "ml/sd/TrainT2vJob.h"
#include "ml/sd/VaeBenchmark.h"

namespace waft::app {

namespace sd = engine::sd;

namespace {

constexpr const char* kModelsUsage =
    "waft-cli models PATH\n"
    "  what an SD 1.x model holds, as JSON: a diffusers folder (model_index.json, unet/ vae/ text_encoder/) or a\n"
    "  single .safetensors checkpoint; layout, each part's file, dtype, tensor and parameter counts, sizes.\n"
    "  Checked from the headers alone (nothing is loaded); pickle files (.ckpt, .bin, .pt) are refused.\n";

constexpr const char* kSampleOptions =
    "  --negative TEXT   the unconditional pass's prompt (default: empty)\n"
    "  --steps N         DDIM steps (default 50)   --guidance S   CFG scale (default 7.5; 1 = none)\n"
    "  --seed S          --size WxH (multiples of 8 for SD 1.5)\n"
    "  --vae-tile N      frames whose latent is larger than N (default 64: 512 pixels) run the VAE in blended\n"
    "                    tiles of N (memory bounded by a tile's); 0 = never tile\n"
    "  --device auto|cpu|cuda --precision auto|fp32|bf16\n";

// --vae-tile N (0..512 latent pixels, 0 = never tile); the overlap is a quarter of the tile.
engine::Status parseVaeTile(const CliArgs& cli, sd::VaeTiling& tiling) {
    const auto tile = cli.integer("--vae-tile", tiling.tile, 0, 512);
    if (!tile) return tile.status();
    tiling.tile = int(*tile);
    tiling.overlap = tiling.tile / 4;
    return engine::Status::ok();
}

engine::Status parseSample(const CliArgs& cli, sd::SdSampleParams& p, int defaultSteps) {
    p.model = cli.string("--model", "");
    p.prompt = cli.string("-p", "");
    p.negative = cli.string("--negative", "");
    if (p.model.empty()) return engine::Status::invalid("need --model (a diffusers folder or a .safetensors file)");
    const auto steps = cli.integer("--steps", defaultSteps, 1, 1000);
    const auto guidance = cli.real("--guidance", 7.5f, 0.0f, 50.0f);
    const auto seed = cli.integer("--seed", 0, 0, 1 << 30);
    for (const engine::Status& s : {steps.status(), guidance.status(), seed.status(), parseVaeTile(cli, p.vaeTiling)})
        if (!s) return s;
    p.steps = *steps;
    p.guidance = *guidance;
    p.seed = unsigned(*seed);
    if (cli.has("--size")) {
        auto size = cli.pair("--size", 'x');
        if (!size || size->first < 8 || size->second < 8 || size->first > 2048 || size->second > 2048)
            return engine::Status::invalid("--size must be WxH within 8..2048");
        p.width = int(size->first);
        p.height = int(size->second);
    }
    return parseCompute(cli, p.compute);
}

// Writes beside the target and renames, so a failed write never leaves half a file where the old one was.
engine::Status writeImage(const std::string& path, const cv::Mat& image) {
    const std::filesystem::path target(path);
    const std::string temporary =
        (target.parent_path() / ("." + target.filename().string() + ".tmp" + target.extension().string())).string();
    bool ok = false;
    try {
        ok = cv::imwrite(temporary, image);
    } catch (const cv::Exception&) {
        ok = false;
    }
    std::error_code ec;
    if (ok) std::filesystem::rename(temporary, target, ec);
    if (!ok || ec) {
        std::filesystem::remove(temporary, ec);
        return engine::Status::io(path + ": cannot write the image (is the extension one OpenCV writes?)");
    }
    return engine::Status::ok();
}

}  // namespace

int runModels(const std::vector<std::string>& args) {
    CliArgs cli({}, {"--help"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kModelsUsage);
    if (cli.helpRequested()) return std::fputs(kModelsUsage, stdout), 0;
    if (cli.positionals().size() != 1) return usageError("need one PATH", kModelsUsage);
    auto model = sd::openSdModel(cli.positionals()[0]);
    if (!model) return fail(model.status());
    std::printf("%s\n", sd::sdModelSummaryJson(*model).c_str());
    return 0;
}

int runGenerate(const std::vector<std::string>& args) {
    const std::string usage = std::string(
                                  "waft-cli generate --model SD -p \"PROMPT\" -o OUT.png [options]\n"
                                  "  text to image with SD 1.x: DDIM with classifier-free guidance.\n") +
                              kSampleOptions;
    CliArgs cli({"--model", "-p", "-o", "--negative", "--steps", "--guidance", "--seed", "--size", "--vae-tile",
                 "--device", "--precision"},
                {"--help"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), usage.c_str());
    if (cli.helpRequested()) return std::fputs(usage.c_str(), stdout), 0;
    if (!cli.positionals().empty() || !cli.has("-o"))
        return usageError("need -o OUT.png and no other arguments", usage.c_str());
    sd::SdSampleParams params;
    if (auto s = parseSample(cli, params, 50); !s) return fail(s);
    sd::GenerateJob job(params);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    if (auto s = writeImage(cli.string("-o", ""), job.image()); !s) return fail(s);
    std::printf("wrote %s (%s)\n", cli.string("-o", "").c_str(), job.summary().c_str());
    return 0;
}

int runInvert(const std::vector<std::string>& args) {
    const std::string usage =
        std::string(
            "waft-cli invert VIDEO --model SD -p \"PROMPT\" -o RECON.mp4 [--frames N] [--fps F]\n"
            "       [--attention sparse-causal|first-frame|full|per-frame] [options]\n"
            "  DDIM-inverts the clip's first frames to noise with the inflated model, samples them back under\n"
            "  the prompt, writes the result and prints the reconstruction error against the input.\n"
            "  --size WxH defaults to the clip's size rounded down to multiples of 8; --guidance to 1 (the\n"
            "  conditional ODE both ways); --attention to a video model's own mode, else sparse-causal.\n") +
        kSampleOptions;
    CliArgs cli({"--model", "-p", "-o", "--negative", "--steps", "--guidance", "--seed", "--size", "--vae-tile",
                 "--device", "--precision", "--frames", "--fps", "--attention"},
                {"--help"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), usage.c_str());
    if (cli.helpRequested()) return std::fputs(usage.c_str(), stdout), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o"))
        return usageError("need VIDEO and -o RECON.mp4", usage.c_str());
    sd::InvertParams params;
    params.video = cli.positionals()[0];
    if (auto s = parseSample(cli, params.sample, 50); !s) return fail(s);
    if (!cli.has("--guidance")) params.sample.guidance = 1.0f;  // a reconstruction: the conditional ODE both ways
    if (!cli.has("--size")) params.sample.width = params.sample.height = 0;  // the clip's
    const auto frames = cli.integer("--frames", 8, 1, 64);
    const auto fps = cli.real("--fps", 8.0f, 1.0f, 120.0f);
    if (!frames) return fail(frames.status());
    if (!fps) return fail(fps.status());
    params.frames = *frames;
    if (cli.has("--attention")) {
        sd::FrameAttention mode;
        if (!sd::parseFrameAttention(cli.string("--attention", ""), mode))
            return fail(engine::Status::invalid("--attention must be sparse-causal, first-frame, full or per-frame"));
        params.selfAttention = mode;
    }
    const std::string out = cli.string("-o", "");
    auto format = engine::exportFormatForPath(out);
    if (!format || *format != engine::ExportFormat::Mp4)
        return fail(engine::Status::invalid(out + ": -o must be an .mp4 file"));
    sd::InvertVideoJob job(params);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    if (auto s = engine::writeMp4Atomically(out, job.reconstruction(), *fps); !s) return fail(s);
    std::printf("wrote %s (%s)\n", out.c_str(), job.summary().c_str());
    return 0;
}

int runTrainT2v(const std::vector<std::string>& args) {
    constexpr const char* kUsage =
        "waft-cli train-t2v -o DIR [--vae-steps N] [--image-steps N] [--video-steps N] [--batch B] [--lr LR]\n"
        "       [--seed S] [--checkpoint-every N] [--resume] [--size WxH] [--frames F] [--device auto|cpu|cuda]\n"
        "  trains SD 1.x's classes at a tiny size on the procedural captioned-video world (\"a red ball moving left\n"
        "  over grass\"): the VAE on frames, text-to-image on frames, then the inflated UNet on clips. Each stage\n"
        "  writes DIR/<vae|image|video>.safetensors (an SD single file generate, invert and bench-t2v read); a\n"
        "  finished stage is skipped, --resume continues a cut one exactly from its last checkpoint.\n"
        "  Defaults: 400 / 1200 / 1200 steps, batch 8 (frames; clips: 4), lr 5e-4, 32x32, 8 frames.\n";
    CliArgs cli({"-o", "--vae-steps", "--image-steps", "--video-steps", "--batch", "--lr", "--seed",
                 "--checkpoint-every", "--size", "--frames", "--device", "--precision"},
                {"--help", "--resume"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kUsage);
    if (cli.helpRequested()) return std::fputs(kUsage, stdout), 0;
    if (!cli.positionals().empty() || !cli.has("-o")) return usageError("need -o DIR and no other arguments", kUsage);
    sd::T2vRunParams p;
    const auto vae = cli.integer("--vae-steps", p.vaeSteps, 0, 10000000);
    const auto image = cli.integer("--image-steps", p.imageSteps, 0, 10000000);
    const auto video = cli.integer("--video-steps", p.videoSteps, 0, 10000000);
    const auto batch = cli.integer("--batch", p.batch, 2, 256);
    const auto lr = cli.real("--lr", p.learningRate, 1e-8f, 1.0f);
    const auto seed = cli.integer("--seed", 0, 0, 1 << 30);
    const auto every = cli.integer("--checkpoint-every", p.checkpointEvery, 0, 10000000);
    const auto frames = cli.integer("--frames", p.clip.frames, 2, 32);
    for (const engine::Status& s : {vae.status(), image.status(), video.status(), batch.status(), lr.status(),
                                    seed.status(), every.status(), frames.status()})
        if (!s) return fail(s);
    p.vaeSteps = *vae;
    p.imageSteps = *image;
    p.videoSteps = *video;
    p.batch = *batch;
    p.learningRate = *lr;
    p.seed = unsigned(*seed);
    p.checkpointEvery = *every;
    p.clip.frames = *frames;
    p.resume = cli.has("--resume");
    if (cli.has("--size")) {
        auto size = cli.pair("--size", 'x');
        if (!size) return fail(size.status());
        p.clip.width = int(size->first);
        p.clip.height = int(size->second);
    }
    if (auto s = parseCompute(cli, p.compute); !s) return fail(s);
    sd::TrainT2vJob job(cli.string("-o", ""), p);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    std::printf("%s\n", job.summary().c_str());
    return 0;
}

int runBenchT2v(const std::vector<std::string>& args) {
    constexpr const char* kUsage =
        "waft-cli bench-t2v MODEL [--samples N] [--steps N] [--guidance S] [--seed S] [--frames-dir DIR]\n"
        "  samples clips for held-out captions of the procedural world with a train-t2v video model and scores them\n"
        "  with the procedural judge (colour and shape by segmentation, the path by tracking), next to chance.\n"
        "  Prints a markdown table (docs/BENCHMARKS.md). Defaults: 40 samples, 25 steps, guidance 4.\n";
    CliArgs cli({"--samples", "--steps", "--guidance", "--seed", "--frames-dir", "--device", "--precision"},
                {"--help"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kUsage);
    if (cli.helpRequested()) return std::fputs(kUsage, stdout), 0;
    if (cli.positionals().size() != 1) return usageError("need the MODEL", kUsage);
    sd::T2vBenchParams p;
    p.model = cli.positionals()[0];
    const auto samples = cli.integer("--samples", p.samples, 1, 10000);
    const auto steps = cli.integer("--steps", p.steps, 1, 1000);
    const auto guidance = cli.real("--guidance", p.guidance, 0.0f, 50.0f);
    const auto seed = cli.integer("--seed", 0, 0, 1 << 30);
    for (const engine::Status& s : {samples.status(), steps.status(), guidance.status(), seed.status()})
        if (!s) return fail(s);
    p.samples = *samples;
    p.steps = *steps;
    p.guidance = *guidance;
    p.seed = unsigned(*seed);
    p.framesDir = cli.string("--frames-dir", "");
    if (auto s = parseCompute(cli, p.compute); !s) return fail(s);
    sd::T2vBenchJob job(p);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    std::printf("%s", job.result().table().c_str());
    std::printf("%.2f s per clip (%d steps, guidance %.1f)\n", job.result().secondsPerClip, p.steps, p.guidance);
    return 0;
}

int runBenchVae(const std::vector<std::string>& args) {
    constexpr const char* kUsage =
        "waft-cli bench-vae [--model SD] [--size WxH] [--frames N] [--vae-tile N] [--device] [--precision]\n"
        "  encodes and decodes N noise frames (default one 1024x1024) with the VAE, whole or in blended tiles of\n"
        "  N latent pixels (default 64, 0 = whole), and prints seconds per frame and the peak resident memory as\n"
        "  JSON. Without --model: SD 1.5's VAE configuration with seeded random weights. One configuration per\n"
        "  run (the peak is the process's).\n";
    CliArgs cli({"--model", "--size", "--frames", "--vae-tile", "--device", "--precision"}, {"--help"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kUsage);
    if (cli.helpRequested()) return std::fputs(kUsage, stdout), 0;
    if (!cli.positionals().empty()) return usageError("no positional arguments", kUsage);
    sd::VaeBenchParams p;
    p.model = cli.string("--model", "");
    if (auto s = parseSize(cli, p.width, p.height); !s) return fail(s);
    const auto frames = cli.integer("--frames", p.frames, 1, 64);
    for (const engine::Status& s : {frames.status(), parseVaeTile(cli, p.tiling)})
        if (!s) return fail(s);
    p.frames = int(*frames);
    if (auto s = parseCompute(cli, p.compute); !s) return fail(s);
    sd::VaeBenchJob job(p);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    std::printf("%s\n", job.result().json().c_str());
    return 0;
}

}  // namespace waft::app
