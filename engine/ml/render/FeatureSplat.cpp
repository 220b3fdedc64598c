#include "ml/render/FeatureSplat.h"

namespace waft::engine::render {

Splatted softmaxSplat(const torch::Tensor& values, const torch::Tensor& flow, const torch::Tensor& weights) {
    const int64_t b = values.size(0), c = values.size(1), h = values.size(2), w = values.size(3);
    TORCH_CHECK(flow.size(0) == b && flow.size(1) == 2 && flow.size(2) == h && flow.size(3) == w, "flow shape");
    TORCH_CHECK(weights.size(0) == b && weights.size(1) == 1 && weights.size(2) == h && weights.size(3) == w,
                "weights shape");
    const auto o = values.options().dtype(torch::kFloat32);
    const torch::Tensor f = flow.detach().to(o), wt = weights.to(o).reshape({b, 1, h * w});
    const torch::Tensor xs = torch::arange(w, o).view({1, 1, w}).expand({b, h, w});
    const torch::Tensor ys = torch::arange(h, o).view({1, h, 1}).expand({b, h, w});
    const torch::Tensor tx = (xs + f.select(1, 0)).reshape({b, h * w}), ty = (ys + f.select(1, 1)).reshape({b, h * w});
    const torch::Tensor finite = torch::isfinite(tx) & torch::isfinite(ty);
    const torch::Tensor x0 = torch::floor(torch::where(finite, tx, torch::full_like(tx, -10.0)));
    const torch::Tensor y0 = torch::floor(torch::where(finite, ty, torch::full_like(ty, -10.0)));
    const torch::Tensor ax = torch::where(finite, tx, x0) - x0, ay = torch::where(finite, ty, y0) - y0;
    // [B, C + 2, N]: the weighted values, the weight (the softmax's normaliser), and 1 (for the density).
    const torch::Tensor source = torch::cat({values.to(o).reshape({b, c, h * w}) * wt, wt, torch::ones_like(wt)}, 1);
    torch::Tensor sum = torch::zeros({b, c + 2, h * w}, o);
    for (int t = 0; t < 4; ++t) {
        const torch::Tensor qx = x0 + (t & 1), qy = y0 + (t >> 1);
        const torch::Tensor tap = ((t & 1) ? ax : 1 - ax) * ((t >> 1) ? ay : 1 - ay);
        const torch::Tensor inside = finite & (qx >= 0) & (qx < w) & (qy >= 0) & (qy < h) & (tap > 0);
        const torch::Tensor flat = qy.to(torch::kLong) * w + qx.to(torch::kLong);  // exact beyond 2^24 pixels
        const torch::Tensor index = torch::where(inside, flat, torch::zeros_like(flat));
        const torch::Tensor gate = (tap * inside.to(o)).unsqueeze(1);  // [B, 1, N]
        sum = sum.scatter_add(2, index.unsqueeze(1).expand({b, c + 2, h * w}), source * gate);
    }
    const torch::Tensor normaliser = sum.narrow(1, c, 1);
    const torch::Tensor covered = normaliser > 0;
    Splatted out;
    out.values =
        torch::where(covered, sum.narrow(1, 0, c) / torch::where(covered, normaliser, torch::ones_like(normaliser)),
                     torch::zeros_like(sum.narrow(1, 0, c)))
            .reshape({b, c, h, w})
            .to(values.scalar_type());
    out.density = sum.narrow(1, c + 1, 1).reshape({b, 1, h, w}).to(values.scalar_type());
    return out;
}

torch::Tensor flowAtLevel(const torch::Tensor& flow, int level) {
    if (level == 0) return flow;
    const int64_t k = int64_t(1) << level;
    return torch::avg_pool2d(flow, k) / double(k);
}

torch::Tensor weightsAtLevel(const torch::Tensor& weights, int level) {
    return level == 0 ? weights : torch::avg_pool2d(weights, int64_t(1) << level);
}

}  // namespace waft::engine::render
