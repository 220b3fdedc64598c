#include "GpuBuffer.h"

#include <cstring>

namespace waft::render {

engine::Expected<GpuBuffer> GpuBuffer::create(const VulkanContext& context, VkDeviceSize size, VkBufferUsageFlags usage,
                                              BufferAccess access) {
    const VkDevice device = context.device();
    GpuBuffer out;
    out.m_size = size;
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = size;
    info.usage = usage | VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkBuffer buffer = VK_NULL_HANDLE;
    WAFT_VK_RETURN_IF_ERROR(vkCreateBuffer(device, &info, nullptr, &buffer));
    out.m_buffer = UniqueHandle<VkBuffer>(buffer, [device](VkBuffer b) { vkDestroyBuffer(device, b, nullptr); });

    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device, buffer, &requirements);
    const bool host = access == BufferAccess::HostVisible;
    const uint32_t type =
        host ? context.memoryType(requirements.memoryTypeBits,
                                  VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                  VK_MEMORY_PROPERTY_HOST_CACHED_BIT)
             : context.memoryType(requirements.memoryTypeBits, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (type == UINT32_MAX)
        return engine::Status::error(engine::StatusCode::Unsupported, "Vulkan: no suitable memory type");
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = type;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    WAFT_VK_RETURN_IF_ERROR(vkAllocateMemory(device, &alloc, nullptr, &memory));
    out.m_memory =
        UniqueHandle<VkDeviceMemory>(memory, [device](VkDeviceMemory m) { vkFreeMemory(device, m, nullptr); });
    WAFT_VK_RETURN_IF_ERROR(vkBindBufferMemory(device, buffer, memory, 0));
    if (host) WAFT_VK_RETURN_IF_ERROR(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, &out.m_mapped));
    return out;
}

engine::Status GpuBuffer::upload(const VulkanContext& context, VkCommandPool pool, const void* data,
                                 VkDeviceSize bytes) {
    if (bytes > m_size) return engine::Status::invalid("upload larger than the buffer");
    if (m_mapped) {
        std::memcpy(m_mapped, data, size_t(bytes));
        return engine::Status::ok();
    }
    auto staging = create(context, bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, BufferAccess::HostVisible);
    if (!staging) return staging.status();
    std::memcpy(staging->mapped(), data, size_t(bytes));
    const VkDevice device = context.device();
    VkCommandBufferAllocateInfo allocInfo{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    allocInfo.commandPool = pool;
    allocInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    allocInfo.commandBufferCount = 1;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    WAFT_VK_RETURN_IF_ERROR(vkAllocateCommandBuffers(device, &allocInfo, &cmd));
    const UniqueHandle<VkCommandBuffer> owner(
        cmd, [device, pool](VkCommandBuffer c) { vkFreeCommandBuffers(device, pool, 1, &c); });
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    WAFT_VK_RETURN_IF_ERROR(vkBeginCommandBuffer(cmd, &begin));
    const VkBufferCopy region{0, 0, bytes};
    vkCmdCopyBuffer(cmd, staging->buffer(), buffer(), 1, &region);
    WAFT_VK_RETURN_IF_ERROR(vkEndCommandBuffer(cmd));
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    WAFT_VK_RETURN_IF_ERROR(vkQueueSubmit(context.queue(), 1, &submit, VK_NULL_HANDLE));
    WAFT_VK_RETURN_IF_ERROR(vkQueueWaitIdle(context.queue()));
    return engine::Status::ok();
}

}  // namespace waft::render
