#pragma once
// Model size presets and the parameters every training run shares. Torch-free: the CLI and the app include it.

#include <string>

#include "core/JsonFields.h"
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

// A run's parameters as one JSON object (saved job specs) and back. Reading checks every field's type and
// range as the CLI does (errors in fields.status()); `resume` is not stored: a saved spec always resumes.
std::string trainingRunToJson(const TrainingRunParams& params);
TrainingRunParams trainingRunFromJson(JsonFields& fields);

}  // namespace waft::engine::prior
