#include "ml/sd/SdJobs.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "io/VideoReader.h"
#include "ml/sd/SdPipeline.h"

namespace waft::engine::sd {

namespace {

Status checkSize(const SdModel& model, int width, int height) {
    const int f = model.vae->downsampleFactor();
    if (width < f || height < f || width % f || height % f)
        return Status::invalid("size " + std::to_string(width) + "x" + std::to_string(height) +
                               " must be positive multiples of the VAE's factor " + std::to_string(f));
    if (int64_t(width) * height > int64_t(2048) * 2048)
        return Status::invalid("size " + std::to_string(width) + "x" + std::to_string(height) +
                               " is larger than 2048x2048 pixels");
    if (int64_t(width / f) * (height / f) > 65536)
        return Status::invalid("size " + std::to_string(width) + "x" + std::to_string(height) + " gives " +
                               std::to_string(int64_t(width / f) * (height / f)) +
                               " latent positions with this VAE, at most 65536");
    return Status::ok();
}

Expected<SdGuidance> guidanceFor(SdModel& model, const SdSampleParams& p, std::string& warning) {
    int dropped = 0;
    auto cond = encodePrompt(model, p.prompt, &dropped);
    if (!cond) return cond.status();
    if (dropped > 0) warning = "prompt truncated: its last " + std::to_string(dropped) + " tokens did not fit";
    SdGuidance g{*cond, {}, p.guidance};
    if (p.guidance != 1.0f) {
        auto uncond = encodePrompt(model, p.negative);
        if (!uncond) return uncond.status();
        g.unconditional = *uncond;
    }
    return g;
}

Status checkParams(const SdSampleParams& p) {
    if (p.steps < 1 || p.steps > 1000) return Status::invalid("steps must be within 1..1000");
    if (!(p.guidance >= 0.0f && p.guidance <= 50.0f)) return Status::invalid("guidance must be within 0..50");
    return Status::ok();
}

}  // namespace

Status GenerateJob::run(Progress& progress, const CancelToken& cancel) {
    WAFT_RETURN_IF_ERROR(checkParams(m_params));
    progress.report(0.0f, "loading the model");
    auto model = loadSdModel(m_params.model, {FrameAttention::PerFrame, false}, m_params.compute);
    if (!model) return model.status();
    SdModel& sd = **model;
    WAFT_RETURN_IF_ERROR(checkSize(sd, m_params.width, m_params.height));
    torch::NoGradGuard noGrad;
    std::string warning;
    auto guidance = guidanceFor(sd, m_params, warning);
    if (!guidance) return guidance.status();
    const int f = sd.vae->downsampleFactor();
    auto generator = at::detail::createCPUGenerator(m_params.seed);
    const torch::Tensor noise =
        at::normal(0.0, 1.0, {1, sd.files.config.vae.latentChannels, m_params.height / f, m_params.width / f},
                   generator)
            .to(sd.compute.device);
    const torch::Tensor latents =
        ml::ddimSample(guidedEpsilon(sd, *guidance, 1), noise, sdSchedule(), sdDdimOptions(m_params.steps), generator,
                       {}, [&](int done, int total) {
                           progress.report(0.05f + 0.9f * float(done) / float(total), "denoising");
                           return cancel.isCancelled();
                       });
    if (!latents.defined()) return Status::cancelled();
    progress.report(0.95f, "decoding");
    m_image = tensorToFrames(vaeDecode(sd, latents, 1, m_params.vaeTiling)).front();
    m_summary = std::to_string(m_params.width) + "x" + std::to_string(m_params.height) + ", " +
                std::to_string(m_params.steps) + " DDIM steps, guidance " +
                std::to_string(m_params.guidance).substr(0, 4) + ", seed " + std::to_string(m_params.seed) +
                (warning.empty() ? "" : "; " + warning);
    progress.report(1.0f, "done");
    return Status::ok();
}

Status InvertVideoJob::run(Progress& progress, const CancelToken& cancel) {
    WAFT_RETURN_IF_ERROR(checkParams(m_params.sample));
    if (m_params.frames < 1 || m_params.frames > 64) return Status::invalid("frames must be within 1..64");
    DecodeParams decode;
    decode.maxFrames = m_params.frames;
    decode.maxLongSide = 0;
    Progress::Range decoding(progress, 0.0f, 0.05f);
    auto clip = decodeVideo(m_params.video, decode, decoding, cancel);
    if (!clip) return clip.status();
    if (clip->frames.empty()) return Status::corrupt(m_params.video + ": no frame decodes");
    progress.report(0.05f, "loading the model");
    FrameAttention mode = FrameAttention::SparseCausal;
    if (m_params.selfAttention) {
        mode = *m_params.selfAttention;
    } else {
        auto files = openSdModel(m_params.sample.model);
        if (!files) return files.status();
        if (files->temporal) mode = files->selfAttention;
    }
    auto model = loadSdModel(m_params.sample.model, {mode, true}, m_params.sample.compute);
    if (!model) return model.status();
    SdModel& sd = **model;
    const int f = sd.vae->downsampleFactor();
    int width = m_params.sample.width, height = m_params.sample.height;
    if (width <= 0 || height <= 0) {  // the clip's size, rounded down to the factor
        width = std::max(f, clip->frames[0].cols / f * f);
        height = std::max(f, clip->frames[0].rows / f * f);
    }
    WAFT_RETURN_IF_ERROR(checkSize(sd, width, height));
    m_input.clear();
    for (const cv::Mat& frame : clip->frames) {
        cv::Mat resized;
        cv::resize(frame, resized, cv::Size(width, height), 0, 0, cv::INTER_AREA);
        m_input.push_back(resized);
    }
    const int frames = int(m_input.size());
    torch::NoGradGuard noGrad;
    std::string warning;
    auto guidance = guidanceFor(sd, m_params.sample, warning);
    if (!guidance) return guidance.status();
    const torch::Tensor latents =
        vaeEncode(sd, framesToTensor(m_input, sd.compute.device), 1, m_params.sample.vaeTiling);
    // Inversion follows the conditional ODE (no guidance), as Tune-A-Video's and SAVE's do.
    SdGuidance inversionGuidance{guidance->conditional, {}, 1.0};
    const auto options = sdDdimOptions(m_params.sample.steps);
    const torch::Tensor noise = ml::ddimInvert(
        guidedEpsilon(sd, inversionGuidance, frames), latents, sdSchedule(), options, [&](int done, int total) {
            progress.report(0.1f + 0.4f * float(done) / float(total), "inverting");
            return cancel.isCancelled();
        });
    if (!noise.defined()) return Status::cancelled();
    const torch::Tensor back =
        ml::ddimSample(guidedEpsilon(sd, *guidance, frames), noise, sdSchedule(), options,
                       at::detail::createCPUGenerator(m_params.sample.seed), {}, [&](int done, int total) {
                           progress.report(0.5f + 0.45f * float(done) / float(total), "sampling back");
                           return cancel.isCancelled();
                       });
    if (!back.defined()) return Status::cancelled();
    progress.report(0.95f, "decoding");
    m_output = tensorToFrames(vaeDecode(sd, back, 1, m_params.sample.vaeTiling));
    double sumAbs = 0.0, sumSq = 0.0, count = 0.0;
    for (int i = 0; i < frames; ++i) {
        cv::Mat diff;
        cv::absdiff(m_input[size_t(i)], m_output[size_t(i)], diff);
        diff.convertTo(diff, CV_64F);
        sumAbs += cv::sum(diff)[0] + cv::sum(diff)[1] + cv::sum(diff)[2];
        const cv::Mat sq = diff.mul(diff);
        sumSq += cv::sum(sq)[0] + cv::sum(sq)[1] + cv::sum(sq)[2];
        count += double(diff.total()) * 3.0;
    }
    m_mae = sumAbs / count;
    const double mse = sumSq / count;
    m_psnr = mse > 0.0 ? 10.0 * std::log10(255.0 * 255.0 / mse) : 99.0;
    char text[160];
    std::snprintf(text, sizeof text, "%d frames at %dx%d, %d steps: reconstruction MAE %.2f levels, PSNR %.2f dB",
                  frames, width, height, m_params.sample.steps, m_mae, m_psnr);
    m_summary = text + (warning.empty() ? std::string() : "; " + warning);
    progress.report(1.0f, "done");
    return Status::ok();
}

}  // namespace waft::engine::sd
