#include "ml/prior/PriorModules.h"

#include "ml/common/Attention.h"

namespace waft::engine::prior {

namespace nn = torch::nn;

torch::Tensor groupNorm32(torch::nn::GroupNorm& norm, const torch::Tensor& x) { return norm(x.to(torch::kFloat32)); }

ResBlockImpl::ResBlockImpl(int in, int out, int embedDim, int groups) {
    norm1 = register_module("norm1", nn::GroupNorm(nn::GroupNormOptions(groups, in)));
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)));
    if (embedDim > 0) embed = register_module("embed", nn::Linear(embedDim, out));
    norm2 = register_module("norm2", nn::GroupNorm(nn::GroupNormOptions(groups, out)));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1)));
    if (in != out) skip = register_module("skip", nn::Conv2d(nn::Conv2dOptions(in, out, 1)));
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& embedding) {
    torch::Tensor h = conv1(torch::silu(groupNorm32(norm1, x)));
    if (embed) h = h + embed(torch::silu(embedding)).unsqueeze(-1).unsqueeze(-1);
    h = conv2(torch::silu(groupNorm32(norm2, h)));
    return (skip ? skip(x) : x) + h;
}

SpatialAttentionImpl::SpatialAttentionImpl(int channels, int heads_, int groups) : heads(heads_) {
    norm = register_module("norm", nn::GroupNorm(nn::GroupNormOptions(groups, channels)));
    qkv = register_module("qkv", nn::Conv2d(nn::Conv2dOptions(channels, 3 * channels, 1)));
    out = register_module("out", nn::Conv2d(nn::Conv2dOptions(channels, channels, 1)));
}

torch::Tensor SpatialAttentionImpl::forward(const torch::Tensor& x) {
    const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    const auto parts = qkv(groupNorm32(norm, x)).reshape({b, 3, c, h * w}).permute({1, 0, 3, 2});  // [3, B, HW, C]
    const torch::Tensor attended = ml::attention(parts[0], parts[1], parts[2], heads);             // [B, HW, C]
    return x + out(attended.transpose(1, 2).reshape({b, c, h, w}));
}

FrequencyAttentionImpl::FrequencyAttentionImpl(int channels, int heads_, int groups) : heads(heads_) {
    norm = register_module("norm", nn::GroupNorm(nn::GroupNormOptions(groups, channels)));
    qkv = register_module("qkv", nn::Linear(channels, 3 * channels));
    out = register_module("out", nn::Linear(channels, channels));
    torch::NoGradGuard noGrad;
    out->weight.zero_();
    out->bias.zero_();
}

torch::Tensor FrequencyAttentionImpl::forward(const torch::Tensor& x, int frequencies) {
    const int64_t bk = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), b = bk / frequencies;
    // (B*K, C, H, W) -> (B, K, C, H, W) -> (B, H, W, K, C) -> (B*H*W, K, C)
    const torch::Tensor tokens = groupNorm32(norm, x)
                                     .reshape({b, frequencies, c, h, w})
                                     .permute({0, 3, 4, 1, 2})
                                     .reshape({b * h * w, frequencies, c});
    const auto parts = qkv(tokens).chunk(3, -1);
    const torch::Tensor attended = out(ml::attention(parts[0], parts[1], parts[2], heads));  // [BHW, K, C]
    return x + attended.reshape({b, h, w, frequencies, c}).permute({0, 3, 4, 1, 2}).reshape({bk, c, h, w});
}

}  // namespace waft::engine::prior
