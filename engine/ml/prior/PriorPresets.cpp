#include "ml/prior/PriorPresets.h"

#include <algorithm>

namespace waft::engine::prior {

bool parseModelPreset(const std::string& name, ModelPreset& out) {
    if (name == "tiny")
        out = ModelPreset::Tiny;
    else if (name == "paper")
        out = ModelPreset::Paper;
    else
        return false;
    return true;
}

VaeConfig vaePreset(ModelPreset preset) {
    VaeConfig c;
    if (preset == ModelPreset::Tiny) {
        c.channels = {16, 32};
        c.groups = 8;
    }
    return c;
}

UNetConfig unetPreset(ModelPreset preset, int bands) {
    UNetConfig c;
    c.conditionChannels = 3;  // the reference image, downsampled to the latent size
    c.maxFrequencies = std::max(1, bands);
    if (preset == ModelPreset::Tiny) {
        c.modelChannels = 32;
        c.channelMults = {1, 2};
        c.resBlocksPerLevel = 1;
        c.attentionLevels = {1};
        c.heads = 4;
        c.groups = 8;
    }
    return c;
}

}  // namespace waft::engine::prior
