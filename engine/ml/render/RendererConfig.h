#pragma once
// Sizes of the neural renderer (GID §5: a feature pyramid softmax-splatted along the motion, then a synthesis
// network) and its model file's config, read from untrusted metadata with every field checked (torch-free, so
// a renderer file can be checked and described anywhere before a module is built).

#include <string>
#include <vector>

#include "core/Status.h"
#include "ml/prior/ModelConfigFile.h"
#include "ml/prior/PriorPresets.h"

namespace waft::engine::render {

struct NeuralRendererConfig {
    // Channels of the reference image's features per pyramid level: level l is 2^-l of the frame's size, so the
    // frame's sides must be multiples of 2^(levels - 1) (the renderer pads them).
    std::vector<int> features = {32, 64, 96};
    // Widths of the synthesis network per level (level l at 2^-l of the frame), as many as features.
    std::vector<int> synthesis = {32, 64, 96};
    // A learned term of the splat's importance Z (Niklaus & Liu's refined metric): one 3×3 conv over the reference
    // and its first features gives z, and every level splats with W·exp(4·tanh(z/4)) instead of W. It starts at
    // z = 0 (the given weights). Files written before it existed read as false.
    bool learnedImportance = true;
    int factor() const { return 1 << (int(features.size()) - 1); }
};

// Paper: the pyramid of Niklaus & Liu's softmax splatting (32, 64, 96), which GID's renderer follows; tiny: for
// tests and a CPU-interactive renderer.
NeuralRendererConfig rendererPreset(prior::ModelPreset preset);

// 1..5 levels, 1..512 channels each, synthesis the same length: one line naming the field otherwise.
Status checkRendererConfig(const NeuralRendererConfig& config);

// The config JSON a renderer file carries (metadata "config", kind "renderer"), and back from a file's metadata:
// format and kind checked, every field range-checked, then checkRendererConfig.
std::string rendererConfigJson(const NeuralRendererConfig& config);
Expected<NeuralRendererConfig> readRendererConfig(const prior::ModelMetadata& metadata, const std::string& path);

// Parameters of a renderer of this config (64-bit, for the budget check before building one), and the bytes
// its activations take for one width×height frame in inference (fp32; the budget check before rendering one).
int64_t rendererParameterCount(const NeuralRendererConfig& config);
int64_t rendererActivationBytes(const NeuralRendererConfig& config, int width, int height);
constexpr int64_t kMaxRendererParameters = 8'000'000;  // the paper preset has 0.6 M
constexpr int64_t kMaxRendererActivationBytes = int64_t(6) << 30;
// One line when a frame of this size would pass the activation budget.
Status checkRendererFrame(const NeuralRendererConfig& config, int width, int height);

}  // namespace waft::engine::render
