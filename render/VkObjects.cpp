#include "VkObjects.h"

#include "VulkanContext.h"

namespace waft::render {

engine::Expected<UniqueHandle<VkShaderModule>> createShaderModule(VkDevice device, const uint32_t* code, size_t bytes) {
    VkShaderModuleCreateInfo info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    info.codeSize = bytes;
    info.pCode = code;
    VkShaderModule module;
    WAFT_VK_RETURN_IF_ERROR(vkCreateShaderModule(device, &info, nullptr, &module));
    return UniqueHandle<VkShaderModule>(module,
                                        [device](VkShaderModule m) { vkDestroyShaderModule(device, m, nullptr); });
}

engine::Expected<UniqueHandle<VkPipelineLayout>> createPipelineLayout(VkDevice device, VkDescriptorSetLayout setLayout,
                                                                      VkPushConstantRange pushConstants) {
    VkPipelineLayoutCreateInfo info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    info.setLayoutCount = 1;
    info.pSetLayouts = &setLayout;
    info.pushConstantRangeCount = 1;
    info.pPushConstantRanges = &pushConstants;
    VkPipelineLayout layout;
    WAFT_VK_RETURN_IF_ERROR(vkCreatePipelineLayout(device, &info, nullptr, &layout));
    return UniqueHandle<VkPipelineLayout>(
        layout, [device](VkPipelineLayout l) { vkDestroyPipelineLayout(device, l, nullptr); });
}

}  // namespace waft::render
