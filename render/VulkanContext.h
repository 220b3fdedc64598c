#pragma once

#include <vulkan/vulkan.h>

#include <memory>
#include <string>

#include "UniqueHandle.h"
#include "core/Status.h"

namespace waft::render {

struct VulkanContextParams {
    std::string deviceNameFilter;  // substring of the device name to pick; empty = best (WAFT_VULKAN_DEVICE env)
    bool validation = false;       // enable VK_LAYER_KHRONOS_validation if installed (WAFT_VULKAN_VALIDATION=1)
};

struct VulkanDeviceInfo {
    std::string name;
    VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
    bool floatAtomicAdd = false;  // VK_EXT_shader_atomic_float shaderBufferFloat32AtomicAdd
    VkDeviceSize maxStorageBufferRange = 0;
    bool validationEnabled = false;
};

// A Vulkan instance and one logical device with a compute queue. Picks a discrete GPU, else an integrated
// one, else any (lavapipe, a CPU device). create() returns a one-line error when there is no Vulkan at all,
// so callers fall back to the CPU renderer. Enables float atomics when the device has them. Shared by every
// renderer of a process; the queue is used from one thread at a time (the engine thread).
class VulkanContext {
public:
    static engine::Expected<std::shared_ptr<VulkanContext>> create(VulkanContextParams params = {});
    // Borrows a device someone else created (QVulkanWindow's): nothing is destroyed with the context. Float
    // atomics are treated as off, since the owner did not enable the feature for us.
    static std::shared_ptr<VulkanContext> adopt(VkInstance instance, VkPhysicalDevice physical, VkDevice device,
                                                VkQueue queue, uint32_t queueFamily);
    ~VulkanContext();

    VkInstance instance() const { return m_instance; }
    VkPhysicalDevice physicalDevice() const { return m_physical; }
    VkDevice device() const { return m_device; }
    VkQueue queue() const { return m_queue; }
    uint32_t queueFamily() const { return m_queueFamily; }
    const VulkanDeviceInfo& info() const { return m_info; }

    // A memory type index with all `required` flags (and `preferred` ones if any type has them); UINT32_MAX if none.
    uint32_t memoryType(uint32_t typeBits, VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred) const;

private:
    VulkanContext() = default;
    VkInstance m_instance = VK_NULL_HANDLE;
    VkPhysicalDevice m_physical = VK_NULL_HANDLE;
    VkDevice m_device = VK_NULL_HANDLE;
    VkQueue m_queue = VK_NULL_HANDLE;
    uint32_t m_queueFamily = 0;
    VkPhysicalDeviceMemoryProperties m_memory{};
    VulkanDeviceInfo m_info;
    bool m_owned = true;
};

// "vkCreateBuffer failed: VK_ERROR_OUT_OF_DEVICE_MEMORY" style one-liners.
engine::Status vkStatus(VkResult result, const char* what);
const char* vkResultName(VkResult result);

}  // namespace waft::render

#define WAFT_VK_RETURN_IF_ERROR(call)                                                           \
    do {                                                                                        \
        const VkResult waftVkResult_ = (call);                                                  \
        if (waftVkResult_ != VK_SUCCESS) return ::waft::render::vkStatus(waftVkResult_, #call); \
    } while (0)
