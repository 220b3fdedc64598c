#include "ml/render/NeuralRenderBackend.h"

#include <memory>
#include <opencv2/core.hpp>

#include "core/Job.h"
#include "ml/prior/Compute.h"
#include "ml/render/NeuralRenderer.h"
#include "motion/DisplacementSynth.h"
#include "raster/FrameRenderer.h"
#include "raster/SoftmaxSplatter.h"

namespace waft::engine::render {

namespace {

struct SharedRenderer {
    NeuralRenderer model{nullptr};
    prior::Compute compute;
};

class NeuralRenderBackend : public RenderBackend {
public:
    NeuralRenderBackend(const SpectralVolume& volume, std::shared_ptr<SharedRenderer> shared)
        : m_volume(volume), m_shared(std::move(shared)) {
        volume.reference.convertTo(m_referenceFloat, CV_32FC3);
        m_weights = sceneSplatWeights(volume);
        const int f = m_shared->model->config.factor(), w = volume.reference.cols, h = volume.reference.rows;
        m_padRight = (f - w % f) % f;
        m_padBottom = (f - h % f) % f;
        m_reference = pad(bgrToRgb(m_referenceFloat));
        m_weightsTensor =
            pad(torch::from_blob(m_weights.data(), {1, 1, h, w}, torch::kFloat32).clone()).to(m_shared->compute.device);
        m_reference = m_reference.to(m_shared->compute.device);
    }
    const char* name() const override { return "neural"; }

    Status render(const std::vector<std::complex<float>>& q, cv::Mat& outBgr8) override {
        synthesizeDisplacement(m_volume, q, m_field);
        WAFT_RETURN_IF_ERROR(m_splatter.splat(m_referenceFloat, m_field, m_weights, m_fast));
        const int w = m_field.width, h = m_field.height;
        try {
            torch::NoGradGuard noGrad;
            const auto device = m_shared->compute.device;
            // Padding repeats the border (image, flow, weights), so the coarse levels' averages stay the border's.
            const torch::Tensor flow = pad(torch::stack({torch::from_blob(m_field.dx.data(), {h, w}, torch::kFloat32),
                                                         torch::from_blob(m_field.dy.data(), {h, w}, torch::kFloat32)})
                                               .unsqueeze(0))
                                           .to(device);
            const torch::Tensor baseline = pad(bgrToRgb(m_fast)).to(device);
            torch::Tensor frame;
            {
                prior::AutocastScope autocast(m_shared->compute);
                frame = m_shared->model->forward(m_reference, flow, m_weightsTensor, baseline);
            }
            // RGB [0, 1] -> BGR 0..255, the padding cut off.
            const torch::Tensor bgr = (frame.to(torch::kCPU, torch::kFloat32).squeeze(0).flip({0}).clamp(0, 1) * 255.0)
                                          .narrow(1, 0, h)
                                          .narrow(2, 0, w)
                                          .permute({1, 2, 0})
                                          .contiguous();
            cv::Mat(h, w, CV_32FC3, bgr.data_ptr<float>()).convertTo(outBgr8, CV_8UC3);
        } catch (const std::exception& e) {
            return Status::error(StatusCode::Internal, "neural renderer failed: " + oneLine(e.what(), 120));
        }
        return Status::ok();
    }

private:
    // 0..255 BGR float image -> [1, 3, H, W] RGB in [0, 1].
    static torch::Tensor bgrToRgb(const cv::Mat& bgr) {
        return torch::from_blob(bgr.data, {bgr.rows, bgr.cols, 3}, torch::kFloat32)
                   .permute({2, 0, 1})
                   .flip({0})
                   .unsqueeze(0) /
               255.0;
    }
    torch::Tensor pad(const torch::Tensor& x) const {
        if (m_padRight == 0 && m_padBottom == 0) return x.contiguous();
        return torch::replication_pad2d(x, {0, m_padRight, 0, m_padBottom});
    }

    const SpectralVolume& m_volume;
    std::shared_ptr<SharedRenderer> m_shared;
    cv::Mat m_referenceFloat, m_fast;
    std::vector<float> m_weights;
    torch::Tensor m_reference, m_weightsTensor;
    DisplacementField m_field;
    SoftmaxSplatter m_splatter;
    int m_padRight = 0, m_padBottom = 0;
};

}  // namespace

Expected<RenderBackendFactory> neuralRenderBackend(const std::string& modelPath, const prior::ComputeOptions& options) {
    auto model = loadNeuralRenderer(modelPath);
    if (!model) return model.status();
    auto compute = prior::resolveCompute(options, false);
    if (!compute) return compute.status();
    auto shared = std::make_shared<SharedRenderer>();
    shared->model = *model;
    shared->compute = *compute;
    shared->model->to(compute->device);
    shared->model->eval();
    return RenderBackendFactory([shared](const SpectralVolume& volume) -> Expected<std::unique_ptr<RenderBackend>> {
        WAFT_RETURN_IF_ERROR(checkRendererFrame(shared->model->config, volume.width, volume.height));
        return std::unique_ptr<RenderBackend>(std::make_unique<NeuralRenderBackend>(volume, shared));
    });
}

}  // namespace waft::engine::render
