#include "ml/sd/SdUNet.h"

#include "ml/common/Attention.h"
#include "ml/common/Checkpoint.h"

namespace waft::engine::sd {

namespace nn = torch::nn;

SdUNetImpl::SdUNetImpl(SdUNetConfig cfg, InflationConfig inflate) : config(std::move(cfg)), inflation(inflate) {
    const auto& ch = config.channels;
    const int levels = int(ch.size()), L = config.layersPerBlock, temb = config.timeEmbedDim();
    const int c0 = ch.front(), ctx = config.crossAttentionDim, heads = config.heads, g = config.groups;
    const bool temporal = inflation.temporalAttention;
    const auto attentionAt = [&](int level) {
        return level < int(config.crossAttention.size()) && config.crossAttention[level];
    };
    m_convIn = register_module("conv_in", nn::Conv2d(nn::Conv2dOptions(config.inChannels, c0, 3).padding(1)));
    auto time = register_module("time_embedding", container());
    m_time1 = time->register_module("linear_1", nn::Linear(c0, temb));
    m_time2 = time->register_module("linear_2", nn::Linear(temb, temb));

    nn::ModuleList downBlocks;
    for (int i = 0; i < levels; ++i) {
        Level level;
        auto block = container();
        nn::ModuleList resnets, attentions;
        for (int j = 0; j < L; ++j) {
            const int in = j > 0 ? ch[i] : (i > 0 ? ch[i - 1] : c0);
            level.resnets.push_back(ResnetBlock(in, ch[i], temb, g, 1e-5));
            resnets->push_back(level.resnets.back());
            if (attentionAt(i)) {
                level.attentions.push_back(Transformer2D(ch[i], ctx, heads, g, temporal));
                attentions->push_back(level.attentions.back());
            }
        }
        block->register_module("resnets", resnets);
        if (attentionAt(i)) block->register_module("attentions", attentions);
        if (i + 1 < levels) {
            level.sampler = nn::Conv2d(nn::Conv2dOptions(ch[i], ch[i], 3).stride(2).padding(1));
            auto samplers = container();
            samplers->register_module("0", container())->register_module("conv", level.sampler);
            block->register_module("downsamplers", samplers);
        }
        downBlocks->push_back(block);
        m_down.push_back(std::move(level));
    }
    register_module("down_blocks", downBlocks);

    const int top = ch.back();
    auto mid = register_module("mid_block", container());
    nn::ModuleList midResnets, midAttentions;
    m_mid0 = ResnetBlock(top, top, temb, g, 1e-5);
    m_midAttention = Transformer2D(top, ctx, heads, g, temporal);
    m_mid1 = ResnetBlock(top, top, temb, g, 1e-5);
    midResnets->push_back(m_mid0);
    midResnets->push_back(m_mid1);
    midAttentions->push_back(m_midAttention);
    mid->register_module("attentions", midAttentions);
    mid->register_module("resnets", midResnets);

    nn::ModuleList upBlocks;
    for (int i = 0; i < levels; ++i) {
        const int d = levels - 1 - i;  // the down level this one mirrors
        Level level;
        auto block = container();
        nn::ModuleList resnets, attentions;
        const int prev = i > 0 ? ch[d + 1] : top, skipLast = d > 0 ? ch[d - 1] : c0;
        for (int j = 0; j <= L; ++j) {
            const int in = (j > 0 ? ch[d] : prev) + (j == L ? skipLast : ch[d]);
            level.resnets.push_back(ResnetBlock(in, ch[d], temb, g, 1e-5));
            resnets->push_back(level.resnets.back());
            if (attentionAt(d)) {
                level.attentions.push_back(Transformer2D(ch[d], ctx, heads, g, temporal));
                attentions->push_back(level.attentions.back());
            }
        }
        block->register_module("resnets", resnets);
        if (attentionAt(d)) block->register_module("attentions", attentions);
        if (i + 1 < levels) {
            level.sampler = nn::Conv2d(nn::Conv2dOptions(ch[d], ch[d], 3).padding(1));
            auto samplers = container();
            samplers->register_module("0", container())->register_module("conv", level.sampler);
            block->register_module("upsamplers", samplers);
        }
        upBlocks->push_back(block);
        m_up.push_back(std::move(level));
    }
    register_module("up_blocks", upBlocks);
    m_normOut = register_module("conv_norm_out", nn::GroupNorm(nn::GroupNormOptions(g, c0).eps(1e-5)));
    m_convOut = register_module("conv_out", nn::Conv2d(nn::Conv2dOptions(c0, config.outChannels, 3).padding(1)));
}

torch::Tensor SdUNetImpl::resnet(ResnetBlock& block, const torch::Tensor& h, const torch::Tensor& temb) {
    if (!gradientCheckpointing || !is_training()) return block->forward(h, temb);
    return ml::checkpointed(
        [impl = block.ptr()](const std::vector<torch::Tensor>& in) { return impl->forward(in[0], in[1]); }, {h, temb});
}

torch::Tensor SdUNetImpl::transformer(Transformer2D& block, const torch::Tensor& h, const torch::Tensor& context,
                                      int frames) {
    const FrameAttention mode = inflation.selfAttention;
    if (!gradientCheckpointing || !is_training()) return block->forward(h, context, frames, mode);
    return ml::checkpointed(
        [impl = block.ptr(), frames, mode](const std::vector<torch::Tensor>& in) {
            return impl->forward(in[0], in[1], frames, mode);
        },
        {h, context});
}

torch::Tensor SdUNetImpl::runLevel(Level& level, torch::Tensor h, const torch::Tensor& temb,
                                   const torch::Tensor& context, int frames, std::vector<torch::Tensor>* skips,
                                   std::vector<torch::Tensor>* consume) {
    for (size_t j = 0; j < level.resnets.size(); ++j) {
        if (consume) {
            h = torch::cat({h, consume->back()}, 1);
            consume->pop_back();
        }
        h = resnet(level.resnets[j], h, temb);
        if (!level.attentions.empty()) h = transformer(level.attentions[j], h, context, frames);
        if (skips) skips->push_back(h);
    }
    return h;
}

torch::Tensor SdUNetImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& context,
                                  int frames) {
    const int64_t n = x.size(0);
    const torch::Tensor steps = t.numel() == 1 ? t.reshape({1}).expand({n}) : t;
    const torch::Tensor emb = ml::timestepEmbedding(steps, config.channels.front()).to(x.scalar_type());
    const torch::Tensor temb = m_time2(torch::silu(m_time1(emb)));

    torch::Tensor h = m_convIn(x);
    std::vector<torch::Tensor> skips{h};
    for (Level& level : m_down) {
        h = runLevel(level, h, temb, context, frames, &skips, nullptr);
        if (level.sampler) {
            h = downsample(level.sampler, h, false);
            skips.push_back(h);
        }
    }
    h = resnet(m_mid0, h, temb);
    h = transformer(m_midAttention, h, context, frames);
    h = resnet(m_mid1, h, temb);
    for (Level& level : m_up) {
        h = runLevel(level, h, temb, context, frames, nullptr, &skips);
        if (level.sampler) h = upsample(level.sampler, h, skips.back().sizes().slice(2));
    }
    return m_convOut(torch::silu(groupNormF32(m_normOut, h)));
}

}  // namespace waft::engine::sd
