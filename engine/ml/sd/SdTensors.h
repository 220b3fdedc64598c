#pragma once
// The tensors each part of an SD 1.5-style model holds for a configuration, by name and shape, in the
// diffusers folder layout, and their names in the single-file (LDM / CompVis) layout. Torch-free: a model file
// is checked against this list before any module is built, and the modules are tested to hold exactly it.

#include <cstdint>
#include <string>
#include <vector>

#include "ml/sd/SdConfig.h"

namespace waft::engine::sd {

enum class SdPart { Unet, Vae, TextEncoder };
const char* sdPartName(SdPart part);  // "unet", "vae", "text_encoder" (the diffusers folder names)

struct TensorSpec {
    std::string name;  // diffusers name, within its part
    std::vector<int64_t> shape;
};

std::vector<TensorSpec> unetTensors(const SdUNetConfig& config);
// What inflation adds to the UNet: norm_temp and attn_temp in every transformer block (Tune-A-Video).
std::vector<TensorSpec> temporalTensors(const SdUNetConfig& config);
std::vector<TensorSpec> vaeTensors(const VaeKlConfig& config);
std::vector<TensorSpec> textEncoderTensors(const ClipTextConfig& config);
std::vector<TensorSpec> partTensors(const SdConfig& config, SdPart part);

// Parameter count of a tensor list (64-bit, -1 on overflow).
int64_t parameterCount(const std::vector<TensorSpec>& tensors);

}  // namespace waft::engine::sd
