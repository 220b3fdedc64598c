#include "ml/render/RendererConfig.h"

#include <nlohmann/json.hpp>

#include "core/JsonFields.h"

namespace waft::engine::render {

namespace {

int64_t conv3(int64_t in, int64_t out) { return in * out * 9 + out; }

}  // namespace

NeuralRendererConfig rendererPreset(prior::ModelPreset preset) {
    NeuralRendererConfig c;
    if (preset == prior::ModelPreset::Tiny) {
        c.features = {8, 16, 24};
        c.synthesis = {16, 24, 32};
    }
    return c;
}

Status checkRendererConfig(const NeuralRendererConfig& c) {
    if (c.features.empty() || c.features.size() > 5)
        return Status::invalid("renderer config: 'features' must list 1..5 levels");
    if (c.synthesis.size() != c.features.size())
        return Status::invalid("renderer config: 'synthesis' must list as many levels as 'features'");
    for (const auto* widths : {&c.features, &c.synthesis})
        for (int w : *widths)
            if (w < 1 || w > 512) return Status::invalid("renderer config: every width must be within 1..512");
    return Status::ok();
}

std::string rendererConfigJson(const NeuralRendererConfig& c) {
    return nlohmann::json{
        {"features", c.features}, {"synthesis", c.synthesis}, {"learned_importance", c.learnedImportance}}
        .dump();
}

Expected<NeuralRendererConfig> readRendererConfig(const prior::ModelMetadata& metadata, const std::string& path) {
    auto json = prior::readModelConfigFields(metadata, "renderer", path);
    if (!json) return json.status();
    NeuralRendererConfig c;
    c.features = json->integers("features", c.features, 5, 1, 512);
    c.synthesis = json->integers("synthesis", c.synthesis, 5, 1, 512);
    c.learnedImportance = json->boolean("learned_importance", false);
    WAFT_RETURN_IF_ERROR(json->status());
    WAFT_RETURN_IF_ERROR(checkRendererConfig(c).withContext(path));
    return c;
}

// The layers NeuralRenderer builds (NeuralRenderer.cpp): per level two 3×3 convs of the extractor and two of the
// synthesis network, then one 3×3 conv to RGB (and the importance's 3×3 conv to one channel).
int64_t rendererParameterCount(const NeuralRendererConfig& c) {
    const int levels = int(c.features.size());
    int64_t n = 0;
    for (int l = 0; l < levels; ++l) {
        const int64_t in = l == 0 ? 3 : c.features[size_t(l - 1)], f = c.features[size_t(l)];
        n += conv3(in, f) + conv3(f, f);
        const int64_t splatted = f + 1 + (l == 0 ? 3 : 0);
        const int64_t synthIn = splatted + (l + 1 < levels ? c.synthesis[size_t(l + 1)] : 0) + (l == 0 ? 3 : 0);
        const int64_t s = c.synthesis[size_t(l)];
        n += conv3(synthIn, s) + conv3(s, s);
    }
    if (c.learnedImportance) n += conv3(3 + c.features[0], 1);
    return n + conv3(c.synthesis[0], 3);
}

// Per level: the extractor's two feature maps, the splat's C + 2 channels, the synthesis network's input and two
// outputs, at 2^-2l of the frame's pixels (and at level 0 the importance and its weights).
int64_t rendererActivationBytes(const NeuralRendererConfig& c, int width, int height) {
    int64_t bytes = 0;
    for (size_t l = 0; l < c.features.size(); ++l) {
        const int64_t pixels = (int64_t(width) >> l) * (int64_t(height) >> l) + 1;
        const int64_t f = c.features[l], s = c.synthesis[l];
        const int64_t up = l + 1 < c.synthesis.size() ? c.synthesis[l + 1] : 0;
        bytes += pixels * 4 * (2 * f + (f + 6) + (f + 4 + up + 3) + 2 * s + (l == 0 && c.learnedImportance ? 2 : 0));
    }
    return bytes;
}

Status checkRendererFrame(const NeuralRendererConfig& c, int width, int height) {
    if (width < 1 || height < 1) return Status::invalid("renderer frame size must be positive");
    if (rendererActivationBytes(c, width, height) > kMaxRendererActivationBytes)
        return Status::invalid("a " + std::to_string(width) + "x" + std::to_string(height) +
                               " frame needs more than 6 GiB with this renderer; export smaller or use the fast "
                               "renderer");
    return Status::ok();
}

}  // namespace waft::engine::render
