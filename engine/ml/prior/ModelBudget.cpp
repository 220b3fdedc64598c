#include "ml/prior/ModelBudget.h"

#include <algorithm>
#include <string>

namespace waft::engine::prior {

namespace {

// Saturating arithmetic: any overflow or non-positive size makes the count invalid (-1) for good.
struct Count {
    int64_t value = 0;
    bool ok = true;
    void add(int64_t x) {
        if (!ok || x < 0 || value > INT64_MAX - x)
            ok = false;
        else
            value += x;
    }
};
int64_t mul(int64_t a, int64_t b) {
    if (a < 0 || b < 0) return -1;
    if (a != 0 && b > INT64_MAX / a) return -1;
    return a * b;
}
int64_t conv(int64_t in, int64_t out, int64_t k) {
    const int64_t w = mul(mul(in, out), k * k);
    return w < 0 || in <= 0 || out <= 0 ? -1 : w + out;
}
int64_t linear(int64_t in, int64_t out) { return conv(in, out, 1); }
int64_t groupNorm(int64_t c) { return c <= 0 ? -1 : 2 * c; }
void resBlock(Count& n, int64_t in, int64_t out, int64_t embed) {
    n.add(groupNorm(in));
    n.add(conv(in, out, 3));
    if (embed > 0) n.add(linear(embed, out));
    n.add(groupNorm(out));
    n.add(conv(out, out, 3));
    if (in != out) n.add(conv(in, out, 1));
}
void attention(Count& n, int64_t c) {  // spatial and frequency attention have the same parameters
    n.add(groupNorm(c));
    n.add(linear(c, 3 * c));
    n.add(linear(c, c));
}

bool hasAttention(const UNetConfig& c, int level) {
    return std::find(c.attentionLevels.begin(), c.attentionLevels.end(), level) != c.attentionLevels.end();
}

// Visits every block of the denoiser with its input and output channels, as DenoiserUNetImpl builds them.
template <typename Visit>
bool forEachUNetBlock(const UNetConfig& c, Visit visit) {
    const int64_t mc = c.modelChannels;
    const int levels = int(c.channelMults.size());
    int64_t ch = mc;
    std::vector<int64_t> skips;
    for (int l = 0; l < levels; ++l)
        for (int r = 0; r < c.resBlocksPerLevel; ++r) {
            const int64_t out = mul(mc, c.channelMults[size_t(l)]);
            if (out <= 0) return false;
            visit(ch, out, hasAttention(c, l), l + 1 < levels && r + 1 == c.resBlocksPerLevel);
            ch = out;
            skips.push_back(ch);
        }
    visit(ch, ch, true, false);
    visit(ch, ch, false, false);
    for (int l = levels - 1; l >= 0; --l)
        for (int r = 0; r < c.resBlocksPerLevel; ++r) {
            const int64_t out = mul(mc, c.channelMults[size_t(l)]);
            visit(ch + skips.back(), out, hasAttention(c, l), false);
            skips.pop_back();
            ch = out;
        }
    return true;
}

}  // namespace

int64_t vaeParameterCount(const VaeConfig& c) {
    const auto& ch = c.channels;
    if (ch.empty()) return -1;
    const int levels = int(ch.size());
    Count n;
    n.add(conv(c.inChannels, ch[0], 3));
    for (int l = 0; l < levels; ++l) {
        resBlock(n, l == 0 ? ch[0] : ch[size_t(l - 1)], ch[size_t(l)], 0);
        if (l + 1 < levels) n.add(conv(ch[size_t(l)], ch[size_t(l)], 3));
    }
    n.add(groupNorm(ch.back()));
    n.add(conv(ch.back(), 2 * int64_t(c.latentChannels), 3));
    n.add(conv(c.latentChannels, ch.back(), 3));
    for (int l = levels - 1; l >= 0; --l) {
        resBlock(n, l == levels - 1 ? ch.back() : ch[size_t(l + 1)], ch[size_t(l)], 0);
        if (l > 0) n.add(conv(ch[size_t(l)], ch[size_t(l)], 3));
    }
    n.add(groupNorm(ch[0]));
    n.add(conv(ch[0], c.inChannels, 3));
    return n.ok ? n.value : -1;
}

int64_t unetParameterCount(const UNetConfig& c) {
    const int64_t mc = c.modelChannels, embed = mul(4, mc);
    if (mc <= 0 || c.channelMults.empty() || c.resBlocksPerLevel <= 0 || c.maxFrequencies <= 0) return -1;
    Count n;
    n.add(linear(mc, embed));
    n.add(linear(embed, embed));
    n.add(mul(c.maxFrequencies, embed));
    n.add(conv(int64_t(c.latentChannels) + c.conditionChannels, mc, 3));
    int64_t last = mc;
    const bool shapes = forEachUNetBlock(c, [&](int64_t in, int64_t out, bool spatial, bool downsampleAfter) {
        resBlock(n, in, out, embed);
        if (spatial) attention(n, out);
        if (c.frequencyAttention) attention(n, out);
        if (downsampleAfter) n.add(conv(out, out, 3));
        last = out;
    });
    if (!shapes) return -1;
    for (int l = int(c.channelMults.size()) - 1; l > 0; --l) {  // upsampling convs
        const int64_t ch = mul(mc, c.channelMults[size_t(l)]);
        n.add(conv(ch, ch, 3));
    }
    n.add(groupNorm(last));
    n.add(conv(last, c.latentChannels, 3));
    return n.ok ? n.value : -1;
}

Status checkVaeConfig(const VaeConfig& c) {
    if (c.inChannels < 1 || c.latentChannels < 1 || c.groups < 1 || c.channels.empty())
        return Status::corrupt("VAE config needs positive channel counts and groups");
    for (int ch : c.channels) {
        if (ch < 1) return Status::corrupt("VAE config has a non-positive channel count");
        if (ch % c.groups != 0)
            return Status::corrupt("VAE config: groups " + std::to_string(c.groups) + " does not divide channels " +
                                   std::to_string(ch));
    }
    const int64_t params = vaeParameterCount(c);
    if (params < 0 || params > kMaxModelParameters)
        return Status::corrupt("VAE config asks for " +
                               (params < 0 ? std::string("an overflowing number of") : std::to_string(params)) +
                               " parameters, at most " + std::to_string(kMaxModelParameters) + " allowed");
    return Status::ok();
}

Status checkUNetConfig(const UNetConfig& c) {
    if (c.modelChannels < 2 || c.modelChannels % 2 != 0)
        return Status::corrupt("denoiser config: model_channels must be even and positive (timestep embedding)");
    if (c.latentChannels < 1 || c.conditionChannels < 0 || c.groups < 1 || c.heads < 1 || c.resBlocksPerLevel < 1 ||
        c.maxFrequencies < 1 || c.channelMults.empty())
        return Status::corrupt("denoiser config needs positive sizes");
    for (int m : c.channelMults)
        if (m < 1) return Status::corrupt("denoiser config has a non-positive channel multiplier");
    Status problem;
    const auto normalised = [&](int64_t ch) {
        if (problem.isOk() && ch % c.groups != 0)
            problem = Status::corrupt("denoiser config: groups " + std::to_string(c.groups) +
                                      " does not divide channels " + std::to_string(ch));
    };
    const auto attended = [&](int64_t ch) {
        if (problem.isOk() && ch % c.heads != 0)
            problem = Status::corrupt("denoiser config: heads " + std::to_string(c.heads) +
                                      " does not divide channels " + std::to_string(ch));
    };
    const int64_t params = unetParameterCount(c);
    if (params < 0 || params > kMaxModelParameters)
        return Status::corrupt("denoiser config asks for " +
                               (params < 0 ? std::string("an overflowing number of") : std::to_string(params)) +
                               " parameters, at most " + std::to_string(kMaxModelParameters) + " allowed");
    forEachUNetBlock(c, [&](int64_t in, int64_t out, bool spatial, bool) {
        normalised(in);
        normalised(out);
        if (spatial || c.frequencyAttention) attended(out);
    });
    return problem;
}

Status checkLatentSize(const UNetConfig& c, int latentWidth, int latentHeight) {
    const int levels = int(c.channelMults.size());
    if (levels < 1 || levels > 16) return Status::corrupt("denoiser config has no levels");
    const int multiple = 1 << (levels - 1);
    if (latentWidth < 1 || latentHeight < 1 || latentWidth % multiple != 0 || latentHeight % multiple != 0)
        return Status::corrupt("latent size " + std::to_string(latentWidth) + "x" + std::to_string(latentHeight) +
                               " is not a positive multiple of " + std::to_string(multiple) +
                               " (the denoiser's levels)");
    return Status::ok();
}

Status checkActivationBudget(const UNetConfig& c, int latentWidth, int latentHeight, int batch) {
    WAFT_RETURN_IF_ERROR(checkLatentSize(c, latentWidth, latentHeight));
    const int levels = int(c.channelMults.size());
    int64_t attention = 0, skips = 0;
    for (int l = 0; l < levels; ++l) {
        const int64_t tokens = int64_t(latentWidth >> l) * (latentHeight >> l);
        const int64_t channels = mul(c.modelChannels, c.channelMults[size_t(l)]);
        if (hasAttention(c, l) || l == levels - 1)  // the middle block always attends at the last level
            attention = std::max(attention, mul(mul(mul(batch, c.heads), tokens), tokens));
        const int64_t kept = mul(mul(mul(batch, channels), tokens), c.resBlocksPerLevel + 1);
        skips = skips < 0 || kept < 0 || skips > INT64_MAX - kept ? -1 : skips + kept;
    }
    if (c.frequencyAttention)
        attention = std::max(attention, mul(mul(int64_t(latentWidth) * latentHeight, c.heads), int64_t(batch) * batch));
    const int64_t bytes = attention < 0 || skips < 0 || attention > INT64_MAX - skips ? -1 : mul(attention + skips, 4);
    if (bytes < 0 || bytes > kMaxActivationBytes)
        return Status::corrupt(
            "a " + std::to_string(latentWidth) + "x" + std::to_string(latentHeight) + " latent needs " +
            (bytes < 0 ? std::string("more than 2^63") : std::to_string(bytes >> 20) + " MiB") +
            " of activations per denoiser call, at most " + std::to_string(kMaxActivationBytes >> 20) + " MiB allowed");
    return Status::ok();
}

}  // namespace waft::engine::prior
