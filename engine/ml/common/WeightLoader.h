#pragma once
// The engine's one safetensors weight loader, shared by every model (the motion prior, the Stable Diffusion
// parts): fills a module's parameters and buffers from a validated file (io/SafetensorsFile), tensor by tensor.
// Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "core/Status.h"
#include "io/SafetensorsFile.h"

namespace waft::engine::ml {

struct WeightLoadOptions {
    // A module tensor's names in the file, tried in order (empty: the module's own name only). Layout maps go
    // here (diffusers <-> single-file, older names).
    std::function<std::vector<std::string>(const std::string& moduleName)> fileNames;
    // Which of the file's tensors belong to this module (a single-file checkpoint holds three parts); a tensor in
    // scope that no module tensor took is an error naming it, unless `ignorable` says it may be left over.
    std::function<bool(const std::string& fileName)> inScope;
    std::function<bool(const std::string& fileName)> ignorable;
    // false: module tensors the file does not hold keep their values (stage 2 of the prior starts from stage-1
    // weights and keeps its new layers as initialised).
    bool requireAll = true;
};

struct WeightLoadReport {
    int64_t tensors = 0;
    int64_t parameters = 0;
    int64_t ignored = 0;
};

// Every module tensor must be found with its shape (or the same extents followed by 1s: 1x1 convolutions stored
// for linear layers) in a floating dtype (F16, BF16, F32, F64); each is converted from the file's bytes straight
// into its destination's dtype and device (no second copy of the model) and must be finite. One line naming the
// file and the tensor for the first problem.
Expected<WeightLoadReport> loadWeights(torch::nn::Module& module, const SafetensorsFile& file, const std::string& path,
                                       const WeightLoadOptions& options = {});

}  // namespace waft::engine::ml
