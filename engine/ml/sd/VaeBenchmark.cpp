#include "ml/sd/VaeBenchmark.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "ml/prior/Compute.h"
#include "ml/sd/SdLayers.h"
#include "ml/sd/SdPipeline.h"

namespace waft::engine::sd {

std::string VaeBenchResult::json() const {
    char text[256];
    std::snprintf(text, sizeof text,
                  "{\"encode_seconds_per_frame\": %.3f, \"decode_seconds_per_frame\": %.3f, \"peak_rss_mb\": %ld, "
                  "\"tiled\": %s}",
                  encodeSecondsPerFrame, decodeSecondsPerFrame, peakRssMb, tiled ? "true" : "false");
    return text;
}

Status VaeBenchJob::run(Progress& progress, const CancelToken& cancel) {
    const VaeBenchParams& p = m_params;
    if (p.frames < 1 || p.frames > 64) return Status::invalid("frames must be within 1..64");
    if (p.width < 8 || p.height < 8 || p.width > 4096 || p.height > 4096)
        return Status::invalid("size must be within 8..4096 on each side");
    if (p.tiling.tile < 0 || p.tiling.tile > 512 || p.tiling.overlap < 0)
        return Status::invalid("tile must be within 0..512 latent pixels and the overlap not negative");
    progress.report(0.0f, "building the VAE");
    std::shared_ptr<SdModel> model;
    if (!p.model.empty()) {
        auto loaded = loadSdModel(p.model, {FrameAttention::PerFrame, false}, p.compute);
        if (!loaded) return loaded.status();
        model = *loaded;
    } else {
        auto compute = prior::resolveCompute(p.compute, false);
        if (!compute) return compute.status();
        model = std::make_shared<SdModel>();
        torch::manual_seed(0);
        model->vae = AutoencoderKl(VaeKlConfig{});
        model->vaeCompute = *compute;
        if (compute->autocast == at::kHalf) model->vaeCompute.autocast.reset();
        if (model->vaeCompute.autocast) castExceptNorms(*model->vae, *model->vaeCompute.autocast);
        model->vae->to(compute->device);
        model->vae->eval();
    }
    SdModel& sd = *model;
    const int f = sd.vae->downsampleFactor();
    if (p.width % f || p.height % f)
        return Status::invalid("size must be multiples of the VAE's factor (" + std::to_string(f) + ")");
    m_result.tiled = p.tiling.tile > 0 && (p.width / f > p.tiling.tile || p.height / f > p.tiling.tile);
    torch::NoGradGuard noGrad;
    double encodeSeconds = 0.0, decodeSeconds = 0.0;
    using Clock = std::chrono::steady_clock;
    const auto seconds = [](Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); };
    for (int i = 0; i < p.frames; ++i) {
        if (cancel.isCancelled()) return Status::cancelled();
        const torch::Tensor image = torch::rand({1, 3, p.height, p.width}) * 2 - 1;
        auto start = Clock::now();
        const torch::Tensor latents = vaeEncode(sd, image, 1, p.tiling);
        if (sd.vaeCompute.device.is_cuda()) torch::cuda::synchronize();
        encodeSeconds += seconds(start);
        progress.report((i + 0.5f) / float(p.frames), "frame " + std::to_string(i + 1) + " decoding");
        start = Clock::now();
        const torch::Tensor back = vaeDecode(sd, latents, 1, p.tiling);
        if (sd.vaeCompute.device.is_cuda()) torch::cuda::synchronize();
        decodeSeconds += seconds(start);
        if (!torch::isfinite(back).all().item<bool>()) return Status::corrupt("the VAE decoded non-finite values");
        progress.report((i + 1.0f) / float(p.frames), "frame " + std::to_string(i + 1) + " done");
    }
    m_result.encodeSecondsPerFrame = encodeSeconds / p.frames;
    m_result.decodeSecondsPerFrame = decodeSeconds / p.frames;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    m_result.peakRssMb = usage.ru_maxrss / 1024;
    return Status::ok();
}

}  // namespace waft::engine::sd
