#pragma once

#include <cstddef>
#include <cstdint>

namespace waft::render {

// SPIR-V of the compute kernels in render/shaders/, compiled by glslc at build time and embedded.
struct ShaderCode {
    const uint32_t* words;
    size_t bytes;
};

enum class Kernel { Synthesize, SplatFloat, SplatMax, SplatFixed, Resolve, Push, Pull, Pack };

ShaderCode shaderCode(Kernel kernel);

}  // namespace waft::render
