// waft-cli: headless Waft. Extracts motion from video, renders loops and scripted pulls, computes flow.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "Commands.h"
#include "core/JobJournal.h"
#include "core/Runtime.h"
#include "core/Version.h"

namespace waft::app {

namespace {
// Ctrl-C cancels the running job, which stops at its next step and removes what it was writing. Setting a
// lock-free atomic flag is async-signal-safe.
// A second signal while the job winds down ends the process the usual way.
engine::CancelToken g_cancel;
volatile std::sig_atomic_t g_signal = 0;  // the signal that cancelled the job
void onInterrupt(int signal) {
    if (g_cancel.isCancelled()) {
        std::signal(signal, SIG_DFL);
        std::raise(signal);
        return;
    }
    g_signal = signal;
    g_cancel.cancel();
}
}  // namespace

engine::Status runJobWithProgress(engine::Job& job, const std::string& replacesJournalId, bool quiet) {
    const bool tty = !quiet && isatty(STDERR_FILENO) != 0;
    int lastPercent = -1;
    std::string latest;  // the newest metric, e.g. "loss 0.0834"
    engine::Progress progress([&](float fraction, const std::string& stage) {
        const int percent = int(fraction * 100.0f);
        if (!tty || percent == lastPercent) return;
        lastPercent = percent;
        std::fprintf(stderr, "\r%s: %-14s %3d%% %s", job.name().c_str(), stage.c_str(), percent, latest.c_str());
    });
    progress.setMetricObserver([&](const std::string& name, int, double value) {
        char text[96];
        std::snprintf(text, sizeof text, "%.40s %.4g   ", name.c_str(), value);
        latest = text;
    });
    // A resumable job (training) is journalled while it runs, like in the app: killed, or stopped by SIGTERM
    // (a logout, a shutdown), it is listed by `waft-cli jobs` and offered by the app at its next start. It
    // ends by itself or by Ctrl-C: nothing to resume.
    const engine::JobJournal journal(engine::JobJournal::defaultDir());
    const std::string journalId = quiet ? std::string() : journal.recordJob(job);
    if (!journalId.empty() && !replacesJournalId.empty()) journal.remove(replacesJournalId);
    auto previousInt = std::signal(SIGINT, onInterrupt);
    auto previousTerm = std::signal(SIGTERM, onInterrupt);
    const engine::Status status = engine::runGuarded(job, progress, g_cancel);
    std::signal(SIGINT, previousInt);
    std::signal(SIGTERM, previousTerm);
    if (!(status.code() == engine::StatusCode::Cancelled && g_signal == SIGTERM)) {  // ended: nothing to resume
        if (!journalId.empty()) journal.remove(journalId);
        if (!replacesJournalId.empty()) journal.remove(replacesJournalId);
    }
    if (tty && lastPercent >= 0) std::fprintf(stderr, "\n");
    return status;
}

int fail(const engine::Status& status) {
    std::fprintf(stderr, "waft-cli: %s\n", status.message().c_str());
    return 1;
}

int usageError(const std::string& message, const char* usage) {
    std::fprintf(stderr, "waft-cli: %s\nusage: %s\n", message.c_str(), usage);
    return 2;
}

}  // namespace waft::app

namespace {
constexpr const char* kUsage = R"(usage: waft-cli COMMAND [ARGS] [--help]
       waft-cli --version

commands:
  extract VIDEO -o SCENE.waft   spectral volume of a video (optical flow + temporal FFT)
  brush PHOTO -o SCENE.waft     motion brush from the command line (--arrow X,Y,DX,DY ... or --strokes FILE)
  animate SCENE.waft -o OUT     seamless loop as .mp4, .webm, .webp, .apng, .gif or a PNG folder (DIR/)
  pull SCENE.waft -o OUT.mp4    scripted pull-and-release (modal simulation)
  web SCENE.waft -o OUT.html    a self-contained interactive web page (WebGL2): the loop, and drags like the app
  flow IMG1 IMG2 -o OUT.flo     dense optical flow (Middlebury .flo)
  info SCENE.waft               scene summary as JSON
  dataset VIDEO_DIR -o DIR      (image, spectral volume) training pairs from videos
  train-vae DIR -o VAE          train the motion VAE (GID §7)
  train-prior DIR --vae VAE --stage 1|2 -o PRIOR   train the frequency-coordinated denoiser
  predict IMAGE --model PRIOR --vae VAE -o SCENE.waft   motion from one photo
  bench-prior -o DIR            procedural benchmark of the motion prior (trains a tiny one on CPU)
  bench-export SCENE -o DIR     every export format and preset: size, time, PSNR, loop wrap
  bench-cpu-render SCENE... -o DIR   the CPU frame path against the exact path: time, error, seam
  check-loop FILE               decode an exported loop and measure its wrap-around step
  jobs [--discard ID]           interrupted training jobs (killed, or the app closed during them)
  resume ID                     continue an interrupted job from its last checkpoint
  tokenize TEXT [--no-pad]      CLIP token ids of a prompt (SD 1.5's text encoder input) as JSON
  models PATH                   what an SD 1.x model folder or .safetensors file holds, as JSON
  generate --model SD -p TEXT -o OUT.png   text to image with SD 1.x (DDIM + CFG)
  invert VIDEO --model SD -p TEXT -o RECON.mp4   DDIM-invert a clip and sample it back; prints the error
  bench-vae [--size WxH]        the VAE's seconds and peak memory per frame, whole or in tiles
  train-t2v -o DIR              train SD's classes at a tiny size on a procedural captioned-video world
  bench-t2v MODEL               score a train-t2v model's clips for held-out captions with a procedural judge
  transfer VIDEO --model SD -p TEXT --to TEXT -o OUT.mp4   motion transfer: tune on the clip (SMA), re-prompt
  bench-transfer MODEL -o DIR   score motion transfer objectives on procedural clips with the judge
  edit VIDEO --model SD -p TEXT --to TEXT -o OUT.mp4   text-driven editing: SAVE's spectral shift, re-prompt
  train-renderer DIR -o R       train GID's neural renderer on pairs of the clips in DIR
  bench-renderer R VIDEO...     neural renderer vs pixel splatting on held-out frames (PSNR, SSIM)
  bench-edit MODEL -o DIR       score SAVE against full W^Q tuning on procedural clips with the judge
  launch --nproc N -- COMMAND   run a training command as N data-parallel ranks on this machine

exit status: 0 success, 1 bad input or failed job (one line on stderr), 2 usage error.
)";
}

namespace {
int dispatch(const std::string& command, const std::vector<std::string>& args);
}

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!std::strcmp(argv[1], "--version")) {
        std::printf("%s\n", waft::engine::versionLine("waft-cli").c_str());
        return 0;
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    waft::engine::initRuntime();
    try {
        return dispatch(command, args);
    } catch (const std::exception& e) {  // anything a command throws outside a job: one line, never an abort
        std::fprintf(stderr, "waft-cli: %s failed: %s\n", command.c_str(), waft::engine::oneLine(e.what()).c_str());
        return 1;
    }
}

namespace {
int dispatch(const std::string& command, const std::vector<std::string>& args) {
    if (command == "extract") return waft::app::runExtract(args);
    if (command == "animate") return waft::app::runAnimate(args);
    if (command == "pull") return waft::app::runPull(args);
    if (command == "web") return waft::app::runWeb(args);
    if (command == "flow") return waft::app::runFlow(args);
    if (command == "info") return waft::app::runInfo(args);
    if (command == "dataset") return waft::app::runDataset(args);
    if (command == "train-vae") return waft::app::runTrainVae(args);
    if (command == "train-prior") return waft::app::runTrainPrior(args);
    if (command == "launch") return waft::app::runLaunch(args);
    if (command == "predict") return waft::app::runPredict(args);
    if (command == "bench-prior") return waft::app::runBenchPrior(args);
    if (command == "bench-export") return waft::app::runBenchExport(args);
    if (command == "bench-cpu-render") return waft::app::runBenchCpuRender(args);
    if (command == "check-loop") return waft::app::runCheckLoop(args);
    if (command == "brush") return waft::app::runBrush(args);
    if (command == "jobs") return waft::app::runJobs(args);
    if (command == "resume") return waft::app::runResume(args);
    if (command == "tokenize") return waft::app::runTokenize(args);
    if (command == "models") return waft::app::runModels(args);
    if (command == "generate") return waft::app::runGenerate(args);
    if (command == "invert") return waft::app::runInvert(args);
    if (command == "train-t2v") return waft::app::runTrainT2v(args);
    if (command == "bench-t2v") return waft::app::runBenchT2v(args);
    if (command == "bench-vae") return waft::app::runBenchVae(args);
    if (command == "transfer") return waft::app::runTransfer(args);
    if (command == "bench-transfer") return waft::app::runBenchTransfer(args);
    if (command == "edit") return waft::app::runEdit(args);
    if (command == "bench-edit") return waft::app::runBenchEdit(args);
    if (command == "train-renderer") return waft::app::runTrainRenderer(args);
    if (command == "bench-renderer") return waft::app::runBenchRenderer(args);
    std::fprintf(stderr, "waft-cli: unknown command '%s'\n%s", command.c_str(), kUsage);
    return 2;
}
}  // namespace
