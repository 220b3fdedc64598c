#include "RendererChoice.h"

namespace waft::app {

engine::Expected<engine::RenderBackendFactory> chooseRenderer(const std::string& name, std::string& description) {
    if (name == "cpu") {
        description = "cpu";
        return engine::cpuRenderBackend();
    }
    if (name == "vulkan") return vulkanRenderer(false, description);
    if (name == "cuda")
        return engine::Status::error(engine::StatusCode::Unsupported,
                                     "the CUDA renderer is not built in this version (configure with -DWAFT_WITH_CUDA=ON)");
    if (name != "auto") return engine::Status::invalid("--renderer must be cpu, vulkan, cuda or auto");
    auto gpu = vulkanRenderer(true, description);
    if (gpu) return gpu;
    description = "cpu";
    return engine::cpuRenderBackend();
}

}  // namespace waft::app
