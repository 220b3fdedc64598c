#include "ml/sd/AutoencoderKl.h"

#include <algorithm>
#include <vector>

namespace waft::engine::sd {

namespace nn = torch::nn;

AutoencoderKlImpl::AutoencoderKlImpl(VaeKlConfig cfg) : config(std::move(cfg)) {
    m_encoder = buildSide("encoder", true);
    const int z = config.latentChannels;
    m_quant = register_module("quant_conv", nn::Conv2d(nn::Conv2dOptions(2 * z, 2 * z, 1)));
    m_postQuant = register_module("post_quant_conv", nn::Conv2d(nn::Conv2dOptions(z, z, 1)));
    m_decoder = buildSide("decoder", false);
}

AutoencoderKlImpl::Side AutoencoderKlImpl::buildSide(const std::string& name, bool encoder) {
    const auto& ch = config.channels;
    const int levels = int(ch.size()), c0 = ch.front(), top = ch.back(), g = config.groups;
    const double eps = 1e-6;
    auto root = register_module(name, container());
    Side s;
    s.convIn = root->register_module(
        "conv_in",
        nn::Conv2d(nn::Conv2dOptions(encoder ? config.imageChannels : config.latentChannels, encoder ? c0 : top, 3)
                       .padding(1)));
    nn::ModuleList blocks;
    for (int i = 0; i < levels; ++i) {
        const int level = encoder ? i : levels - 1 - i;
        const int out = ch[level];
        const int first = encoder ? (i > 0 ? ch[i - 1] : c0) : (i > 0 ? ch[level + 1] : top);
        const int count = encoder ? config.layersPerBlock : config.layersPerBlock + 1;
        auto block = container();
        nn::ModuleList resnets;
        std::vector<ResnetBlock> blockResnets;
        for (int j = 0; j < count; ++j) {
            blockResnets.push_back(ResnetBlock(j > 0 ? out : first, out, 0, g, eps));
            resnets->push_back(blockResnets.back());
        }
        block->register_module("resnets", resnets);
        nn::Conv2d sampler{nullptr};
        if (i + 1 < levels) {
            // Down: stride 2 after a (0, 1, 0, 1) pad; up: nearest 2x then a padded conv.
            sampler = encoder ? nn::Conv2d(nn::Conv2dOptions(out, out, 3).stride(2))
                              : nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1));
            block->register_module(encoder ? "downsamplers" : "upsamplers", container())
                ->register_module("0", container())
                ->register_module("conv", sampler);
        }
        s.levels.push_back(std::move(blockResnets));
        s.samplers.push_back(sampler);
        blocks->push_back(block);
    }
    auto mid = root->register_module("mid_block", container());
    s.mid0 = ResnetBlock(top, top, 0, g, eps);
    s.mid1 = ResnetBlock(top, top, 0, g, eps);
    nn::ModuleList midResnets, midAttentions;
    midResnets->push_back(s.mid0);
    midResnets->push_back(s.mid1);
    // One head over all channels, q/k/v with bias, GroupNorm first (diffusers' VAE attention).
    auto attention = container();
    s.attnNorm = attention->register_module("group_norm", nn::GroupNorm(nn::GroupNormOptions(g, top).eps(eps)));
    s.attention = Attention(top, top, 1, true);
    for (const auto& child : s.attention->named_children()) attention->register_module(child.key(), child.value());
    midAttentions->push_back(attention);
    mid->register_module("attentions", midAttentions);
    mid->register_module("resnets", midResnets);
    root->register_module(encoder ? "down_blocks" : "up_blocks", blocks);
    s.normOut =
        root->register_module("conv_norm_out", nn::GroupNorm(nn::GroupNormOptions(g, encoder ? top : c0).eps(eps)));
    s.convOut = root->register_module(
        "conv_out",
        nn::Conv2d(nn::Conv2dOptions(encoder ? top : c0, encoder ? 2 * config.latentChannels : config.imageChannels, 3)
                       .padding(1)));
    return s;
}

torch::Tensor AutoencoderKlImpl::midBlock(Side& s, torch::Tensor h) {
    h = s.mid0->forward(h);
    const int64_t n = h.size(0), c = h.size(1), hh = h.size(2), w = h.size(3);
    const torch::Tensor tokens = groupNormF32(s.attnNorm, h).flatten(2).transpose(1, 2);  // [N, HW, C]
    h = h + s.attention->forward(tokens).transpose(1, 2).reshape({n, c, hh, w});
    return s.mid1->forward(h);
}

std::pair<torch::Tensor, torch::Tensor> AutoencoderKlImpl::encodeMoments(const torch::Tensor& x) {
    torch::Tensor h = m_encoder.convIn(x);
    for (size_t i = 0; i < m_encoder.levels.size(); ++i) {
        for (auto& r : m_encoder.levels[i]) h = r->forward(h);
        if (m_encoder.samplers[i]) h = downsample(m_encoder.samplers[i], h, true);
    }
    h = midBlock(m_encoder, h);
    h = m_encoder.convOut(torch::silu(groupNormF32(m_encoder.normOut, h)));
    const auto moments = m_quant(h).chunk(2, 1);
    return {moments[0], moments[1].clamp(-30.0, 20.0)};  // diffusers clamps the log-variance the same way
}

torch::Tensor AutoencoderKlImpl::encodeSlice(const torch::Tensor& x) {
    return encodeMoments(x).first * config.scalingFactor;  // the posterior's mean
}

torch::Tensor AutoencoderKlImpl::decodeSlice(const torch::Tensor& latents) {
    return decodeUnscaled(latents / config.scalingFactor);
}

torch::Tensor AutoencoderKlImpl::decodeUnscaled(const torch::Tensor& latents) {
    torch::Tensor h = m_decoder.convIn(m_postQuant(latents));
    h = midBlock(m_decoder, h);
    for (size_t i = 0; i < m_decoder.levels.size(); ++i) {
        for (auto& r : m_decoder.levels[i]) h = r->forward(h);
        if (m_decoder.samplers[i]) h = upsample(m_decoder.samplers[i], h);
    }
    return m_decoder.convOut(torch::silu(groupNormF32(m_decoder.normOut, h)));
}

namespace {

// The tiles along an axis of `length`: as few as cover it with neighbours sharing at least `overlap`, each
// shrunk to the smallest size that still does (so a frame just over one tile does not pay for whole tiles), spread
// evenly, the last one flush with the end; all in multiples of `unit` (the VAE's factor when encoding).
struct TileAxis {
    int64_t size = 0;
    std::vector<int64_t> starts;
};

TileAxis tileAxis(int64_t length, int64_t tile, int64_t overlap, int64_t unit) {
    const int64_t l = length / unit, t = tile / unit, o = overlap / unit;
    if (l <= t) return {length, {0}};
    const int64_t n = (l - o + (t - o) - 1) / (t - o);
    TileAxis axis;
    axis.size = std::min(t, (l + (n - 1) * o + n - 1) / n) * unit;
    const int64_t span = l - axis.size / unit;
    for (int64_t i = 0; i < n; ++i) axis.starts.push_back(span * i / (n - 1) * unit);
    return axis;
}

// A tile's blend weight along one axis of its output: 1 inside, a linear ramp over `ramp` pixels at every edge
// that borders another tile (not at the frame's border). Neighbours overlap by at least `ramp`, so the weights
// of all tiles are positive everywhere and the blend is their normalised sum.
torch::Tensor axisWeights(int64_t start, int64_t size, int64_t length, int64_t ramp, const torch::TensorOptions& o) {
    const torch::Tensor x = torch::arange(size, o) + 0.5;
    torch::Tensor w = torch::ones({size}, o);
    if (start > 0) w = torch::minimum(w, x / double(ramp));
    if (start + size < length) w = torch::minimum(w, (double(size) - x) / double(ramp));
    return w;
}

// Runs `run` over overlapping tiles of x [N, C, H, W] (`tile` and `overlap` in x's pixels, multiples of `den`)
// whose outputs are `num / den` times their input's size, blending them into one output. Only one tile's activations
// live at once.
template <typename Run>
torch::Tensor runTiled(const torch::Tensor& x, int64_t tile, int64_t overlap, int64_t num, int64_t den, Run run) {
    const int64_t h = x.size(2), w = x.size(3);
    const TileAxis rows = tileAxis(h, tile, overlap, den), cols = tileAxis(w, tile, overlap, den);
    torch::Tensor sum, weight;
    for (const int64_t r : rows.starts) {
        for (const int64_t c : cols.starts) {
            const int64_t th = rows.size, tw = cols.size;
            const torch::Tensor out = run(x.narrow(2, r, th).narrow(3, c, tw)).to(torch::kFloat32);
            if (!sum.defined()) {
                sum = torch::zeros({out.size(0), out.size(1), h * num / den, w * num / den}, out.options());
                weight = torch::zeros({1, 1, h * num / den, w * num / den}, out.options());
            }
            const auto o = out.options();
            const int64_t ramp = std::max<int64_t>(1, overlap * num / den);
            const torch::Tensor wy = axisWeights(r * num / den, out.size(2), sum.size(2), ramp, o);
            const torch::Tensor wx = axisWeights(c * num / den, out.size(3), sum.size(3), ramp, o);
            const torch::Tensor tw2 = (wy.unsqueeze(1) * wx.unsqueeze(0)).view({1, 1, out.size(2), out.size(3)});
            sum.narrow(2, r * num / den, out.size(2)).narrow(3, c * num / den, out.size(3)).add_(out * tw2);
            weight.narrow(2, r * num / den, out.size(2)).narrow(3, c * num / den, out.size(3)).add_(tw2);
        }
    }
    return (sum / weight).to(x.scalar_type());
}

int64_t clampedOverlap(const VaeTiling& t) { return std::clamp<int64_t>(t.overlap, 0, std::max(0, t.tile / 2 - 1)); }

}  // namespace

torch::Tensor AutoencoderKlImpl::encode(const torch::Tensor& images, int slice, const VaeTiling& tiling) {
    const int64_t f = downsampleFactor(), tile = int64_t(tiling.tile) * f, overlap = clampedOverlap(tiling) * f;
    const bool tiled = tiling.tile > 0 && (images.size(2) > tile || images.size(3) > tile);
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < images.size(0); i += std::max(1, slice)) {
        const torch::Tensor part = images.narrow(0, i, std::min<int64_t>(std::max(1, slice), images.size(0) - i));
        out.push_back(tiled
                          ? runTiled(part, tile, overlap, 1, f, [&](const torch::Tensor& t) { return encodeSlice(t); })
                          : encodeSlice(part));
    }
    return torch::cat(out, 0);
}

torch::Tensor AutoencoderKlImpl::decode(const torch::Tensor& latents, int slice, const VaeTiling& tiling) {
    const int64_t f = downsampleFactor(), tile = tiling.tile, overlap = clampedOverlap(tiling);
    const bool tiled = tile > 0 && (latents.size(2) > tile || latents.size(3) > tile);
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < latents.size(0); i += std::max(1, slice)) {
        const torch::Tensor part = latents.narrow(0, i, std::min<int64_t>(std::max(1, slice), latents.size(0) - i));
        out.push_back(tiled
                          ? runTiled(part, tile, overlap, f, 1, [&](const torch::Tensor& t) { return decodeSlice(t); })
                          : decodeSlice(part));
    }
    return torch::cat(out, 0);
}

}  // namespace waft::engine::sd
