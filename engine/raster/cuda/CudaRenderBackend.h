#pragma once

#include <memory>

#include "motion/SpectralVolume.h"
#include "raster/RenderBackend.h"

namespace waft::engine::cuda {

// The CUDA render back end: the scene (coefficients, reference, weights) lives in device memory; each
// frame copies the K coordinates in, synthesises, splats (CudaSplat.h) and copies the frame back.
// One thread; the volume must outlive it. create() fails with one line when there is no CUDA device.
Expected<std::unique_ptr<RenderBackend>> createCudaRenderBackend(const SpectralVolume& volume);

}  // namespace waft::engine::cuda
