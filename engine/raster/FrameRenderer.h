#pragma once

#include <complex>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "core/Status.h"
#include "motion/DisplacementField.h"
#include "motion/SpectralVolume.h"
#include "raster/RenderBackend.h"
#include "raster/SoftmaxSplatter.h"

namespace waft::engine {

// The exact CPU reference (--renderer cpu-exact; FastFrameRenderer, the default, is held to it). Renders
// frames of one scene on the CPU: displacement synthesis F = Re sum_j S_j q_j, then softmax
// splatting of the reference image with the scene's fixed weight map (GID §5). Precomputes the float
// reference and the weights once. Holds a reference to the volume (which must outlive it); one thread.
class FrameRenderer : public RenderBackend {
public:
    explicit FrameRenderer(const SpectralVolume& volume);

    const char* name() const override { return "cpu-exact"; }
    // q: one complex coordinate per band (playback phasors times gains, plus modal coordinates).
    Status render(const std::vector<std::complex<float>>& q, cv::Mat& outBgr8) override;

    const DisplacementField& lastField() const { return m_field; }
    const std::vector<float>& weights() const { return m_weights; }

private:
    const SpectralVolume& m_volume;
    cv::Mat m_referenceFloat;
    std::vector<float> m_weights;
    SoftmaxSplatter m_splatter;
    DisplacementField m_field;
    cv::Mat m_outFloat;
};

// The softmax weight map every back end splats with: splatWeights(meanMotionMagnitude(volume)).
std::vector<float> sceneSplatWeights(const SpectralVolume& volume);

}  // namespace waft::engine
