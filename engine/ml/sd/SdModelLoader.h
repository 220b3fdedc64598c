#pragma once
// Fills SD modules from the files openSdModel checked, through the engine's one weight loader (memory-mapped,
// converted tensor by tensor to the modules' dtype and device). Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <map>
#include <string>

#include "core/Status.h"
#include "ml/sd/SdModelFiles.h"

namespace waft::engine::sd {

// Loads `part` of `model` into `module` (built from model.config; an inflated UNet takes the image weights and
// keeps its temporal layers as initialised).
Status loadSdPart(torch::nn::Module& module, const SdModelFiles& model, SdPart part);
// All three parts.
Status loadSdParts(torch::nn::Module& text, torch::nn::Module& vae, torch::nn::Module& unet, const SdModelFiles& model);

// Writes the three modules as one single-file checkpoint (fp32, LDM names, atomically) with the configuration in
// waft_sd_config, an inflated UNet's self-attention mode in waft_self_attention, and `metadata`. openSdModel
// reads it back; other tools read the image parts as any SD 1.x single file.
Status saveSdSingleFile(torch::nn::Module& text, torch::nn::Module& vae, torch::nn::Module& unet,
                        const SdConfig& config, const InflationConfig& inflation, const std::string& path,
                        const std::map<std::string, std::string>& metadata = {});

}  // namespace waft::engine::sd
