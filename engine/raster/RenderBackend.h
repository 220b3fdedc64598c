#pragma once

#include <complex>
#include <functional>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "core/Status.h"
#include "motion/SpectralVolume.h"

namespace waft::engine {

// Something that turns per-band coordinates into a frame of one scene: the CPU reference (FrameRenderer),
// the Vulkan compute renderer (render/), the CUDA kernel. Jobs render through this so any export can be
// reproduced on each back end; the engine itself never depends on a GPU API. One thread per instance.
class RenderBackend {
public:
    virtual ~RenderBackend() = default;
    virtual const char* name() const = 0;
    // q: one complex coordinate per band. out: 8-bit BGR of the volume's size.
    virtual Status render(const std::vector<std::complex<float>>& q, cv::Mat& outBgr8) = 0;
};

// Makes a backend for a volume (which must outlive it).
using RenderBackendFactory = std::function<Expected<std::unique_ptr<RenderBackend>>(const SpectralVolume&)>;

// The CPU back end every job uses by default: FastFrameRenderer, the fast frame path (always available).
RenderBackendFactory cpuRenderBackend();
// The CPU reference it is checked against: FrameRenderer, exact synthesis + softmax splat (--renderer cpu-exact).
RenderBackendFactory exactCpuRenderBackend();

}  // namespace waft::engine
