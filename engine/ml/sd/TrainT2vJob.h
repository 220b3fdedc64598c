#pragma once
// Trains Stable Diffusion's classes at a tiny size on the TinyWorld (ml/sd/TinyWorld.h), proving the backbone
// learns where no real weights exist: stage "vae" (AutoencoderKL on frames: L1 + MSE + 1e-6 KL, then the latent
// scale set to 1 / std), stage "image" (text encoder and UNet, text-to-image on single frames: epsilon MSE,
// 10% empty captions for CFG), stage "video" (the UNet inflated with sparse-causal self-attention and temporal
// attention, trained on whole clips). Each stage writes DIR/<stage>.safetensors (an SD single file that
// generate, invert and bench-t2v read) with its training state, checkpoints every N steps and resumes exactly:
// every step's data and noise are functions of (seed, stage, step), and AdamW's moments are saved.

#include <string>

#include "core/Job.h"
#include "ml/prior/PriorConfig.h"
#include "ml/sd/SdConfig.h"
#include "ml/sd/TinyWorld.h"

namespace waft::engine::sd {

struct T2vRunParams {
    WorldClipParams clip;  // 32 x 32, 8 frames
    int vaeSteps = 400, imageSteps = 1200, videoSteps = 1200;
    int batch = 8;  // frames per step (vae, image); clips per step are batch / 2 (video)
    float learningRate = 5e-4f;
    unsigned seed = 0;
    int checkpointEvery = 200;  // 0: only at the end of a stage
    bool resume = false;
    prior::ComputeOptions compute;
};

// The tiny configuration: CLIP's real vocabulary with a 2-layer, 64-wide text tower over 16 tokens, a two-level
// VAE (factor 2), a two-level UNet of 64 and 128 channels with cross-attention on both.
SdConfig t2vTinyConfig();

class TrainT2vJob : public Job {
public:
    TrainT2vJob(std::string outDir, T2vRunParams params) : m_dir(std::move(outDir)), m_params(params) {}
    std::string name() const override { return "train text-to-video"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::optional<JobSpec> resumeSpec() const override;
    std::string summary() const override { return m_summary; }
    static std::string stagePath(const std::string& dir, const std::string& stage);  // DIR/<stage>.safetensors

private:
    std::string m_dir;
    T2vRunParams m_params;
    std::string m_summary;
};

}  // namespace waft::engine::sd
