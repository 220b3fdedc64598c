#include "baseline/SplatBaseline.h"

#include <torch/torch.h>

#include <cstring>

#include "ml/render/FeatureSplat.h"

namespace waft::engine {

// The engine's one LibTorch splat (the neural renderer's, render::softmaxSplat) on a cv::Mat.
Status splatTorchBaseline(const cv::Mat& image, const DisplacementField& field, const std::vector<float>& weights,
                          cv::Mat& out) {
    if (image.empty() || image.depth() != CV_32F || !image.isContinuous())
        return Status::invalid("baseline splat needs a continuous float image");
    if (field.width != image.cols || field.height != image.rows || (!weights.empty() && weights.size() != field.size()))
        return Status::invalid("baseline splat inputs differ in size");
    torch::NoGradGuard noGrad;
    const int64_t h = image.rows, w = image.cols, c = image.channels();
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    const torch::Tensor values = torch::from_blob(image.data, {h, w, c}, f32).permute({2, 0, 1}).unsqueeze(0);
    const torch::Tensor flow = torch::stack({torch::from_blob(const_cast<float*>(field.dx.data()), {h, w}, f32),
                                             torch::from_blob(const_cast<float*>(field.dy.data()), {h, w}, f32)})
                                   .unsqueeze(0);
    const torch::Tensor wt = weights.empty() ? torch::ones({1, 1, h, w}, f32)  // uniform, as SoftmaxSplatter takes it
                                             : torch::from_blob(const_cast<float*>(weights.data()), {1, 1, h, w}, f32);
    const torch::Tensor result =
        render::softmaxSplat(values, flow, wt).values.squeeze(0).permute({1, 2, 0}).contiguous();
    out.create(int(h), int(w), CV_MAKETYPE(CV_32F, int(c)));
    std::memcpy(out.data, result.data_ptr<float>(), size_t(h * w * c) * sizeof(float));
    return Status::ok();
}

}  // namespace waft::engine
