#include "RendererChoice.h"

namespace waft::app {

engine::Expected<engine::RenderBackendFactory> chooseRenderer(const std::string& name, std::string& description) {
    if (name == "cpu") {
        description = "cpu";
        return engine::cpuRenderBackend();
    }
    if (name == "cpu-exact") {
        description = "cpu-exact";
        return engine::exactCpuRenderBackend();
    }
    if (name == "vulkan") return vulkanRenderer(false, description);
    if (name == "cuda") return cudaRenderer(description);
    if (name != "auto") return engine::Status::invalid("--renderer must be cpu, cpu-exact, vulkan, cuda or auto");
    if (auto cuda = cudaRenderer(description)) return cuda;
    auto gpu = vulkanRenderer(true, description);
    if (gpu) return gpu;
    description = "cpu";
    return engine::cpuRenderBackend();
}

}  // namespace waft::app
