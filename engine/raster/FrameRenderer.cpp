#include "raster/FrameRenderer.h"

#include "motion/DisplacementSynth.h"

namespace waft::engine {

FrameRenderer::FrameRenderer(const SpectralVolume& volume) : m_volume(volume) {
    volume.reference.convertTo(m_referenceFloat, CV_32FC3);
    m_weights = sceneSplatWeights(volume);
}

std::vector<float> sceneSplatWeights(const SpectralVolume& volume) {
    return SoftmaxSplatter::splatWeights(meanMotionMagnitude(volume));
}

RenderBackendFactory exactCpuRenderBackend() {
    return [](const SpectralVolume& volume) -> Expected<std::unique_ptr<RenderBackend>> {
        return std::unique_ptr<RenderBackend>(std::make_unique<FrameRenderer>(volume));
    };
}

Status FrameRenderer::render(const std::vector<std::complex<float>>& q, cv::Mat& outBgr8) {
    synthesizeDisplacement(m_volume, q, m_field);
    WAFT_RETURN_IF_ERROR(m_splatter.splat(m_referenceFloat, m_field, m_weights, m_outFloat));
    m_outFloat.convertTo(outBgr8, CV_8UC3);
    return Status::ok();
}

}  // namespace waft::engine
