#pragma once
// Stable Diffusion's VAE (diffusers AutoencoderKL) with diffusers' module names: images in [-1, 1] to 4-channel
// latents scaled by 0.18215 and back. Encoding and decoding run a slice of frames at a time so a clip's
// activations never all live at once, and frames larger than a tile run as overlapping tiles blended across
// their overlap, so a frame's activations are bounded by the tile's. Engine-internal (pulls in torch).

#include <torch/torch.h>

#include "ml/sd/SdConfig.h"
#include "ml/sd/SdLayers.h"

namespace waft::engine::sd {

struct AutoencoderKlImpl : torch::nn::Module {
    explicit AutoencoderKlImpl(VaeKlConfig config);
    // images [N, 3, H, W] in [-1, 1] -> the posterior's mean times the scaling factor [N, 4, H/f, W/f];
    // `slice` images at a time (f = 2^(levels - 1); H and W multiples of f).
    torch::Tensor encode(const torch::Tensor& images, int slice = 1, const VaeTiling& tiling = {});
    // latents (scaled) -> images [N, 3, H, W], unclamped.
    torch::Tensor decode(const torch::Tensor& latents, int slice = 1, const VaeTiling& tiling = {});
    int downsampleFactor() const { return 1 << (int(config.channels.size()) - 1); }
    // Training: the posterior's mean and log-variance of images (unscaled latents), and decoding unscaled latents.
    std::pair<torch::Tensor, torch::Tensor> encodeMoments(const torch::Tensor& images);
    torch::Tensor decodeUnscaled(const torch::Tensor& latents);

    VaeKlConfig config;

private:
    struct Side {
        torch::nn::Conv2d convIn{nullptr}, convOut{nullptr};
        std::vector<std::vector<ResnetBlock>> levels;
        std::vector<torch::nn::Conv2d> samplers;
        ResnetBlock mid0{nullptr}, mid1{nullptr};
        torch::nn::GroupNorm attnNorm{nullptr}, normOut{nullptr};
        Attention attention{nullptr};
    };
    Side buildSide(const std::string& name, bool encoder);
    torch::Tensor midBlock(Side& side, torch::Tensor h);
    torch::Tensor encodeSlice(const torch::Tensor& x);
    torch::Tensor decodeSlice(const torch::Tensor& z);
    Side m_encoder, m_decoder;
    torch::nn::Conv2d m_quant{nullptr}, m_postQuant{nullptr};
};
TORCH_MODULE(AutoencoderKl);

}  // namespace waft::engine::sd
