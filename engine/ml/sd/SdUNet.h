#pragma once
// Stable Diffusion 1.5's UNet2DConditionModel with diffusers' module names, and its inflation to video: frames
// fold into the batch for convolutions and cross-attention, self-attention sees the frames `InflationConfig` says,
// and inflated transformer blocks add temporal attention (Tune-A-Video). A model built with temporal attention
// off and per-frame self-attention is the image UNet. Engine-internal (pulls in torch).

#include <torch/torch.h>

#include "ml/sd/SdConfig.h"
#include "ml/sd/SdLayers.h"

namespace waft::engine::sd {

struct SdUNetImpl : torch::nn::Module {
    explicit SdUNetImpl(SdUNetConfig config, InflationConfig inflation = {FrameAttention::PerFrame, false});
    // x [B*F, C, H, W] latents (F frames per clip, frame-major), t [B*F] or [1] timesteps, context
    // [B*F, Lc, crossAttentionDim] text states; returns the predicted noise, x's shape. H and W must be
    // multiples of 2^(levels - 1).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& context, int frames = 1);

    SdUNetConfig config;
    InflationConfig inflation;
    // Fine-tuning: in training mode, every resnet and transformer block keeps only its input and runs again in
    // the backward (ml/common/Checkpoint.h). Same gradients, activation memory of one block per level.
    bool gradientCheckpointing = false;

private:
    struct Level {
        std::vector<ResnetBlock> resnets;
        std::vector<Transformer2D> attentions;
        torch::nn::Conv2d sampler{nullptr};
    };
    torch::Tensor resnet(ResnetBlock& block, const torch::Tensor& h, const torch::Tensor& temb);
    torch::Tensor transformer(Transformer2D& block, const torch::Tensor& h, const torch::Tensor& context, int frames);
    torch::Tensor runLevel(Level& level, torch::Tensor h, const torch::Tensor& temb, const torch::Tensor& context,
                           int frames, std::vector<torch::Tensor>* skips, std::vector<torch::Tensor>* consume);
    torch::nn::Conv2d m_convIn{nullptr}, m_convOut{nullptr};
    torch::nn::Linear m_time1{nullptr}, m_time2{nullptr};
    torch::nn::GroupNorm m_normOut{nullptr};
    std::vector<Level> m_down, m_up;
    ResnetBlock m_mid0{nullptr}, m_mid1{nullptr};
    Transformer2D m_midAttention{nullptr};
};
TORCH_MODULE(SdUNet);

}  // namespace waft::engine::sd
