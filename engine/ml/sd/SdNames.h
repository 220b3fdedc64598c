#pragma once
// Tensor names across SD checkpoint layouts: the single-file (LDM / CompVis) names and shapes of diffusers'
// tensors, and the older diffusers VAE names. Torch-free.

#include <cstdint>
#include <string>
#include <vector>

#include "ml/sd/SdTensors.h"

namespace waft::engine::sd {

// The part's prefix in a single file ("model.diffusion_model.", "first_stage_model.",
// "cond_stage_model.transformer.").
const char* singleFilePrefix(SdPart part);
// The single-file name of a diffusers tensor of `part`, prefix included; empty for a name the layout has no rule
// for. The UNet's and VAE's block numbering depends on the configuration (levels, layers per block, attention).
std::string singleFileName(const SdConfig& config, SdPart part, const std::string& diffusersName);
// The single-file shape: the VAE's mid-block attention projections are 1x1 convolutions there ([c, c, 1, 1]),
// linear layers ([c, c]) in diffusers.
std::vector<int64_t> singleFileShape(SdPart part, const std::string& diffusersName, const std::vector<int64_t>& shape);
// Older diffusers VAE files name the mid-block attention query/key/value/proj_attn: the name such a file uses
// for a diffusers tensor, or empty when it has no other name.
std::string legacyDiffusersName(SdPart part, const std::string& diffusersName);

}  // namespace waft::engine::sd
