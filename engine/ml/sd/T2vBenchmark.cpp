#include "ml/sd/T2vBenchmark.h"

#include <chrono>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "ml/sd/SdPipeline.h"
#include "ml/sd/TinyWorldJudge.h"

namespace waft::engine::sd {

std::string T2vBenchResult::table() const {
    const auto pct = [&](int n) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f%%", samples ? 100.0 * n / samples : 0.0);
        return std::string(text);
    };
    std::string s =
        "| measure | samples | model | same samples vs another caption | guessing |\n|---|---|---|---|---|\n";
    s += "| colour and shape right | " + std::to_string(samples) + " | " + pct(colourAndShape) + " | " +
         pct(shuffledColourAndShape) + " | 6.7% |\n";
    s += "| colour right | " + std::to_string(samples) + " | " + pct(colour) + " | | 20.0% |\n";
    s += "| shape right | " + std::to_string(samples) + " | " + pct(shape) + " | | 33.3% |\n";
    s += "| path right | " + std::to_string(samples) + " | " + pct(path) + " | " + pct(shuffledPath) + " | 14.3% |\n";
    s += "| shape found by the judge | " + std::to_string(samples) + " | " + pct(found) + " | | |\n";
    return s;
}

Status T2vBenchJob::run(Progress& progress, const CancelToken& cancel) {
    const T2vBenchParams& p = m_params;
    if (p.samples < 1 || p.samples > 10000) return Status::invalid("samples must be within 1..10000");
    progress.report(0.0f, "loading the model");
    auto model = loadSdModel(p.model, {FrameAttention::SparseCausal, true}, p.compute);
    if (!model) return model.status();
    SdModel& sd = **model;
    const int f = sd.vae->downsampleFactor();
    if (p.clip.width % f || p.clip.height % f)
        return Status::invalid("clip size must be multiples of the VAE's factor");
    std::vector<WorldSpec> heldOut;
    for (const WorldSpec& s : allWorldSpecs())
        if (isHeldOutWorldSpec(s)) heldOut.push_back(s);
    // A fixed interleaving so any prefix mixes colours, shapes and paths.
    std::vector<WorldSpec> order;
    for (size_t i = 0; i < heldOut.size(); ++i) order.push_back(heldOut[(i * 37) % heldOut.size()]);
    if (!p.framesDir.empty()) std::filesystem::create_directories(p.framesDir);
    torch::NoGradGuard noGrad;
    T2vBenchResult r;
    const auto start = std::chrono::steady_clock::now();
    const ml::NoiseSchedule schedule = sdSchedule();
    auto uncond = encodePrompt(sd, "");  // the unconditional pass's states, the same for every sample
    if (!uncond) return uncond.status();
    for (int i = 0; i < p.samples; ++i) {
        if (cancel.isCancelled()) return Status::cancelled();
        const WorldSpec& spec = order[size_t(i) % order.size()];
        const WorldSpec& other = order[(size_t(i) + order.size() / 2 + 1) % order.size()];
        auto cond = encodePrompt(sd, spec.caption());
        if (!cond) return cond.status();
        const SdGuidance guidance{*cond, *uncond, p.guidance};
        auto generator = at::detail::createCPUGenerator(p.seed + uint64_t(i));
        const torch::Tensor noise =
            at::normal(0.0, 1.0,
                       {p.clip.frames, sd.files.config.vae.latentChannels, p.clip.height / f, p.clip.width / f},
                       generator)
                .to(sd.compute.device);
        const torch::Tensor latents =
            ml::ddimSample(guidedEpsilon(sd, guidance, p.clip.frames), noise, schedule, sdDdimOptions(p.steps),
                           generator, {}, [&](int, int) { return cancel.isCancelled(); });
        if (!latents.defined()) return Status::cancelled();
        const std::vector<cv::Mat> frames = tensorToFrames(vaeDecode(sd, latents, p.clip.frames));
        const WorldJudgement j = judgeWorldClip(frames);
        ++r.samples;
        r.found += j.found;
        r.colour += j.found && j.colour == spec.colour;
        r.shape += j.found && j.shape == spec.shape;
        r.colourAndShape += j.found && j.colour == spec.colour && j.shape == spec.shape;
        r.path += j.found && j.path == spec.path;
        r.shuffledColourAndShape += j.found && j.colour == other.colour && j.shape == other.shape;
        r.shuffledPath += j.found && j.path == other.path;
        if (!p.framesDir.empty()) {
            cv::Mat strip;
            cv::hconcat(frames, strip);
            cv::imwrite((std::filesystem::path(p.framesDir) / (std::to_string(i) + ".png")).string(), strip);
        }
        progress.report(float(i + 1) / float(p.samples),
                        "sampled " + std::to_string(i + 1) + "/" + std::to_string(p.samples));
    }
    r.secondsPerClip =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / std::max(1, r.samples);
    m_result = r;
    return Status::ok();
}

}  // namespace waft::engine::sd
