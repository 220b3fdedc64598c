// The neural renderer's commands (GID §5): train-renderer and bench-renderer.
#include <cstdio>
#include <set>
#include <string>

#include "CliArgs.h"
#include "Commands.h"
#include "ml/render/RendererBenchJob.h"
#include "ml/render/TrainRendererJob.h"

namespace waft::app {

namespace render = engine::render;

namespace {

constexpr const char* kPairOptions =
    "  --max-side N          frames downscaled to at most N pixels on the long side (default 320)\n"
    "  --gaps A-B            frames between reference and target, cycled (default 1-4)\n"
    "  --pairs N             pairs per clip, spread over the range (default 48)\n"
    "  --flow accurate|dis   the pairs' flow: DIS at full resolution with variational refinement (default,\n"
    "                        the nearest to a true flow) or the extractor's fast DIS\n";

// The value options both renderer commands take (kPairOptions, the device), plus a command's own.
std::set<std::string> pairOptions(std::initializer_list<const char*> own) {
    std::set<std::string> all = {"--max-side", "--gaps", "--pairs", "--flow", "--device", "--precision"};
    all.insert(own.begin(), own.end());
    return all;
}

engine::Status parsePairs(const CliArgs& cli, render::RendererPairParams& p) {
    const auto side = cli.integer("--max-side", p.maxLongSide, 32, 1024);
    const auto count = cli.integer("--pairs", p.pairsPerClip, 1, 4096);
    for (const engine::Status& s : {side.status(), count.status()})
        if (!s) return s;
    p.maxLongSide = int(*side);
    p.pairsPerClip = int(*count);
    if (cli.has("--gaps")) {
        auto gaps = cli.pair("--gaps", '-');
        if (!gaps || gaps->first < 1 || gaps->second < gaps->first || gaps->second > 64)
            return engine::Status::invalid("--gaps must be A-B with 1 <= A <= B <= 64");
        p.minGap = int(gaps->first);
        p.maxGap = int(gaps->second);
    }
    if (cli.has("--flow") && !engine::parseFlowMethod(cli.string("--flow", ""), p.flow))
        return engine::Status::invalid("--flow must be accurate or dis");
    return engine::Status::ok();
}

engine::Status parseRange(const CliArgs& cli, const char* flag, double fallback, double& out) {
    const auto value = cli.real(flag, float(fallback), 0.0f, 1.0f);
    if (!value) return value.status();
    out = *value;
    return engine::Status::ok();
}

}  // namespace

int runTrainRenderer(const std::vector<std::string>& args) {
    const std::string usage =
        std::string(
            "waft-cli train-renderer VIDEO_DIR -o RENDERER.safetensors [options]\n"
            "  trains GID's neural renderer (feature pyramid, softmax splatting per level, synthesis network) on\n"
            "  pairs of every clip in VIDEO_DIR: a frame, the flow to a later frame, that frame. Pixel loss\n"
            "  + W x multi-scale gradient L1 (--gradient-weight W, default 0.05), AdamW, EMA weights saved;\n"
            "  --resume continues exactly.\n"
            "  --lr-schedule constant|cosine   cosine: the rate decays to a tenth over --steps (a resume must\n"
            "                        keep --steps to continue exactly)\n"
            "  --train-to F          pairs from the first fraction F of each clip (default 0.7; the rest is for\n"
            "                        bench-renderer --from F)\n"
            "  --loss log-l2|l2|l1   log-l2 (default): the mean over crops of ln(each crop's l2 loss), which weighs\n"
            "                        every crop as the mean PSNR over frames does; l2: 10 x MSE over the batch;\n"
            "                        l1: L1 over the batch (which did not learn on real clips)\n"
            "  --backward            every second pair runs backward in time (the later frame is the reference)\n"
            "  --synthetic F         adds F (0..4) x as many synthetic layered pairs: a patch of one frame moving in\n"
            "                        front of a real pair, with exact flow and real disocclusions (default 0)\n"
            "  --vgg VGG16.safetensors [--perceptual-weight W]   adds W (default 0.1) x the VGG16 perceptual loss\n"
            "                        (relu1_2, relu2_2, relu3_3; torchvision's tensor names; none ship)\n") +
        kPairOptions + kTrainOptions +
        "\n  defaults here: --steps 2000 --batch 4 --lr 2e-4 --checkpoint-every 250 --size 128x128";
    CliArgs cli(pairOptions({"-o", "--preset", "--steps", "--batch", "--lr", "--seed", "--checkpoint-every", "--size",
                             "--train-to", "--loss", "--gradient-weight", "--synthetic", "--vgg", "--perceptual-weight",
                             "--lr-schedule"}),
                {"--resume", "--backward"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), usage.c_str());
    if (cli.helpRequested()) return std::puts(usage.c_str()), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o"))
        return usageError("need VIDEO_DIR and -o RENDERER.safetensors", usage.c_str());
    render::TrainRendererParams p;
    const render::TrainRendererParams defaults;
    if (auto s = parseTraining(cli, p.run); !s) return fail(s);
    if (!cli.has("--steps")) p.run.steps = 2000;
    if (!cli.has("--batch")) p.run.batch = defaults.run.batch;
    if (!cli.has("--lr")) p.run.learningRate = defaults.run.learningRate;
    if (!cli.has("--checkpoint-every")) p.run.checkpointEvery = defaults.run.checkpointEvery;
    if (!cli.has("--size")) p.run.width = p.run.height = 128;
    if (auto s = parsePairs(cli, p.pairs); !s) return fail(s);
    if (auto s = parseRange(cli, "--train-to", 0.7, p.pairs.to); !s) return fail(s);
    if (p.pairs.to <= 0.0) return fail(engine::Status::invalid("--train-to must be above 0"));
    p.pairs.backward = cli.has("--backward");
    const std::string loss = cli.string("--loss", render::rendererLossName(defaults.loss));
    if (!render::parseRendererLoss(loss, p.loss))
        return fail(engine::Status::invalid("--loss must be l1, l2 or log-l2"));
    const std::string schedule = cli.string("--lr-schedule", "constant");
    if (schedule != "constant" && schedule != "cosine")
        return fail(engine::Status::invalid("--lr-schedule must be constant or cosine"));
    p.cosineDecay = schedule == "cosine";
    p.vggPath = cli.string("--vgg", "");
    const auto weight = cli.real("--perceptual-weight", p.perceptualWeight, 0.0f, 100.0f);
    if (!weight) return fail(weight.status());
    p.perceptualWeight = *weight;
    const auto gradient = cli.real("--gradient-weight", p.gradientWeight, 0.0f, 10.0f);
    if (!gradient) return fail(gradient.status());
    p.gradientWeight = *gradient;
    const auto synthetic = cli.real("--synthetic", 0.0f, 0.0f, 4.0f);
    if (!synthetic) return fail(synthetic.status());
    p.synthetic = *synthetic;
    auto process = joinTrainingRun(p.run.compute);
    if (!process) return fail(process.status());
    render::TrainRendererJob job(cli.positionals()[0], cli.string("-o", ""), p);
    job.joinRun(process->communicator);
    if (auto s = runJobWithProgress(job, {}, process->quiet); !s) return fail(process->annotate(s));
    if (!process->quiet)
        std::printf("%s: %s%s\n", cli.string("-o", "").c_str(), job.summary().c_str(), job.communication().c_str());
    return 0;
}

int runBenchRenderer(const std::vector<std::string>& args) {
    const std::string usage =
        std::string(
            "waft-cli bench-renderer RENDERER.safetensors VIDEO... [--from F] [--to F] [--picture OUT.png]\n"
            "       [--timing WxH] [--device] [--precision]\n"
            "  renders held-out pairs of each clip (frames from F on; default 0.7, what train-renderer left out; 0\n"
            "  for a clip never trained on) from the reference and its flow with pixel splatting + push-pull and\n"
            "  with the neural renderer, and prints PSNR and SSIM against the real frame over the whole frame and\n"
            "  over disoccluded pixels (splat density < 0.5), then each renderer's frame time at --timing (default\n"
            "  1280x720; 0x0 skips it). --picture: reference | real | fast | neural for the most disoccluded pair.\n") +
        kPairOptions;
    CliArgs cli(pairOptions({"--from", "--to", "--picture", "--timing"}), {"--help"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), usage.c_str());
    if (cli.helpRequested()) return std::fputs(usage.c_str(), stdout), 0;
    if (cli.positionals().size() < 2) return usageError("need RENDERER and at least one VIDEO", usage.c_str());
    render::RendererBenchParams p;
    p.model = cli.positionals()[0];
    p.videos.assign(cli.positionals().begin() + 1, cli.positionals().end());
    p.pairs.from = 0.7;
    p.pairs.pairsPerClip = 24;
    if (auto s = parsePairs(cli, p.pairs); !s) return fail(s);
    if (auto s = parseRange(cli, "--from", p.pairs.from, p.pairs.from); !s) return fail(s);
    if (auto s = parseRange(cli, "--to", p.pairs.to, p.pairs.to); !s) return fail(s);
    if (p.pairs.from >= p.pairs.to) return fail(engine::Status::invalid("--from must be below --to"));
    p.picture = cli.string("--picture", "");
    if (cli.has("--timing")) {
        auto size = cli.pair("--timing", 'x');
        const bool off = size && size->first == 0 && size->second == 0;
        if (!size || (!off && (size->first < 16 || size->second < 16 || size->first > 4096 || size->second > 4096)))
            return fail(engine::Status::invalid("--timing must be WxH within 16..4096, or 0x0"));
        p.timingWidth = int(size->first);
        p.timingHeight = int(size->second);
    }
    if (auto s = parseCompute(cli, p.compute); !s) return fail(s);
    render::RendererBenchJob job(p);
    if (auto s = runJobWithProgress(job); !s) return fail(s);
    std::printf("%s", job.table().c_str());
    if (p.timingWidth > 0 && p.timingHeight > 0)
        std::printf("frame time at %dx%d: fast %.1f ms, neural tiny %.1f ms, neural paper %.1f ms\n", p.timingWidth,
                    p.timingHeight, 1e3 * job.fastSecondsPerFrame(), 1e3 * job.tinySecondsPerFrame(),
                    1e3 * job.paperSecondsPerFrame());
    return 0;
}

}  // namespace waft::app
