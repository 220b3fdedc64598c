#include "RendererChoice.h"

namespace waft::app {

engine::Expected<engine::RenderBackendFactory> vulkanRenderer(bool, std::string&) {
    return engine::Status::error(engine::StatusCode::Unsupported,
                                 "this waft-cli was built without Vulkan (Vulkan headers or glslc were missing)");
}

}  // namespace waft::app
