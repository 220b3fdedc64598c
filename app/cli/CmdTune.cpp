// The video jobs that fine-tune the inflated SD 1.x UNet on a clip, then edit it (engine/ml/tune): transfer,
// and its benchmark on the procedural world (bench-transfer).
#include <cstdio>
#include <sstream>

#include "CliArgs.h"
#include "Commands.h"
#include "ml/tune/TuneBenchmark.h"
#include "ml/tune/TuneParams.h"

namespace waft::app {

namespace tune = engine::tune;

namespace {

// The value options and flags every fine-tune-then-edit command takes, plus a command's own.
std::set<std::string> tuneOptions(std::initializer_list<const char*> own) {
    std::set<std::string> all = {
        "--model",  "-p",         "--to", "-o",     "--negative",         "--start",        "--end",      "--frames",
        "--size",   "--steps",    "--lr", "--seed", "--checkpoint-every", "--sample-steps", "--guidance", "--tuned",
        "--device", "--precision"};
    all.insert(own.begin(), own.end());
    return all;
}

std::set<std::string> tuneFlags(std::initializer_list<const char*> own) {
    std::set<std::string> all = {"--help", "--apply", "--resume", "--gradient-checkpointing"};
    all.insert(own.begin(), own.end());
    return all;
}

// The options every fine-tune-then-edit command shares, into `p`.
engine::Status parseTune(const CliArgs& cli, tune::TuneParams& p) {
    p.model = cli.string("--model", "");
    if (p.model.empty()) return engine::Status::invalid("need --model (a diffusers folder or a .safetensors file)");
    p.clip.video = cli.positionals()[0];
    p.sourcePrompt = cli.string("-p", "");
    p.targetPrompt = cli.string("--to", "");
    p.negative = cli.string("--negative", "");
    p.output = cli.string("-o", "");
    p.tuned = cli.string("--tuned", "");
    p.useTuned = cli.has("--apply");
    p.resume = cli.has("--resume");
    p.gradientCheckpointing = cli.has("--gradient-checkpointing");
    const auto start = cli.real("--start", 0.0f, 0.0f, 1e7f);
    const auto end = cli.real("--end", -1.0f, -1.0f, 1e7f);
    const auto frames = cli.integer("--frames", p.clip.frames, 2, 32);
    const auto steps = cli.integer("--steps", p.steps, 0, 100000);
    const auto lr = cli.real("--lr", p.learningRate, 1e-10f, 1.0f);
    const auto seed = cli.integer("--seed", 0, 0, 1 << 30);
    const auto every = cli.integer("--checkpoint-every", p.checkpointEvery, 0, 100000);
    const auto sampleSteps = cli.integer("--sample-steps", p.sampleSteps, 1, 1000);
    const auto guidance = cli.real("--guidance", p.guidance, 0.0f, 50.0f);
    for (const engine::Status& s : {start.status(), end.status(), frames.status(), steps.status(), lr.status(),
                                    seed.status(), every.status(), sampleSteps.status(), guidance.status()})
        if (!s) return s;
    p.clip.startSeconds = *start;
    p.clip.endSeconds = *end;
    p.clip.frames = *frames;
    p.steps = *steps;
    p.learningRate = *lr;
    p.seed = unsigned(*seed);
    p.checkpointEvery = *every;
    p.sampleSteps = *sampleSteps;
    p.guidance = *guidance;
    if (cli.has("--size")) {
        auto size = cli.pair("--size", 'x');
        if (!size || size->first < 8 || size->second < 8 || size->first > 2048 || size->second > 2048)
            return engine::Status::invalid("--size must be WxH within 8..2048");
        p.clip.width = int(size->first);
        p.clip.height = int(size->second);
    }
    return parseCompute(cli, p.compute);
}

constexpr const char* kTuneOptions =
    "  --start S --end E  the range in seconds (default: the first F frames; with --end, F frames spread over it)\n"
    "  --frames F         2..32 (default 8)    --size WxH   work size (default: the clip's, long side <= 512)\n"
    "  --steps N          tuning steps         --lr LR      AdamW learning rate\n"
    "  --sample-steps N   DDIM steps (default 50)    --guidance S   CFG scale    --negative TEXT   --seed S\n"
    "  --tuned FILE       where the trained tensors go (default OUT.tuned.safetensors)\n"
    "  --apply            no tuning: apply --tuned from an earlier run on the same base model to a new prompt\n"
    "  --resume           continue an interrupted tuning from --tuned's checkpoint\n"
    "  --checkpoint-every N (default 100)    --gradient-checkpointing    --device auto|cpu|cuda\n"
    "  --precision auto|fp32|bf16\n";

}  // namespace

int runTransfer(const std::vector<std::string>& args) {
    const std::string usage =
        std::string(
            "waft-cli transfer VIDEO --model SD -p \"SOURCE CAPTION\" --to \"NEW PROMPT\" -o OUT.mp4 [options]\n"
            "  motion transfer: tunes the inflated SD UNet's query projections and temporal attention on the clip\n"
            "  (Tune-A-Video) with Spectral Motion Alignment, then inverts the clip and samples it under the new\n"
            "  prompt: the clip's motion with the prompt's appearance.\n"
            "  --base tav|vmc     the objective SMA is added to: Tune-A-Video's denoising loss (default) or VMC's\n"
            "                     residual alignment\n"
            "  --lambda-global G  --lambda-local L   SMA's weights (default 0.4, 0.2)    --no-sma   both 0\n"
            "  --abs-residuals    SMA on |frame residuals| (the official code's choice)\n"
            "  --attention sparse-causal|first-frame|full|per-frame (default sparse-causal)\n"
            "  defaults: 500 steps, lr 3e-5 (Tune-A-Video's), guidance 12.5\n") +
        kTuneOptions;
    CliArgs cli(tuneOptions({"--base", "--lambda-global", "--lambda-local", "--attention"}),
                tuneFlags({"--no-sma", "--abs-residuals"}));
    if (auto s = cli.parse(args); !s) return usageError(s.message(), usage.c_str());
    if (cli.helpRequested()) return std::fputs(usage.c_str(), stdout), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o") || !cli.has("--to"))
        return usageError("need VIDEO, --to \"NEW PROMPT\" and -o OUT.mp4", usage.c_str());
    tune::TuneParams params;
    if (auto s = parseTune(cli, params); !s) return fail(s);
    tune::MotionTransferOptions options;
    if (cli.has("--base") && !tune::parseMotionObjective(cli.string("--base", ""), options.base))
        return fail(engine::Status::invalid("--base must be tav or vmc"));
    if (cli.has("--attention") && !engine::sd::parseFrameAttention(cli.string("--attention", ""), options.attention))
        return fail(engine::Status::invalid("--attention must be sparse-causal, first-frame, full or per-frame"));
    const auto global = cli.real("--lambda-global", options.lambdaGlobal, 0.0f, 100.0f);
    const auto local = cli.real("--lambda-local", options.lambdaLocal, 0.0f, 100.0f);
    if (!global) return fail(global.status());
    if (!local) return fail(local.status());
    options.lambdaGlobal = cli.has("--no-sma") ? 0.0f : *global;
    options.lambdaLocal = cli.has("--no-sma") ? 0.0f : *local;
    options.absoluteResiduals = cli.has("--abs-residuals");
    auto job = tune::makeMotionTransferJob(params, options);
    if (auto s = runJobWithProgress(*job); !s) return fail(s);
    std::printf("wrote %s (%s)\n", params.output.c_str(), job->summary().c_str());
    return 0;
}

int runEdit(const std::vector<std::string>& args) {
    const std::string usage =
        std::string(
            "waft-cli edit VIDEO --model SD -p \"SOURCE CAPTION\" --to \"EDIT PROMPT\" -o OUT.mp4 [options]\n"
            "  text-driven video editing (SAVE): tunes only a shift of the singular values of the frame and cross\n"
            "  attention's query projections on the clip (regulariser λ δᵀΣδ), then inverts the clip with its caption\n"
            "  and samples it under the edit prompt.\n"
            "  --lambda L         the regulariser's weight (default 1e-3; 5e-2 for edits of several attributes)\n"
            "  --attention frame|sparse-causal|full   self-attention over frames (default frame: keys and values\n"
            "                     from the first frame, SAVE's eq. 6)\n"
            "  --full-tune        train the W^Q matrices themselves (Tune-A-Video style), for comparison\n"
            "  --no-temporal      train the δ's alone (the paper's method; by default the temporal attention trains\n"
            "                     too, as the official code does: it kept motion far better on bench-edit)\n"
            "  defaults: 300 steps, lr 1e-3, guidance 10 (25 for several attributes)\n") +
        kTuneOptions;
    CliArgs cli(tuneOptions({"--lambda", "--attention"}), tuneFlags({"--full-tune", "--no-temporal"}));
    if (auto s = cli.parse(args); !s) return usageError(s.message(), usage.c_str());
    if (cli.helpRequested()) return std::fputs(usage.c_str(), stdout), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o") || !cli.has("--to"))
        return usageError("need VIDEO, --to \"EDIT PROMPT\" and -o OUT.mp4", usage.c_str());
    tune::TuneParams params = tune::editDefaults({});
    if (auto s = parseTune(cli, params); !s) return fail(s);
    tune::EditOptions options;
    if (cli.has("--attention")) {
        const std::string mode = cli.string("--attention", "");
        if (mode == "frame")
            options.attention = engine::sd::FrameAttention::FirstFrame;
        else if (mode == "per-frame" || !engine::sd::parseFrameAttention(mode, options.attention))
            return fail(engine::Status::invalid("--attention must be frame, sparse-causal or full"));
    }
    const auto lambda = cli.real("--lambda", options.lambda, 0.0f, 100.0f);
    if (!lambda) return fail(lambda.status());
    options.lambda = *lambda;
    options.fullTune = cli.has("--full-tune");
    options.trainTemporal = !cli.has("--no-temporal");
    auto job = tune::makeEditJob(params, options);
    if (auto s = runJobWithProgress(*job); !s) return fail(s);
    std::printf("wrote %s (%s)\n", params.output.c_str(), job->summary().c_str());
    return 0;
}

// bench-transfer and bench-edit: the same runner, each with its rows.
int runTuneBench(const std::vector<std::string>& args, tune::TuneBenchJob::Kind kind) {
    const bool transfer = kind == tune::TuneBenchJob::Kind::Transfer;
    const std::string usage =
        std::string(transfer ? "waft-cli bench-transfer" : "waft-cli bench-edit") +
        " MODEL -o DIR [--clips N] [--steps N] [--lr LR] [--sample-steps N] [--guidance S]\n"
        "       [--seed S] [--rows \"A,B,...\"] [--device auto|cpu|cuda]\n" +
        (transfer
             ? "  transfers held-out procedural clips' motion to another colour and shape under each objective (no\n"
               "  tuning, TAV, VMC, TAV + SMA global, TAV + SMA local, TAV + SMA, VMC + SMA) on the same clips and\n"
               "  seeds, and scores them with the procedural judge: track error against the source, target\n"
               "  appearance, path kept, frame consistency.\n"
             : "  edits held-out procedural clips to another colour or shape with SAVE, SAVE without its\n"
               "  regulariser, SAVE + temporal attention, and full W^Q tuning at the same steps and at SAVE's\n"
               "  wall-clock time (--save-lr sets SAVE's learning rate, --lr full tuning's), scored by the procedural\n"
               "  judge: target appearance, track error against the source, frame consistency, trained numbers,\n"
               "  time per step.\n") +
        "  MODEL: a train-t2v model (image.safetensors). Prints a markdown table (docs/BENCHMARKS.md).\n"
        "  Defaults: 4 clips, 50 steps, lr 5e-4 (SAVE 1e-3), 20 sampling steps, guidance 4, 32x32, 8 frames.\n";
    CliArgs cli({"-o", "--clips", "--steps", "--lr", "--save-lr", "--sample-steps", "--guidance", "--seed", "--rows",
                 "--device", "--precision"},
                {"--help"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), usage.c_str());
    if (cli.helpRequested()) return std::fputs(usage.c_str(), stdout), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o")) return usageError("need the MODEL and -o DIR", usage.c_str());
    tune::TuneBenchParams p;
    p.model = cli.positionals()[0];
    p.workDir = cli.string("-o", "");
    const auto clips = cli.integer("--clips", p.clips, 1, 1000);
    const auto steps = cli.integer("--steps", p.steps, 1, 100000);
    const auto lr = cli.real("--lr", p.learningRate, 1e-10f, 1.0f);
    const auto saveLr = cli.real("--save-lr", p.saveLearningRate, 1e-10f, 1.0f);
    const auto sampleSteps = cli.integer("--sample-steps", p.sampleSteps, 1, 1000);
    const auto guidance = cli.real("--guidance", p.guidance, 0.0f, 50.0f);
    const auto seed = cli.integer("--seed", 0, 0, 1 << 30);
    for (const engine::Status& s : {clips.status(), steps.status(), lr.status(), saveLr.status(), sampleSteps.status(),
                                    guidance.status(), seed.status()})
        if (!s) return fail(s);
    p.clips = *clips;
    p.steps = *steps;
    p.learningRate = *lr;
    p.saveLearningRate = *saveLr;
    p.sampleSteps = *sampleSteps;
    p.guidance = *guidance;
    p.seed = unsigned(*seed);
    if (cli.has("--rows")) {
        std::stringstream list(cli.string("--rows", ""));
        for (std::string row; std::getline(list, row, ',');) {
            row.erase(0, row.find_first_not_of(' '));
            row.erase(row.find_last_not_of(' ') + 1);
            if (!row.empty()) p.rows.push_back(row);
        }
    }
    if (auto s = parseCompute(cli, p.compute); !s) return fail(s);
    tune::TuneBenchJob job(kind, p);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    std::printf("%s", job.result().table().c_str());
    return 0;
}

int runBenchTransfer(const std::vector<std::string>& args) {
    return runTuneBench(args, tune::TuneBenchJob::Kind::Transfer);
}

int runBenchEdit(const std::vector<std::string>& args) { return runTuneBench(args, tune::TuneBenchJob::Kind::Edit); }

}  // namespace waft::app
