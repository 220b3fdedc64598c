#include "RendererChoice.h"
#include "raster/cuda/CudaRenderBackend.h"
#include "raster/cuda/CudaSplat.h"

namespace waft::app {

engine::Expected<engine::RenderBackendFactory> cudaRenderer(std::string& description) {
    if (engine::cuda::deviceCount() == 0)
        return engine::Status::error(engine::StatusCode::Unsupported, "no CUDA device");
    description = "cuda";
    return engine::RenderBackendFactory(engine::cuda::createCudaRenderBackend);
}

}  // namespace waft::app
