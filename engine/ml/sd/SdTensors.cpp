#include "ml/sd/SdTensors.h"

#include <limits>

namespace waft::engine::sd {

namespace {

using Shape = std::vector<int64_t>;

class TensorList {
public:
    void add(const std::string& name, Shape shape) { m_out.push_back({name, std::move(shape)}); }
    void linear(const std::string& name, int64_t out, int64_t in, bool bias = true) {
        add(name + ".weight", {out, in});
        if (bias) add(name + ".bias", {out});
    }
    void conv(const std::string& name, int64_t out, int64_t in, int64_t k) {
        add(name + ".weight", {out, in, k, k});
        add(name + ".bias", {out});
    }
    void norm(const std::string& name, int64_t c) {
        add(name + ".weight", {c});
        add(name + ".bias", {c});
    }
    // ResnetBlock2D (diffusers): GroupNorm, SiLU, conv; the timestep embedding added (UNet only); GroupNorm,
    // SiLU, dropout, conv; a 1x1 shortcut when the width changes.
    void resnet(const std::string& p, int64_t in, int64_t out, int64_t temb) {
        norm(p + ".norm1", in);
        conv(p + ".conv1", out, in, 3);
        if (temb > 0) linear(p + ".time_emb_proj", out, temb);
        norm(p + ".norm2", out);
        conv(p + ".conv2", out, out, 3);
        if (in != out) conv(p + ".conv_shortcut", out, in, 1);
    }
    // Attention (diffusers): bias-free q/k/v, output projection with bias.
    void attention(const std::string& p, int64_t dim, int64_t contextDim) {
        linear(p + ".to_q", dim, dim, false);
        linear(p + ".to_k", dim, contextDim, false);
        linear(p + ".to_v", dim, contextDim, false);
        linear(p + ".to_out.0", dim, dim);
    }
    // Transformer2DModel as SD 1.5 has it: GroupNorm, 1x1 conv in, one BasicTransformerBlock (self-attention,
    // cross-attention, GEGLU feed-forward, each after a LayerNorm), 1x1 conv out.
    void transformer(const std::string& p, int64_t dim, int64_t contextDim) {
        norm(p + ".norm", dim);
        conv(p + ".proj_in", dim, dim, 1);
        const std::string b = p + ".transformer_blocks.0";
        norm(b + ".norm1", dim);
        attention(b + ".attn1", dim, dim);
        norm(b + ".norm2", dim);
        attention(b + ".attn2", dim, contextDim);
        norm(b + ".norm3", dim);
        linear(b + ".ff.net.0.proj", 8 * dim, dim);  // GEGLU: value and gate, 4 x dim each
        linear(b + ".ff.net.2", dim, 4 * dim);
        conv(p + ".proj_out", dim, dim, 1);
    }
    std::vector<TensorSpec> take() { return std::move(m_out); }

private:
    std::vector<TensorSpec> m_out;
};

// The transformer blocks of a UNet by prefix, in module order (down, mid, up).
std::vector<std::pair<std::string, int64_t>> transformerBlocks(const SdUNetConfig& c) {
    std::vector<std::pair<std::string, int64_t>> out;
    const int levels = int(c.channels.size());
    const auto hasAttention = [&](int downLevel) {
        return downLevel < int(c.crossAttention.size()) && c.crossAttention[downLevel];
    };
    for (int i = 0; i < levels; ++i)
        if (hasAttention(i))
            for (int j = 0; j < c.layersPerBlock; ++j)
                out.push_back({"down_blocks." + std::to_string(i) + ".attentions." + std::to_string(j), c.channels[i]});
    out.push_back({"mid_block.attentions.0", c.channels.back()});
    for (int i = 0; i < levels; ++i)
        if (hasAttention(levels - 1 - i))
            for (int j = 0; j <= c.layersPerBlock; ++j)
                out.push_back({"up_blocks." + std::to_string(i) + ".attentions." + std::to_string(j),
                               c.channels[levels - 1 - i]});
    return out;
}

}  // namespace

const char* sdPartName(SdPart part) {
    switch (part) {
        case SdPart::Unet: return "unet";
        case SdPart::Vae: return "vae";
        case SdPart::TextEncoder: return "text_encoder";
    }
    return "?";
}

bool parseFrameAttention(const std::string& name, FrameAttention& out) {
    for (FrameAttention m :
         {FrameAttention::PerFrame, FrameAttention::SparseCausal, FrameAttention::FirstFrame, FrameAttention::Full})
        if (name == frameAttentionName(m)) return (out = m), true;
    return false;
}

const char* frameAttentionName(FrameAttention mode) {
    switch (mode) {
        case FrameAttention::PerFrame: return "per-frame";
        case FrameAttention::SparseCausal: return "sparse-causal";
        case FrameAttention::FirstFrame: return "first-frame";
        case FrameAttention::Full: return "full";
    }
    return "?";
}

std::vector<TensorSpec> unetTensors(const SdUNetConfig& c) {
    TensorList t;
    if (c.channels.empty()) return {};
    const int levels = int(c.channels.size());
    const int64_t c0 = c.channels.front(), temb = c.timeEmbedDim();
    const auto hasAttention = [&](int downLevel) {
        return downLevel < int(c.crossAttention.size()) && c.crossAttention[downLevel];
    };
    t.conv("conv_in", c0, c.inChannels, 3);
    t.linear("time_embedding.linear_1", temb, c0);
    t.linear("time_embedding.linear_2", temb, temb);
    for (int i = 0; i < levels; ++i) {
        const std::string p = "down_blocks." + std::to_string(i);
        const int64_t out = c.channels[i];
        for (int j = 0; j < c.layersPerBlock; ++j) {
            const int64_t in = j > 0 ? out : (i > 0 ? c.channels[i - 1] : c0);
            t.resnet(p + ".resnets." + std::to_string(j), in, out, temb);
            if (hasAttention(i)) t.transformer(p + ".attentions." + std::to_string(j), out, c.crossAttentionDim);
        }
        if (i + 1 < levels) t.conv(p + ".downsamplers.0.conv", out, out, 3);
    }
    const int64_t mid = c.channels.back();
    t.resnet("mid_block.resnets.0", mid, mid, temb);
    t.transformer("mid_block.attentions.0", mid, c.crossAttentionDim);
    t.resnet("mid_block.resnets.1", mid, mid, temb);
    for (int i = 0; i < levels; ++i) {
        const std::string p = "up_blocks." + std::to_string(i);
        const int level = levels - 1 - i;  // the down level this up block mirrors
        const int64_t out = c.channels[level];
        const int64_t prev = i > 0 ? c.channels[level + 1] : mid;
        const int64_t skipLast = level > 0 ? c.channels[level - 1] : c0;  // the skip from the level below
        for (int j = 0; j <= c.layersPerBlock; ++j) {
            const int64_t in = j > 0 ? out : prev;
            const int64_t skip = j == c.layersPerBlock ? skipLast : out;
            t.resnet(p + ".resnets." + std::to_string(j), in + skip, out, temb);
            if (hasAttention(level)) t.transformer(p + ".attentions." + std::to_string(j), out, c.crossAttentionDim);
        }
        if (i + 1 < levels) t.conv(p + ".upsamplers.0.conv", out, out, 3);
    }
    t.norm("conv_norm_out", c0);
    t.conv("conv_out", c.outChannels, c0, 3);
    return t.take();
}

std::vector<TensorSpec> temporalTensors(const SdUNetConfig& c) {
    TensorList t;
    if (c.channels.empty()) return {};
    for (const auto& [prefix, dim] : transformerBlocks(c)) {
        const std::string b = prefix + ".transformer_blocks.0";
        t.attention(b + ".attn_temp", dim, dim);
        t.norm(b + ".norm_temp", dim);
    }
    return t.take();
}

std::vector<TensorSpec> vaeTensors(const VaeKlConfig& c) {
    TensorList t;
    if (c.channels.empty()) return {};
    const int levels = int(c.channels.size());
    const int64_t c0 = c.channels.front(), top = c.channels.back();
    const auto midBlock = [&](const std::string& p) {
        t.resnet(p + ".resnets.0", top, top, 0);
        t.norm(p + ".attentions.0.group_norm", top);
        for (const char* proj : {".to_q", ".to_k", ".to_v", ".to_out.0"})
            t.linear(p + ".attentions.0" + proj, top, top);
        t.resnet(p + ".resnets.1", top, top, 0);
    };
    t.conv("encoder.conv_in", c0, c.imageChannels, 3);
    for (int i = 0; i < levels; ++i) {
        const std::string p = "encoder.down_blocks." + std::to_string(i);
        const int64_t out = c.channels[i];
        for (int j = 0; j < c.layersPerBlock; ++j)
            t.resnet(p + ".resnets." + std::to_string(j), j > 0 ? out : (i > 0 ? c.channels[i - 1] : c0), out, 0);
        if (i + 1 < levels) t.conv(p + ".downsamplers.0.conv", out, out, 3);
    }
    midBlock("encoder.mid_block");
    t.norm("encoder.conv_norm_out", top);
    t.conv("encoder.conv_out", 2 * c.latentChannels, top, 3);
    t.conv("quant_conv", 2 * c.latentChannels, 2 * c.latentChannels, 1);
    t.conv("post_quant_conv", c.latentChannels, c.latentChannels, 1);
    t.conv("decoder.conv_in", top, c.latentChannels, 3);
    midBlock("decoder.mid_block");
    for (int i = 0; i < levels; ++i) {
        const std::string p = "decoder.up_blocks." + std::to_string(i);
        const int level = levels - 1 - i;
        const int64_t out = c.channels[level];
        for (int j = 0; j <= c.layersPerBlock; ++j)
            t.resnet(p + ".resnets." + std::to_string(j), j > 0 ? out : (i > 0 ? c.channels[level + 1] : top), out, 0);
        if (i + 1 < levels) t.conv(p + ".upsamplers.0.conv", out, out, 3);
    }
    t.norm("decoder.conv_norm_out", c0);
    t.conv("decoder.conv_out", c.imageChannels, c0, 3);
    return t.take();
}

std::vector<TensorSpec> textEncoderTensors(const ClipTextConfig& c) {
    TensorList t;
    t.add("text_model.embeddings.token_embedding.weight", {c.vocabSize, c.width});
    t.add("text_model.embeddings.position_embedding.weight", {c.contextLength, c.width});
    for (int i = 0; i < c.layers; ++i) {
        const std::string p = "text_model.encoder.layers." + std::to_string(i);
        for (const char* proj : {".self_attn.k_proj", ".self_attn.v_proj", ".self_attn.q_proj", ".self_attn.out_proj"})
            t.linear(p + proj, c.width, c.width);
        t.norm(p + ".layer_norm1", c.width);
        t.linear(p + ".mlp.fc1", c.intermediate, c.width);
        t.linear(p + ".mlp.fc2", c.width, c.intermediate);
        t.norm(p + ".layer_norm2", c.width);
    }
    t.norm("text_model.final_layer_norm", c.width);
    return t.take();
}

std::vector<TensorSpec> partTensors(const SdConfig& config, SdPart part) {
    switch (part) {
        case SdPart::Unet: return unetTensors(config.unet);
        case SdPart::Vae: return vaeTensors(config.vae);
        case SdPart::TextEncoder: return textEncoderTensors(config.text);
    }
    return {};
}

int64_t parameterCount(const std::vector<TensorSpec>& tensors) {
    int64_t total = 0;
    for (const TensorSpec& t : tensors) {
        int64_t n = 1;
        for (const int64_t d : t.shape) {
            if (d < 0 || (d > 0 && n > std::numeric_limits<int64_t>::max() / d)) return -1;
            n *= d;
        }
        if (total > std::numeric_limits<int64_t>::max() - n) return -1;
        total += n;
    }
    return total;
}

}  // namespace waft::engine::sd
