#include "ml/prior/MotionModels.h"

#include <algorithm>

#include "ml/common/Attention.h"

namespace waft::engine::prior {

namespace nn = torch::nn;

MotionVaeImpl::MotionVaeImpl(VaeConfig cfg) : config(std::move(cfg)) {
    const auto& ch = config.channels;
    const int levels = int(ch.size());
    encIn = register_module("enc_in", nn::Conv2d(nn::Conv2dOptions(config.inChannels, ch[0], 3).padding(1)));
    for (int l = 0; l < levels; ++l) {
        encBlocks.push_back(
            register_module("enc_block" + std::to_string(l),
                            ResBlock(l == 0 ? ch[0] : ch[size_t(l - 1)], ch[size_t(l)], 0, config.groups)));
        if (l + 1 < levels)
            downs.push_back(
                register_module("down" + std::to_string(l),
                                nn::Conv2d(nn::Conv2dOptions(ch[size_t(l)], ch[size_t(l)], 3).stride(2).padding(1))));
    }
    encNorm = register_module("enc_norm", nn::GroupNorm(nn::GroupNormOptions(config.groups, ch.back())));
    encOut =
        register_module("enc_out", nn::Conv2d(nn::Conv2dOptions(ch.back(), 2 * config.latentChannels, 3).padding(1)));
    decIn = register_module("dec_in", nn::Conv2d(nn::Conv2dOptions(config.latentChannels, ch.back(), 3).padding(1)));
    for (int l = levels - 1; l >= 0; --l) {
        decBlocks.push_back(register_module(
            "dec_block" + std::to_string(l),
            ResBlock(l == levels - 1 ? ch.back() : ch[size_t(l + 1)], ch[size_t(l)], 0, config.groups)));
        if (l > 0)
            ups.push_back(register_module("up" + std::to_string(l),
                                          nn::Conv2d(nn::Conv2dOptions(ch[size_t(l)], ch[size_t(l)], 3).padding(1))));
    }
    decNorm = register_module("dec_norm", nn::GroupNorm(nn::GroupNormOptions(config.groups, ch[0])));
    decOut = register_module("dec_out", nn::Conv2d(nn::Conv2dOptions(ch[0], config.inChannels, 3).padding(1)));
}

std::pair<torch::Tensor, torch::Tensor> MotionVaeImpl::encode(const torch::Tensor& x) {
    torch::Tensor h = encIn(x);
    for (size_t l = 0; l < encBlocks.size(); ++l) {
        h = encBlocks[l](h, torch::Tensor());
        if (l < downs.size()) h = downs[l](h);
    }
    const auto moments = encOut(torch::silu(groupNorm32(encNorm, h))).chunk(2, 1);
    return {moments[0], moments[1].clamp(-30.0, 20.0)};
}

torch::Tensor MotionVaeImpl::decode(const torch::Tensor& z) {
    torch::Tensor h = decIn(z);
    for (size_t i = 0; i < decBlocks.size(); ++i) {
        h = decBlocks[i](h, torch::Tensor());
        if (i < ups.size()) h = ups[i](torch::upsample_nearest2d(h, c10::nullopt, std::vector<double>{2.0, 2.0}));
    }
    return decOut(torch::silu(groupNorm32(decNorm, h)));
}

DenoiserUNetImpl::Block DenoiserUNetImpl::makeBlock(const std::string& name, int in, int out, bool spatial) {
    const int embedDim = 4 * config.modelChannels;
    Block block;
    block.res = register_module(name + "_res", ResBlock(in, out, embedDim, config.groups));
    if (spatial) block.spatial = register_module(name + "_attn", SpatialAttention(out, config.heads, config.groups));
    if (config.frequencyAttention)
        block.frequency = register_module(name + "_freq_attn", FrequencyAttention(out, config.heads, config.groups));
    return block;
}

DenoiserUNetImpl::DenoiserUNetImpl(UNetConfig cfg) : config(std::move(cfg)) {
    const int mc = config.modelChannels, embedDim = 4 * mc;
    timeIn = register_module("time_in", nn::Linear(mc, embedDim));
    timeOut = register_module("time_out", nn::Linear(embedDim, embedDim));
    frequencyEmbedding = register_module("frequency_embedding", nn::Embedding(config.maxFrequencies, embedDim));
    convIn = register_module(
        "conv_in", nn::Conv2d(nn::Conv2dOptions(config.latentChannels + config.conditionChannels, mc, 3).padding(1)));
    const int levels = int(config.channelMults.size());
    const auto hasAttention = [&](int level) {
        return std::find(config.attentionLevels.begin(), config.attentionLevels.end(), level) !=
               config.attentionLevels.end();
    };
    int ch = mc;
    std::vector<int> skips;
    for (int l = 0; l < levels; ++l) {
        std::vector<Block> level;
        for (int r = 0; r < config.resBlocksPerLevel; ++r) {
            const int out = mc * config.channelMults[size_t(l)];
            level.push_back(makeBlock("down" + std::to_string(l) + "_" + std::to_string(r), ch, out, hasAttention(l)));
            ch = out;
            skips.push_back(ch);
        }
        down.push_back(std::move(level));
        if (l + 1 < levels)
            downsamples.push_back(register_module("downsample" + std::to_string(l),
                                                  nn::Conv2d(nn::Conv2dOptions(ch, ch, 3).stride(2).padding(1))));
    }
    middle.push_back(makeBlock("mid0", ch, ch, true));
    middle.push_back(makeBlock("mid1", ch, ch, false));
    for (int l = levels - 1; l >= 0; --l) {
        std::vector<Block> level;
        for (int r = 0; r < config.resBlocksPerLevel; ++r) {
            const int out = mc * config.channelMults[size_t(l)];
            level.push_back(
                makeBlock("up" + std::to_string(l) + "_" + std::to_string(r), ch + skips.back(), out, hasAttention(l)));
            skips.pop_back();
            ch = out;
        }
        up.push_back(std::move(level));
        if (l > 0)
            upsamples.push_back(
                register_module("upsample" + std::to_string(l), nn::Conv2d(nn::Conv2dOptions(ch, ch, 3).padding(1))));
    }
    normOut = register_module("norm_out", nn::GroupNorm(nn::GroupNormOptions(config.groups, ch)));
    convOut = register_module("conv_out", nn::Conv2d(nn::Conv2dOptions(ch, config.latentChannels, 3).padding(1)));
    torch::NoGradGuard noGrad;
    convOut->weight.zero_();  // a fresh denoiser predicts zero noise
    convOut->bias.zero_();
}

torch::Tensor DenoiserUNetImpl::runBlock(Block& block, torch::Tensor h, const torch::Tensor& embedding,
                                         int frequencies) {
    h = block.res(h, embedding);
    if (block.spatial) h = block.spatial(h);
    if (block.frequency) h = block.frequency(h, frequencies);
    return h;
}

torch::Tensor DenoiserUNetImpl::forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& frequency,
                                        const torch::Tensor& condition, int frequencies) {
    const torch::Tensor embedding =
        timeOut(torch::silu(timeIn(ml::timestepEmbedding(t, config.modelChannels)))) + frequencyEmbedding(frequency);
    torch::Tensor h = convIn(torch::cat({x, condition}, 1));
    std::vector<torch::Tensor> skips;
    for (size_t l = 0; l < down.size(); ++l) {
        for (Block& block : down[l]) {
            h = runBlock(block, h, embedding, frequencies);
            skips.push_back(h);
        }
        if (l < downsamples.size()) h = downsamples[l](h);
    }
    for (Block& block : middle) h = runBlock(block, h, embedding, frequencies);
    for (size_t i = 0; i < up.size(); ++i) {
        for (Block& block : up[i]) {
            h = runBlock(block, torch::cat({h, skips.back()}, 1), embedding, frequencies);
            skips.pop_back();
        }
        if (i < upsamples.size())
            h = upsamples[i](torch::upsample_nearest2d(h, c10::nullopt, std::vector<double>{2.0, 2.0}));
    }
    return convOut(torch::silu(groupNorm32(normOut, h)));
}

std::vector<torch::Tensor> DenoiserUNetImpl::frequencyAttentionParameters() {
    std::vector<torch::Tensor> params;
    for (const auto& item : named_parameters())
        if (item.key().find("freq_attn") != std::string::npos) params.push_back(item.value());
    return params;
}

}  // namespace waft::engine::prior
