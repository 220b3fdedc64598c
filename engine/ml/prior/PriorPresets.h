#pragma once
// Model size presets and the parameters every training run shares. Torch-free: the CLI and the app include it.

#include <string>

#include "ml/prior/PriorConfig.h"

namespace waft::engine::prior {

enum class ModelPreset { Tiny, Paper };
bool parseModelPreset(const std::string& name, ModelPreset& out);
VaeConfig vaePreset(ModelPreset preset);
UNetConfig unetPreset(ModelPreset preset, int bands);

struct TrainingRunParams {
    ModelPreset preset = ModelPreset::Paper;
    int steps = 1000;
    int batch = 8;
    float learningRate = 1e-4f;
    int checkpointEvery = 500;
    bool resume = false;  // continue from the output file's weights and step
    unsigned long seed = 0;
    int width = 256;  // training size (dataset scenes are resized to it)
    int height = 160;
    ComputeOptions compute;
};

}  // namespace waft::engine::prior
