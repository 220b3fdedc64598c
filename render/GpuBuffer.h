#pragma once

#include <vulkan/vulkan.h>

#include <memory>

#include "UniqueHandle.h"
#include "VulkanContext.h"
#include "core/Status.h"

namespace waft::render {

enum class BufferAccess {
    DeviceOnly,   // device-local if there is such memory; filled through a staging copy
    HostVisible,  // host-visible and coherent (uniforms written per frame, read-back buffers), mapped for life
};

// A VkBuffer with its own memory allocation. Move-only; destroyed with its context alive.
class GpuBuffer {
public:
    static engine::Expected<GpuBuffer> create(const VulkanContext& context, VkDeviceSize size, VkBufferUsageFlags usage,
                                              BufferAccess access);

    VkBuffer buffer() const { return m_buffer.get(); }
    VkDeviceSize size() const { return m_size; }
    void* mapped() const { return m_mapped; }  // null unless host-visible

    // Copies bytes in: directly when mapped, else through a temporary staging buffer and a one-time submit.
    engine::Status upload(const VulkanContext& context, VkCommandPool pool, const void* data, VkDeviceSize bytes);

private:
    UniqueHandle<VkDeviceMemory> m_memory;  // declared first: destroyed after the buffer
    UniqueHandle<VkBuffer> m_buffer;
    VkDeviceSize m_size = 0;
    void* m_mapped = nullptr;
};

}  // namespace waft::render
