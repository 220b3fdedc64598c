#include "RendererChoice.h"

namespace waft::app {

engine::Expected<engine::RenderBackendFactory> cudaRenderer(std::string&) {
    return engine::Status::error(engine::StatusCode::Unsupported,
                                 "this waft-cli was built without CUDA (configure with -DWAFT_WITH_CUDA=ON)");
}

}  // namespace waft::app
