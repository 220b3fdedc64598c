// The motion prior's commands (GID §4, §7): dataset, train-vae, train-prior, predict.
#include <cstdio>
#include <string>

#include "CliArgs.h"
#include "Commands.h"
#include "jobs/SceneJobs.h"
#include "ml/prior/DatasetJob.h"
#include "ml/prior/PredictJob.h"
#include "ml/prior/ProceduralBenchmark.h"
#include "ml/prior/TrainPriorJob.h"
#include "ml/prior/TrainVaeJob.h"

namespace waft::app {

namespace prior = engine::prior;

namespace {

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

// --size WxH for training and dataset sizes (8..4096 per side); leaves width/height alone when absent.
engine::Status parseTrainingSize(const CliArgs& cli, int& width, int& height) {
    if (!cli.has("--size")) return engine::Status::ok();
    auto size = cli.pair("--size", 'x');
    if (!size || size->first < 8 || size->second < 8 || size->first > 4096 || size->second > 4096)
        return engine::Status::invalid("--size must be WxH within 8..4096");
    width = int(size->first);
    height = int(size->second);
    return engine::Status::ok();
}

}  // namespace

const char* const kTrainOptions =
    "  --preset tiny|paper   model size (tiny: CPU in minutes; paper: GID's, for a GPU)\n"
    "  --steps N --batch B --lr LR --seed S --checkpoint-every N --resume\n"
    "  --size WxH            training size (default 64x48 tiny, 256x160 paper)\n"
    "  --device auto|cpu|cuda --precision auto|fp32|bf16\n"
    "                        auto: CUDA with bf16 autocast when LibTorch has a GPU, else CPU fp32";

engine::Status parseTraining(const CliArgs& cli, prior::TrainingRunParams& p) {
    if (!prior::parseModelPreset(cli.string("--preset", "paper"), p.preset))
        return engine::Status::invalid("--preset must be tiny or paper");
    const auto steps = cli.integer("--steps", 1000, 1, 10000000);
    const auto batch = cli.integer("--batch", 8, 1, 4096);
    const auto lr = cli.real("--lr", 1e-4f, 1e-8f, 1.0f);
    const auto every = cli.integer("--checkpoint-every", 500, 0, 10000000);
    const auto seed = cli.integer("--seed", 0, 0, 1 << 30);
    for (const engine::Status& s : {steps.status(), batch.status(), lr.status(), every.status(), seed.status()})
        if (!s) return s;
    p.steps = *steps;
    p.batch = *batch;
    p.learningRate = *lr;
    p.checkpointEvery = *every;
    p.seed = unsigned(*seed);
    p.resume = cli.has("--resume");
    p.width = p.preset == prior::ModelPreset::Tiny ? 64 : 256;
    p.height = p.preset == prior::ModelPreset::Tiny ? 48 : 160;
    WAFT_RETURN_IF_ERROR(parseCompute(cli, p.compute));
    return parseTrainingSize(cli, p.width, p.height);
}

engine::Status parseCompute(const CliArgs& cli, prior::ComputeOptions& c) {
    if (!prior::parseComputeDevice(cli.string("--device", "auto"), c.device))
        return engine::Status::invalid("--device must be auto, cpu or cuda");
    if (!prior::parsePrecision(cli.string("--precision", "auto"), c.precision))
        return engine::Status::invalid("--precision must be auto, fp32, bf16 or fp16");
    return engine::Status::ok();
}

int runDataset(const std::vector<std::string>& args) {
    constexpr const char* kUsage =
        "waft-cli dataset VIDEO_DIR -o DATASET_DIR [--every 10] [--frames 149] [--k 16] [--size 256x160]\n"
        "       [--min-motion 0.05] [--max-motion 20] [--shard I/N]\n"
        "  every n-th frame becomes a reference image with the spectral volume of the following frames;\n"
        "  clips whose mean motion (px) is outside [min, max] are skipped; existing outputs are kept (resumable)\n"
        "  --shard I/N  builds part I (0-based) of N disjoint parts, e.g. one per machine; run every part into one\n"
        "               folder (or copy the folders together): training checks that all N finished";
    CliArgs cli({"-o", "--every", "--frames", "--k", "--size", "--min-motion", "--max-motion", "--shard"}, {});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kUsage);
    if (cli.helpRequested()) return std::puts(kUsage), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o")) return usageError("need VIDEO_DIR and -o DATASET_DIR", kUsage);
    prior::DatasetParams p;
    const auto every = cli.integer("--every", 10, 1, 100000);
    const auto frames = cli.integer("--frames", 149, 4, 100000);
    const auto k = cli.integer("--k", 16, 1, engine::kMaxBands);
    const auto minMotion = cli.real("--min-motion", 0.05f, 0.0f, 1e4f);
    const auto maxMotion = cli.real("--max-motion", 20.0f, 0.0f, 1e4f);
    for (const engine::Status& s :
         {every.status(), frames.status(), k.status(), minMotion.status(), maxMotion.status()})
        if (!s) return fail(s);
    p.every = *every;
    p.frames = *frames;
    p.bands = *k;
    p.minMotionPx = *minMotion;
    p.maxMotionPx = *maxMotion;
    if (auto s = parseTrainingSize(cli, p.width, p.height); !s) return fail(s);
    if (cli.has("--shard")) {
        int index = -1, count = 0;
        char extra = 0;
        const std::string shard = cli.string("--shard", "");
        if (std::sscanf(shard.c_str(), "%d/%d%c", &index, &count, &extra) != 2 || count < 1 || count > 4096 ||
            index < 0 || index >= count)
            return fail(engine::Status::invalid("--shard must be I/N with 0 <= I < N <= 4096"));
        p.shardIndex = index;
        p.shardCount = count;
    }
    prior::DatasetJob job(cli.positionals()[0], cli.string("-o", ""), p);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    std::printf("%d written, %d kept, %d skipped\n", job.written(), job.kept(), job.skipped());
    return 0;
}

int runTrainVae(const std::vector<std::string>& args) {
    const std::string usage =
        std::string("waft-cli train-vae DATASET_DIR -o VAE.safetensors [options]\n") + kTrainOptions;
    CliArgs cli({"-o", "--preset", "--steps", "--batch", "--lr", "--seed", "--checkpoint-every", "--size", "--device",
                 "--precision"},
                {"--resume"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), usage.c_str());
    if (cli.helpRequested()) return std::puts(usage.c_str()), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o"))
        return usageError("need DATASET_DIR and -o VAE", usage.c_str());
    prior::TrainingRunParams p;
    if (auto s = parseTraining(cli, p); !s) return fail(s);
    auto process = joinTrainingRun(p.compute);
    if (!process) return fail(process.status());
    prior::TrainVaeJob job(cli.positionals()[0], cli.string("-o", ""), p);
    job.joinRun(process->communicator);
    if (auto s = runJobWithProgress(job, {}, process->quiet); !s) return fail(process->annotate(s));
    if (!process->quiet)
        std::printf("%s: %d steps, last loss %.5f%s\n", cli.string("-o", "").c_str(), p.steps, job.lastLoss(),
                    job.communication().c_str());
    return 0;
}

int runTrainPrior(const std::vector<std::string>& args) {
    const std::string usage =
        std::string(
            "waft-cli train-prior DATASET_DIR --vae VAE.safetensors --stage 1|2 [--init STAGE1] -o PRIOR.safetensors\n") +
        kTrainOptions +
        "\n  --stage 1 trains the UNet per frequency slice; --stage 2 freezes it and trains frequency attention";
    CliArgs cli({"-o", "--vae", "--stage", "--init", "--preset", "--steps", "--batch", "--lr", "--seed",
                 "--checkpoint-every", "--size", "--device", "--precision"},
                {"--resume"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), usage.c_str());
    if (cli.helpRequested()) return std::puts(usage.c_str()), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o") || !cli.has("--vae"))
        return usageError("need DATASET_DIR, --vae and -o", usage.c_str());
    const auto stage = cli.integer("--stage", 1, 1, 2);
    if (!stage) return fail(stage.status());
    prior::TrainingRunParams p;
    if (auto s = parseTraining(cli, p); !s) return fail(s);
    auto process = joinTrainingRun(p.compute);
    if (!process) return fail(process.status());
    prior::TrainPriorJob job(cli.positionals()[0], cli.string("--vae", ""), cli.string("-o", ""), *stage,
                             cli.string("--init", ""), p);
    job.joinRun(process->communicator);
    if (auto s = runJobWithProgress(job, {}, process->quiet); !s) return fail(process->annotate(s));
    if (!process->quiet)
        std::printf("%s: stage %d, %d steps, last loss %.5f%s\n", cli.string("-o", "").c_str(), *stage, p.steps,
                    job.lastLoss(), job.communication().c_str());
    return 0;
}

int runPredict(const std::vector<std::string>& args) {
    constexpr const char* kUsage =
        "waft-cli predict IMAGE --model PRIOR.safetensors --vae VAE.safetensors -o SCENE.waft [--loop] [--seed S]\n"
        "       [--steps 250] [--guidance 1.75] [--eta 0] [--max-size 1280] [--device auto|cpu|cuda]\n"
        "       [--precision auto|fp32|bf16|fp16]\n"
        "  --loop      motion self-guidance (GID eq. 5, u = 200, 2 recurrences) for a seamless loop\n"
        "  --max-size  downscale the photo so its long side is at most PX, as the app does (0 = keep)";
    CliArgs cli(
        {"-o", "--model", "--vae", "--seed", "--steps", "--guidance", "--eta", "--max-size", "--device", "--precision"},
        {"--loop"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kUsage);
    if (cli.helpRequested()) return std::puts(kUsage), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o") || !cli.has("--model") || !cli.has("--vae"))
        return usageError("need IMAGE, --model, --vae and -o SCENE.waft", kUsage);
    prior::PredictParams p;
    const auto seed = cli.integer("--seed", 0, 0, 1 << 30);
    const auto steps = cli.integer("--steps", 250, 1, 1000);
    const auto guidance = cli.real("--guidance", 1.75f, 0.0f, 100.0f);
    const auto eta = cli.real("--eta", 0.0f, 0.0f, 1.0f);
    const auto maxSize = cli.integer("--max-size", 1280, 0, engine::kMaxImageSide);
    for (const engine::Status& s : {seed.status(), steps.status(), guidance.status(), eta.status(), maxSize.status()})
        if (!s) return fail(s);
    p.sampler.seed = unsigned(*seed);
    p.sampler.steps = *steps;
    p.sampler.guidance = *guidance;
    p.sampler.eta = *eta;
    p.loop = cli.has("--loop");
    if (auto s = parseCompute(cli, p.compute); !s) return fail(s);
    engine::LoadImageJob load(cli.positionals()[0], *maxSize);
    if (auto s = runJobWithProgress(load); !s) return fail(s);
    prior::PredictJob job(load.result()->volume.reference, cli.string("--model", ""), cli.string("--vae", ""), p);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    if (auto s = engine::saveScene(cli.string("-o", ""), *job.result()); !s) return fail(s);
    std::printf("%s: %dx%d, %d bands predicted\n", cli.string("-o", "").c_str(), job.result()->volume.width,
                job.result()->volume.height, job.result()->volume.bands);
    return 0;
}

int runBenchPrior(const std::vector<std::string>& args) {
    constexpr const char* kUsage =
        "waft-cli bench-prior -o WORK_DIR [--train N] [--test N] [--vae-steps N] [--prior-steps N] [--batch B]\n"
        "       [--lr LR] [--sampling-steps N] [--guidance W] [--seed S]\n"
        "  procedural scenes (stems whose colour picks the band and whose height the swing) -> splatter video ->\n"
        "  extraction -> tiny VAE + prior on CPU -> held-out spectral error of zero motion, the mean, the prior\n"
        "  (and of the VAE round trip), over all coefficients and over moving pixels; scenes already in WORK_DIR\n"
        "  are reused";
    CliArgs cli({"-o", "--train", "--test", "--vae-steps", "--prior-steps", "--batch", "--lr", "--sampling-steps",
                 "--guidance", "--seed"},
                {});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kUsage);
    if (cli.helpRequested()) return std::puts(kUsage), 0;
    if (!cli.has("-o")) return usageError("need -o WORK_DIR", kUsage);
    prior::BenchPriorParams p;
    p.workDir = cli.string("-o", "");
    const auto train = cli.integer("--train", p.trainScenes, 2, 100000);
    const auto test = cli.integer("--test", p.testScenes, 1, 100000);
    const auto vaeSteps = cli.integer("--vae-steps", p.vaeSteps, 1, 10000000);
    const auto priorSteps = cli.integer("--prior-steps", p.priorSteps, 1, 10000000);
    const auto batch = cli.integer("--batch", p.batch, 1, 4096);
    const auto lr = cli.real("--lr", p.learningRate, 1e-8f, 1.0f);
    const auto sampling = cli.integer("--sampling-steps", p.samplingSteps, 1, 1000);
    const auto guidance = cli.real("--guidance", p.guidance, 0.0f, 100.0f);
    const auto seed = cli.integer("--seed", int(p.seed), 0, 1 << 30);
    for (const engine::Status& s : {train.status(), test.status(), vaeSteps.status(), priorSteps.status(),
                                    batch.status(), lr.status(), sampling.status(), guidance.status(), seed.status()})
        if (!s) return fail(s);
    p.trainScenes = *train;
    p.testScenes = *test;
    p.vaeSteps = *vaeSteps;
    p.priorSteps = *priorSteps;
    p.batch = *batch;
    p.learningRate = *lr;
    p.samplingSteps = *sampling;
    p.guidance = *guidance;
    p.seed = unsigned(*seed);
    prior::BenchPriorJob job(p);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    const auto& r = job.report();
    const auto errors = [](const prior::BenchPriorErrors& e) {
        const double gain = 1.0 - e.prior / std::min(e.zero, e.mean);
        return "{\"zero\": " + fixed(e.zero, 5) + ", \"mean\": " + fixed(e.mean, 5) +
               ", \"prior\": " + fixed(e.prior, 5) + ", \"vae_round_trip\": " + fixed(e.vae, 5) +
               ", \"improvement\": " + fixed(gain, 3) + "}";
    };
    std::printf(
        "{\"error_px\": %s, \"moving_error_px\": %s, \"seed_difference_px\": %.5f, \"train_seconds\": %.1f, "
        "\"total_seconds\": %.1f}\n",
        errors(r.all).c_str(), errors(r.moving).c_str(), r.seedDifference, r.trainSeconds, r.seconds);
    return 0;
}

}  // namespace waft::app
