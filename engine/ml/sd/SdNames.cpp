#include "ml/sd/SdNames.h"

namespace waft::engine::sd {

namespace {

std::vector<std::string> splitDots(const std::string& name) {
    std::vector<std::string> out(1);
    for (const char ch : name) {
        if (ch == '.')
            out.emplace_back();
        else
            out.back() += ch;
    }
    return out;
}

std::string joinFrom(const std::vector<std::string>& parts, size_t first) {
    std::string out;
    for (size_t i = first; i < parts.size(); ++i) out += (i > first ? "." : "") + parts[i];
    return out;
}

bool parseIndex(const std::string& text, int& out) {
    if (text.empty() || text.size() > 4) return false;
    out = 0;
    for (const char ch : text) {
        if (ch < '0' || ch > '9') return false;
        out = out * 10 + (ch - '0');
    }
    return true;
}

// A UNet ResnetBlock2D's tensor in LDM's ResBlock naming.
std::string ldmResnet(const std::string& rest) {
    static const std::vector<std::pair<std::string, std::string>> rules = {
        {"norm1.", "in_layers.0."},  {"conv1.", "in_layers.2."},  {"time_emb_proj.", "emb_layers.1."},
        {"norm2.", "out_layers.0."}, {"conv2.", "out_layers.3."}, {"conv_shortcut.", "skip_connection."}};
    for (const auto& [from, to] : rules)
        if (rest.compare(0, from.size(), from) == 0) return to + rest.substr(from.size());
    return {};
}

std::string unetSingleFile(const SdUNetConfig& c, const std::string& name) {
    const auto p = splitDots(name);
    const int L = c.layersPerBlock, levels = int(c.channels.size());
    const auto hasAttention = [&](int downLevel) {
        return downLevel >= 0 && downLevel < int(c.crossAttention.size()) && c.crossAttention[downLevel];
    };
    const auto block = [](const char* kind, int index, int slot, const std::string& rest) {
        return rest.empty() ? std::string()
                            : std::string(kind) + "." + std::to_string(index) + "." + std::to_string(slot) + "." + rest;
    };
    if (p.size() >= 2 && (p[0] == "conv_in")) return "input_blocks.0.0." + joinFrom(p, 1);
    if (p.size() == 3 && p[0] == "time_embedding")
        return p[1] == "linear_1" ? "time_embed.0." + p[2] : p[1] == "linear_2" ? "time_embed.2." + p[2] : "";
    if (p.size() == 2 && p[0] == "conv_norm_out") return "out.0." + p[1];
    if (p.size() == 2 && p[0] == "conv_out") return "out.2." + p[1];
    int i = 0, j = 0;
    if (p.size() >= 5 && p[0] == "down_blocks" && parseIndex(p[1], i) && parseIndex(p[3], j) && i < levels) {
        if (p[2] == "resnets" && j < L) return block("input_blocks", 1 + i * (L + 1) + j, 0, ldmResnet(joinFrom(p, 4)));
        if (p[2] == "attentions" && j < L && hasAttention(i))
            return block("input_blocks", 1 + i * (L + 1) + j, 1, joinFrom(p, 4));
        if (p[2] == "downsamplers" && j == 0 && p.size() == 6 && p[4] == "conv")
            return block("input_blocks", 1 + i * (L + 1) + L, 0, "op." + p[5]);
        return {};
    }
    if (p.size() >= 4 && p[0] == "mid_block" && parseIndex(p[2], j)) {
        const std::string resnet = ldmResnet(joinFrom(p, 3));
        if (p[1] == "resnets" && j < 2 && !resnet.empty())
            return "middle_block." + std::to_string(j * 2) + "." + resnet;
        if (p[1] == "attentions" && j == 0) return "middle_block.1." + joinFrom(p, 3);
        return {};
    }
    if (p.size() >= 5 && p[0] == "up_blocks" && parseIndex(p[1], i) && parseIndex(p[3], j) && i < levels) {
        const bool attention = hasAttention(levels - 1 - i);
        if (p[2] == "resnets" && j <= L) return block("output_blocks", i * (L + 1) + j, 0, ldmResnet(joinFrom(p, 4)));
        if (p[2] == "attentions" && j <= L && attention)
            return block("output_blocks", i * (L + 1) + j, 1, joinFrom(p, 4));
        if (p[2] == "upsamplers" && j == 0 && p.size() == 6 && p[4] == "conv")
            return block("output_blocks", i * (L + 1) + L, attention ? 2 : 1, "conv." + p[5]);
        return {};
    }
    return {};
}

// The VAE's mid-block attention tensor in LDM's AttnBlock naming (norm, q, k, v, proj_out).
std::string ldmVaeAttention(const std::string& rest) {
    static const std::vector<std::pair<std::string, std::string>> rules = {
        {"group_norm.", "norm."}, {"to_q.", "q."}, {"to_k.", "k."}, {"to_v.", "v."}, {"to_out.0.", "proj_out."}};
    for (const auto& [from, to] : rules)
        if (rest.compare(0, from.size(), from) == 0) return to + rest.substr(from.size());
    return {};
}

std::string ldmVaeResnet(const std::string& rest) {
    static const std::string shortcut = "conv_shortcut.";
    if (rest.compare(0, shortcut.size(), shortcut) == 0) return "nin_shortcut." + rest.substr(shortcut.size());
    for (const char* ok : {"norm1.", "conv1.", "norm2.", "conv2."})
        if (rest.compare(0, std::string(ok).size(), ok) == 0) return rest;
    return {};
}

std::string vaeSingleFile(const VaeKlConfig& c, const std::string& name) {
    const auto p = splitDots(name);
    const int levels = int(c.channels.size());
    if (p.size() == 2 && (p[0] == "quant_conv" || p[0] == "post_quant_conv")) return name;
    if (p.size() < 3 || (p[0] != "encoder" && p[0] != "decoder")) return {};
    const std::string side = p[0];
    const auto nonEmpty = [](const std::string& prefix, const std::string& rest) {
        return rest.empty() ? std::string() : prefix + rest;
    };
    if (p.size() == 3 && (p[1] == "conv_in" || p[1] == "conv_out")) return name;
    if (p.size() == 3 && p[1] == "conv_norm_out") return side + ".norm_out." + p[2];
    int i = 0, j = 0;
    if (p.size() >= 5 && p[1] == "mid_block" && parseIndex(p[3], j)) {
        if (p[2] == "resnets" && j < 2)
            return nonEmpty(side + ".mid.block_" + std::to_string(j + 1) + ".", ldmVaeResnet(joinFrom(p, 4)));
        if (p[2] == "attentions" && j == 0) return nonEmpty(side + ".mid.attn_1.", ldmVaeAttention(joinFrom(p, 4)));
        return {};
    }
    const bool down = side == "encoder" && p[1] == "down_blocks", up = side == "decoder" && p[1] == "up_blocks";
    if (p.size() >= 6 && (down || up) && parseIndex(p[2], i) && parseIndex(p[4], j) && i < levels) {
        const int level = down ? i : levels - 1 - i;
        const std::string prefix = side + (down ? ".down." : ".up.") + std::to_string(level) + ".";
        const int resnets = down ? c.layersPerBlock : c.layersPerBlock + 1;
        if (p[3] == "resnets" && j < resnets)
            return nonEmpty(prefix + "block." + std::to_string(j) + ".", ldmVaeResnet(joinFrom(p, 5)));
        const char* sampler = down ? "downsamplers" : "upsamplers";
        if (p[3] == sampler && j == 0 && p.size() == 7 && p[5] == "conv")
            return prefix + (down ? "downsample.conv." : "upsample.conv.") + p[6];
    }
    return {};
}

}  // namespace

const char* singleFilePrefix(SdPart part) {
    switch (part) {
        case SdPart::Unet: return "model.diffusion_model.";
        case SdPart::Vae: return "first_stage_model.";
        case SdPart::TextEncoder: return "cond_stage_model.transformer.";
    }
    return "";
}

std::string singleFileName(const SdConfig& config, SdPart part, const std::string& diffusersName) {
    std::string rest;
    switch (part) {
        case SdPart::Unet:
            rest = unetSingleFile(config.unet, diffusersName);
            return rest.empty() ? rest : singleFilePrefix(part) + rest;
        case SdPart::Vae:
            rest = vaeSingleFile(config.vae, diffusersName);
            return rest.empty() ? rest : singleFilePrefix(part) + rest;
        case SdPart::TextEncoder:
            return diffusersName.compare(0, 11, "text_model.") == 0 ? singleFilePrefix(part) + diffusersName
                                                                    : std::string();
    }
    return {};
}

std::vector<int64_t> singleFileShape(SdPart part, const std::string& diffusersName, const std::vector<int64_t>& shape) {
    // Only the mid-block attention's weights are 2-D in the VAE.
    if (part != SdPart::Vae || shape.size() != 2 || diffusersName.find(".mid_block.attentions.0.") == std::string::npos)
        return shape;
    return {shape[0], shape[1], 1, 1};
}

std::string legacyDiffusersName(SdPart part, const std::string& diffusersName) {
    if (part != SdPart::Vae || diffusersName.find("mid_block.attentions.0.") == std::string::npos) return {};
    static const std::vector<std::pair<std::string, std::string>> rules = {
        {".to_q.", ".query."}, {".to_k.", ".key."}, {".to_v.", ".value."}, {".to_out.0.", ".proj_attn."}};
    for (const auto& [from, to] : rules)
        if (const size_t at = diffusersName.find(from); at != std::string::npos)
            return diffusersName.substr(0, at) + to + diffusersName.substr(at + from.size());
    return {};
}

}  // namespace waft::engine::sd
