#include "baseline/SplatBaseline.h"

#include <torch/torch.h>

namespace waft::engine {

Status splatIndexAddBaseline(const cv::Mat& image, const DisplacementField& field, const std::vector<float>& weights,
                             cv::Mat& out) {
    if (image.empty() || image.depth() != CV_32F || !image.isContinuous())
        return Status::invalid("baseline splat needs a continuous float image");
    if (field.width != image.cols || field.height != image.rows || weights.size() != field.size())
        return Status::invalid("baseline splat inputs differ in size");
    torch::NoGradGuard noGrad;
    const int64_t h = image.rows, w = image.cols, c = image.channels();
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    const torch::Tensor src = torch::from_blob(image.data, {h * w, c}, f32);
    const torch::Tensor dx = torch::from_blob(const_cast<float*>(field.dx.data()), {h, w}, f32);
    const torch::Tensor dy = torch::from_blob(const_cast<float*>(field.dy.data()), {h, w}, f32);
    const torch::Tensor wt = torch::from_blob(const_cast<float*>(weights.data()), {h * w}, f32);

    const torch::Tensor gx = torch::arange(w, f32).view({1, w}).expand({h, w});
    const torch::Tensor gy = torch::arange(h, f32).view({h, 1}).expand({h, w});
    const torch::Tensor tx = (gx + dx).reshape({-1});
    const torch::Tensor ty = (gy + dy).reshape({-1});
    const torch::Tensor x0 = tx.floor();
    const torch::Tensor y0 = ty.floor();
    const torch::Tensor ax = tx - x0;
    const torch::Tensor ay = ty - y0;
    const torch::Tensor values = torch::cat({src, torch::ones({h * w, 1}, f32)}, 1) * wt.unsqueeze(1);

    torch::Tensor accum = torch::zeros({h * w, c + 1}, f32);
    const torch::Tensor x0l = x0.to(torch::kLong), y0l = y0.to(torch::kLong);
    const std::pair<int, int> offsets[4] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
    for (const auto& [ox, oy] : offsets) {
        const torch::Tensor qx = x0l + ox;
        const torch::Tensor qy = y0l + oy;
        const torch::Tensor bw = (ox ? ax : 1 - ax) * (oy ? ay : 1 - ay);
        const torch::Tensor valid = (qx >= 0) & (qx < w) & (qy >= 0) & (qy < h) & (bw > 0);
        const torch::Tensor index = (qy * w + qx).masked_select(valid);
        const torch::Tensor contribution = (values * bw.unsqueeze(1)).index({valid});
        accum.index_add_(0, index, contribution);
    }
    const torch::Tensor weight = accum.slice(1, c, c + 1);
    const torch::Tensor result =
        torch::where(weight > 0, accum.slice(1, 0, c) / weight.clamp_min(1e-30), torch::zeros_like(weight))
            .contiguous();
    out.create(int(h), int(w), CV_MAKETYPE(CV_32F, int(c)));
    std::memcpy(out.data, result.data_ptr<float>(), size_t(h * w * c) * sizeof(float));
    return Status::ok();
}

}  // namespace waft::engine
