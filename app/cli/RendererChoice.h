#pragma once

#include <string>

#include "raster/RenderBackend.h"

namespace waft::app {

// Render back ends for --renderer: "cpu" (the fast CPU frame path), "cpu-exact" (the reference it is checked
// against), "vulkan", "cuda" or "auto". auto takes the fastest that exists: CUDA, a real GPU through Vulkan,
// else the fast CPU path (lavapipe, a CPU Vulkan device, is slower than it; see docs/BENCHMARKS.md).
// description names what was chosen.
engine::Expected<engine::RenderBackendFactory> chooseRenderer(const std::string& name, std::string& description);

// The Vulkan part, one implementation per build (VulkanChoice.cpp or NoVulkanChoice.cpp, chosen in CMake).
// preferGpuOnly: fail (rather than return a CPU device) when the only Vulkan device is a CPU.
engine::Expected<engine::RenderBackendFactory> vulkanRenderer(bool preferGpuOnly, std::string& description);

// The CUDA part, likewise (CudaChoice.cpp or NoCudaChoice.cpp).
engine::Expected<engine::RenderBackendFactory> cudaRenderer(std::string& description);

}  // namespace waft::app
