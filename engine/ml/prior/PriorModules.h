#pragma once
// LibTorch modules of the motion prior. Engine-internal: only engine .cpp files and tests include this (it
// pulls in torch); nothing the UI includes does.

#include <torch/torch.h>

#include "ml/prior/PriorConfig.h"

namespace waft::engine::prior {

// GroupNorm in fp32 whatever autocast made of its input (CUDA autocast does this by itself; the CPU's does not,
// and its group_norm refuses bf16 input with fp32 weights).
torch::Tensor groupNorm32(torch::nn::GroupNorm& norm, const torch::Tensor& x);

// GroupNorm -> SiLU -> conv3x3, twice, with an additive embedding (timestep + frequency) in between;
// 1x1 skip when the channel count changes (LDM-style ResBlock). embedDim 0: no embedding (the VAE's blocks).
struct ResBlockImpl : torch::nn::Module {
    ResBlockImpl(int in, int out, int embedDim, int groups);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& embedding);
    torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
    torch::nn::Linear embed{nullptr};
};
TORCH_MODULE(ResBlock);

// Multi-head self-attention over the H*W positions of each image (matmul + softmax: LibTorch 1.13 has no
// public scaled_dot_product_attention).
struct SpatialAttentionImpl : torch::nn::Module {
    SpatialAttentionImpl(int channels, int heads, int groups);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::GroupNorm norm{nullptr};
    torch::nn::Conv2d qkv{nullptr}, out{nullptr};
    int heads;
};
TORCH_MODULE(SpatialAttention);

// GID §4.2 frequency attention: (B*K, C, H, W) -> (B*H*W, K, C), self-attention across the K frequency
// slices at every pixel, back. The output projection starts at zero so adding it to a stage-1 UNet does
// not change its predictions until stage 2 trains it.
struct FrequencyAttentionImpl : torch::nn::Module {
    FrequencyAttentionImpl(int channels, int heads, int groups);
    torch::Tensor forward(const torch::Tensor& x, int frequencies);
    torch::nn::GroupNorm norm{nullptr};
    torch::nn::Linear qkv{nullptr}, out{nullptr};
    int heads;
};
TORCH_MODULE(FrequencyAttention);

}  // namespace waft::engine::prior
