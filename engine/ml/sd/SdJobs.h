#pragma once
// Stable Diffusion's two user-facing jobs on the backbone: text-to-image (GenerateJob) and a clip inverted to
// noise with DDIM and sampled back under a prompt (InvertVideoJob), whose reconstruction error makes the
// inversion path measurable end to end. Both are Compute-lane Jobs with progress and cancel.

#include <opencv2/core/mat.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/Job.h"
#include "ml/prior/PriorConfig.h"
#include "ml/sd/SdConfig.h"

namespace waft::engine::sd {

struct SdSampleParams {
    std::string model;  // a diffusers folder or a single .safetensors checkpoint
    std::string prompt;
    std::string negative;  // the unconditional pass's prompt ("": the empty prompt, as SD does)
    int steps = 50;
    float guidance = 7.5f;  // CFG scale s: eps_u + s (eps_c - eps_u); 1 = no guidance
    unsigned long seed = 0;
    // Multiples of the VAE's factor (8 for SD 1.5), at most 2048 x 2048 and 65,536 latent positions (the
    // attention cost grows with their square).
    int width = 512, height = 512;
    VaeTiling vaeTiling;  // frames larger than a tile encode and decode in tiles
    prior::ComputeOptions compute;
};

class GenerateJob : public Job {
public:
    explicit GenerateJob(SdSampleParams params) : m_params(std::move(params)) {}
    std::string name() const override { return "generate image"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::string summary() const override { return m_summary; }
    const cv::Mat& image() const { return m_image; }  // 8-bit BGR, width x height

private:
    SdSampleParams m_params;
    cv::Mat m_image;
    std::string m_summary;
};

struct InvertParams {
    InvertParams() {
        sample.guidance = 1.0f;  // a reconstruction: the conditional ODE both ways
        sample.width = sample.height = 0;
    }
    SdSampleParams sample;  // prompt, steps, guidance of sampling back, size (0 x 0: the clip's, rounded down)
    std::string video;      // the clip to invert
    int frames = 8;         // from its start
    // Unset: a video model's own mode (waft_self_attention), else sparse-causal (Tune-A-Video).
    std::optional<FrameAttention> selfAttention;
};

class InvertVideoJob : public Job {
public:
    explicit InvertVideoJob(InvertParams params) : m_params(std::move(params)) {}
    std::string name() const override { return "invert video"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::string summary() const override { return m_summary; }
    const std::vector<cv::Mat>& input() const { return m_input; }            // the frames inverted, at the work size
    const std::vector<cv::Mat>& reconstruction() const { return m_output; }  // sampled back from the inverted noise
    double meanAbsoluteError() const { return m_mae; }                       // 8-bit levels, over every pixel
    double psnr() const { return m_psnr; }

private:
    InvertParams m_params;
    std::vector<cv::Mat> m_input, m_output;
    double m_mae = 0.0, m_psnr = 0.0;
    std::string m_summary;
};

}  // namespace waft::engine::sd
