#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>

#include "UniqueHandle.h"
#include "core/Status.h"

namespace waft::render {

// The Vulkan objects every pipeline in render/ makes the same way, each in its RAII owner.
engine::Expected<UniqueHandle<VkShaderModule>> createShaderModule(VkDevice device, const uint32_t* code, size_t bytes);
engine::Expected<UniqueHandle<VkPipelineLayout>> createPipelineLayout(VkDevice device, VkDescriptorSetLayout setLayout,
                                                                      VkPushConstantRange pushConstants);

}  // namespace waft::render
