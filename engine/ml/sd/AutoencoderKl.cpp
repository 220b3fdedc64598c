#include "ml/sd/AutoencoderKl.h"

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

torch::Tensor AutoencoderKlImpl::encode(const torch::Tensor& images, int slice) {
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < images.size(0); i += std::max(1, slice))
        out.push_back(encodeSlice(images.narrow(0, i, std::min<int64_t>(std::max(1, slice), images.size(0) - i))));
    return torch::cat(out, 0);
}

torch::Tensor AutoencoderKlImpl::decode(const torch::Tensor& latents, int slice) {
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < latents.size(0); i += std::max(1, slice))
        out.push_back(decodeSlice(latents.narrow(0, i, std::min<int64_t>(std::max(1, slice), latents.size(0) - i))));
    return torch::cat(out, 0);
}

}  // namespace waft::engine::sd
