#pragma once
// The motion VAE and the frequency-coordinated denoiser (GID §4). Engine-internal (pulls in torch).

#include <torch/torch.h>

#include "ml/prior/PriorConfig.h"
#include "ml/prior/PriorModules.h"

namespace waft::engine::prior {

// Motion VAE over one 4-channel frequency slice (GID §4.1): [N, 4, H, W] <-> [N, 4, H/f, W/f] latent with
// f = 2^(levels-1). encode() returns (mean, log-variance).
struct MotionVaeImpl : torch::nn::Module {
    explicit MotionVaeImpl(VaeConfig config);
    std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& x);
    torch::Tensor decode(const torch::Tensor& z);
    int downsampleFactor() const { return 1 << (int(config.channels.size()) - 1); }
    VaeConfig config;
    torch::nn::Conv2d encIn{nullptr}, encOut{nullptr}, decIn{nullptr}, decOut{nullptr};
    torch::nn::GroupNorm encNorm{nullptr}, decNorm{nullptr};
    std::vector<ResBlock> encBlocks, decBlocks;
    std::vector<torch::nn::Conv2d> downs, ups;
};
TORCH_MODULE(MotionVae);

// LDM-style UNet denoiser on frequency slices (GID §4.2): input (B*K) latents, each with its timestep and
// frequency index (embedded and added), conditioned by concatenating the reference-image condition. With
// config.frequencyAttention, every block is followed by attention across the K slices of a sample.
struct DenoiserUNetImpl : torch::nn::Module {
    explicit DenoiserUNetImpl(UNetConfig config);
    // x [B*K, C, h, w]; t [B*K] timesteps; frequency [B*K] band indices (long); condition [B*K, Cc, h, w]
    // (zeros = unconditional); K slices per sample. Returns the predicted noise, x's shape.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& frequency,
                          const torch::Tensor& condition, int frequencies);
    // Parameters of the frequency-attention layers only (what stage 2 trains).
    std::vector<torch::Tensor> frequencyAttentionParameters();

    UNetConfig config;
    struct Block {
        ResBlock res{nullptr};
        SpatialAttention spatial{nullptr};
        FrequencyAttention frequency{nullptr};
    };
    torch::nn::Linear timeIn{nullptr}, timeOut{nullptr};
    torch::nn::Embedding frequencyEmbedding{nullptr};
    torch::nn::Conv2d convIn{nullptr}, convOut{nullptr};
    torch::nn::GroupNorm normOut{nullptr};
    std::vector<std::vector<Block>> down, up;
    std::vector<Block> middle;
    std::vector<torch::nn::Conv2d> downsamples, upsamples;

private:
    Block makeBlock(const std::string& name, int in, int out, bool spatial);
    torch::Tensor runBlock(Block& block, torch::Tensor h, const torch::Tensor& embedding, int frequencies);
};
TORCH_MODULE(DenoiserUNet);

}  // namespace waft::engine::prior
