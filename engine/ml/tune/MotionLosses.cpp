#include "ml/tune/MotionLosses.h"

#include <cmath>

namespace waft::engine::tune {

torch::Tensor frameResiduals(const torch::Tensor& x, bool absolute) {
    TORCH_CHECK(x.size(0) >= 2, "frame residuals need at least two frames");
    const torch::Tensor r = x.narrow(0, 1, x.size(0) - 1) - x.narrow(0, 0, x.size(0) - 1);
    return absolute ? r.abs() : r;
}

std::vector<torch::Tensor> haarDwt(const torch::Tensor& x, int levels) {
    TORCH_CHECK(levels >= 1, "Haar DWT: at least one level");
    const double s = 1.0 / std::sqrt(2.0);
    std::vector<torch::Tensor> details;
    torch::Tensor a = x;
    for (int level = 0; level < levels && a.size(0) >= 2; ++level) {
        if (a.size(0) % 2) a = torch::cat({a, a.narrow(0, a.size(0) - 1, 1)}, 0);
        const torch::Tensor pairs = a.reshape({a.size(0) / 2, 2, -1});
        const torch::Tensor first = pairs.select(1, 0), second = pairs.select(1, 1);
        std::vector<int64_t> shape = a.sizes().vec();
        shape[0] /= 2;
        details.push_back(((second - first) * s).reshape(shape));
        a = ((first + second) * s).reshape(shape);
    }
    std::vector<torch::Tensor> out{a};
    out.insert(out.end(), details.rbegin(), details.rend());
    return out;
}

int smaLevels(int frames) {
    if (frames <= 8) return 2;
    if (frames >= 16) return 3;
    return std::max(1, int(std::floor(std::log2(double(frames)))) - 1);
}

torch::Tensor smaGlobalLoss(const torch::Tensor& clean, const torch::Tensor& estimated, int levels) {
    const auto a = haarDwt(clean, levels), b = haarDwt(estimated, levels);
    torch::Tensor loss = torch::zeros({}, estimated.options());
    for (size_t i = 0; i < a.size(); ++i) loss = loss + (a[i] - b[i]).abs().mean();
    return loss;
}

torch::Tensor smaFrequencyWeights(int64_t height, int64_t width, double delta, const torch::Device& device) {
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    const double ch = double(height) / 2.0, cw = double(width) / 2.0;
    const torch::Tensor a = torch::arange(height, f64).sub(ch).pow(2).unsqueeze(1);
    const torch::Tensor b = torch::arange(width, f64).sub(cw).pow(2).unsqueeze(0);
    const torch::Tensor w = std::pow(ch * ch + cw * cw, delta) - (a + b).pow(delta) + 1.0;
    return w.to(device, torch::kFloat32);
}

SmaLocalTerms smaLocalLoss(const torch::Tensor& clean, const torch::Tensor& estimated, double delta) {
    const std::vector<int64_t> dims{-2, -1};
    const auto spectrum = [&](const torch::Tensor& x) {
        return torch::fft::fftshift(torch::fft::fft2(x.to(torch::kFloat32)), dims);
    };
    const torch::Tensor zc = spectrum(clean), ze = spectrum(estimated);
    const torch::Tensor w = smaFrequencyWeights(clean.size(-2), clean.size(-1), delta, zc.device());
    SmaLocalTerms t;
    t.amplitude = (w * (zc.abs() - ze.abs()).abs()).mean();
    // arg(zc · conj(ze)) is φc − φe already wrapped to (−π, π]. Where the product is (near) zero its angle is
    // undefined and atan2's gradient infinite: those bins are replaced before the angle, so they carry none.
    const torch::Tensor product = zc * torch::conj(ze);
    torch::Tensor re = torch::real(product), im = torch::imag(product);
    const torch::Tensor power = re * re + im * im;
    // Relative to the largest bin: near-empty bins would give atan2 gradients of ~1/|p| that swamp the rest.
    const torch::Tensor tiny = power < 1e-12 * power.detach().max() + 1e-30;
    re = torch::where(tiny, torch::ones_like(re), re);
    im = torch::where(tiny, torch::zeros_like(im), im);
    t.phase = (w * torch::atan2(im, re).abs()).mean();
    return t;
}

torch::Tensor vmcResidualLoss(const torch::Tensor& predicted, const torch::Tensor& truth, bool absolute) {
    const torch::Tensor a = frameResiduals(predicted.to(torch::kFloat32), absolute);
    const torch::Tensor b = frameResiduals(truth.to(torch::kFloat32), absolute);
    return 1.0 - torch::cosine_similarity(a, b, 0, 1e-8).mean();
}

torch::Tensor estimateCleanLatents(const torch::Tensor& noisy, const torch::Tensor& predicted, double alphaBar) {
    return (noisy - std::sqrt(1.0 - alphaBar) * predicted) / std::sqrt(alphaBar);
}

double smaTimestepWeight(double alphaBar) { return std::sqrt(alphaBar); }

}  // namespace waft::engine::tune
