#pragma once
// Model weights as safetensors + a JSON config in __metadata__, through Waft's own bounds-checked reader
// and writer: no pickle, no TorchScript. Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <string>

#include "MotionModels.h"
#include "Status.h"

namespace waft::engine::prior {

// Every parameter and buffer by its module path, F32, atomically; metadata: format, kind ("vae"/"unet"), config.
Status saveMotionVae(MotionVae& model, const std::string& path);
Status saveDenoiser(DenoiserUNet& model, const std::string& path);
// Builds the model from the file's config and loads every tensor, checking names, shapes and dtypes;
// a missing, extra or misshapen tensor, a wrong kind or a corrupt file is a one-line error.
Expected<MotionVae> loadMotionVae(const std::string& path);
Expected<DenoiserUNet> loadDenoiser(const std::string& path);

}  // namespace waft::engine::prior
