#include "ml/prior/LoopLoss.h"

#include <cmath>

namespace waft::engine::prior {

namespace {
// F(t) = Re sum_j S_j e^{i w_j t}: [2, H, W].
torch::Tensor displacementAt(const torch::Tensor& c, const std::vector<float>& freqs, double t) {
    std::vector<float> cosines, sines;
    for (float f : freqs) {
        const double phase = 2.0 * M_PI * double(f) * t;
        cosines.push_back(float(std::cos(phase)));
        sines.push_back(float(std::sin(phase)));
    }
    const auto opts = c.options();
    const torch::Tensor cs = torch::tensor(cosines, opts).reshape({-1, 1, 1});
    const torch::Tensor sn = torch::tensor(sines, opts).reshape({-1, 1, 1});
    const torch::Tensor dx = (c.select(1, 0) * cs - c.select(1, 1) * sn).sum(0);
    const torch::Tensor dy = (c.select(1, 2) * cs - c.select(1, 3) * sn).sum(0);
    return torch::stack({dx, dy});
}

torch::Tensor gradients(const torch::Tensor& f) {
    return torch::cat({(f.slice(2, 1) - f.slice(2, 0, -1)).flatten(), (f.slice(1, 1) - f.slice(1, 0, -1)).flatten()});
}
}  // namespace

torch::Tensor loopLoss(const torch::Tensor& coefficients, const std::vector<float>& frequenciesHz, float fps,
                       int frames) {
    TORCH_CHECK(
        coefficients.dim() == 4 && coefficients.size(1) == 4 && coefficients.size(0) == int64_t(frequenciesHz.size()),
        "loopLoss wants [K, 4, H, W] with one frequency per band");
    const torch::Tensor first = displacementAt(coefficients, frequenciesHz, 0.0);
    const torch::Tensor last = displacementAt(coefficients, frequenciesHz, double(frames - 1) / double(fps));
    return (last - first).abs().mean() + (gradients(last) - gradients(first)).abs().mean();
}

}  // namespace waft::engine::prior
