#pragma once
// Model weights as safetensors + a JSON config in __metadata__, through Waft's own bounds-checked reader
// and writer: no pickle, no TorchScript. Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/Status.h"
#include "ml/prior/ModelConfigFile.h"
#include "ml/prior/MotionModels.h"

namespace waft::engine::prior {

// Any module's parameters and buffers by module path, F32, atomically, with format "waft-model", `kind`,
// `config` (JSON text) and `extra` in the metadata: the one writer of every Waft model kind.
Status saveModel(torch::nn::Module& module, const std::string& kind, const std::string& config, const std::string& path,
                 const ModelMetadata& extra = {});
// Every parameter and buffer by its module path, F32, atomically; metadata: format, kind ("vae"/"unet"),
// config, plus `extra` (normalisation stats, frequencies, training step, ...).
Status saveMotionVae(MotionVae& model, const std::string& path, const ModelMetadata& extra = {});
Status saveDenoiser(DenoiserUNet& model, const std::string& path, const ModelMetadata& extra = {});
// Loads every tensor of the file into the same-named tensor of module (which may have more: stage 2 starts
// from stage-1 weights and keeps its new frequency-attention layers as initialised). Names and shapes must match.
Status loadWeightsInto(torch::nn::Module& module, const std::string& path);
// The metadata of a model file (validated as a safetensors file first).
Expected<ModelMetadata> readModelMetadata(const std::string& path);
// The rest of a training run, for an exact resume: the live (not EMA) weights and AdamW's moments and step
// count, as fp32 safetensors ("weight/<name>", "exp_avg/<name>", "exp_avg_sq/<name>") with the run's step.
// Loading copies into `live` in place (the optimizer keeps its parameters) and installs the moments; it returns
// the saved step. Parameters without moments (frozen in stage 2) are only copied.
Status saveTrainingState(torch::nn::Module& live, torch::optim::AdamW& optimizer, int step, const std::string& path,
                         int worldSize = 1);
Expected<int> loadTrainingState(torch::nn::Module& live, torch::optim::AdamW& optimizer, const std::string& path);
// The same for a named subset of a model's tensors (a fine-tune's trained tensors, not the whole UNet).
Status saveTrainingState(const torch::OrderedDict<std::string, torch::Tensor>& live, torch::optim::AdamW& optimizer,
                         int step, const std::string& path, int worldSize = 1);
Expected<int> loadTrainingState(const torch::OrderedDict<std::string, torch::Tensor>& live,
                                torch::optim::AdamW& optimizer, const std::string& path);
// Where a model's training state lives: vae.safetensors -> vae.train-state.safetensors.
std::string trainingStatePath(const std::string& modelPath);

// Typed reads of metadata values (JSON text); absent, malformed or non-finite values give the fallback.
std::vector<float> metadataFloats(const ModelMetadata& meta, const std::string& key);
float metadataFloat(const ModelMetadata& meta, const std::string& key, float fallback);
int metadataInt(const ModelMetadata& meta, const std::string& key, int fallback);
int64_t metadataInt64(const ModelMetadata& meta, const std::string& key, int64_t fallback);
// Builds the model from the file's config and loads every tensor, checking names, shapes and dtypes;
// a missing, extra or misshapen tensor, a wrong kind or a corrupt file is a one-line error.
Expected<MotionVae> loadMotionVae(const std::string& path);
Expected<DenoiserUNet> loadDenoiser(const std::string& path);

}  // namespace waft::engine::prior
