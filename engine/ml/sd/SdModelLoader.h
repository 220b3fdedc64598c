#pragma once
// Fills SD modules from the files openSdModel checked, through the engine's one weight loader (memory-mapped,
// converted tensor by tensor to the modules' dtype and device). Engine-internal (pulls in torch).

#include <torch/torch.h>

#include "core/Status.h"
#include "ml/sd/SdModelFiles.h"

namespace waft::engine::sd {

// Loads `part` of `model` into `module` (built from model.config; an inflated UNet takes the image weights and
// keeps its temporal layers as initialised).
Status loadSdPart(torch::nn::Module& module, const SdModelFiles& model, SdPart part);

}  // namespace waft::engine::sd
