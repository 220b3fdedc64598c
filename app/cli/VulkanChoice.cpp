#include "RendererChoice.h"
#include "VulkanSplatRenderer.h"

namespace waft::app {

engine::Expected<engine::RenderBackendFactory> vulkanRenderer(bool preferGpuOnly, std::string& description) {
    auto context = render::VulkanContext::create();
    if (!context) return context.status();
    const render::VulkanDeviceInfo& info = (*context)->info();
    if (preferGpuOnly && info.type == VK_PHYSICAL_DEVICE_TYPE_CPU)
        return engine::Status::error(engine::StatusCode::Unsupported, "only a CPU Vulkan device");
    description = "vulkan on " + info.name + (info.floatAtomicAdd ? " (float atomics)" : " (integer atomics)");
    return render::vulkanRenderBackend(*context);
}

}  // namespace waft::app
