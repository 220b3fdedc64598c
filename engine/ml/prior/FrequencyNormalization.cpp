#include "ml/prior/FrequencyNormalization.h"

#include <algorithm>
#include <cmath>

namespace waft::engine::prior {

std::vector<float> fitFrequencyScales(const std::vector<const SpectralVolume*>& volumes, float percentile) {
    int bands = 0;
    for (const SpectralVolume* v : volumes) bands = std::max(bands, v->bands);
    std::vector<float> scales(size_t(bands), 1e-6f);
    for (int j = 0; j < bands; ++j) {
        std::vector<float> magnitudes;
        for (const SpectralVolume* v : volumes) {
            if (j >= v->bands) continue;
            const float* p = v->plane(j, 0);
            for (size_t i = 0; i < 4 * v->planeSize(); ++i) magnitudes.push_back(std::abs(p[i]));
        }
        if (magnitudes.empty()) continue;
        // Nearest rank: the ceil(p n)-th smallest (the epsilon absorbs 0.95f's float representation).
        const double rank = std::ceil(double(percentile) * double(magnitudes.size()) - 1e-6);
        const size_t k = std::min(magnitudes.size() - 1, size_t(std::max(1.0, rank)) - 1);
        std::nth_element(magnitudes.begin(), magnitudes.begin() + long(k), magnitudes.end());
        scales[size_t(j)] = std::max(magnitudes[k], 1e-6f);
    }
    return scales;
}

namespace {
// Scales shaped to broadcast against [..., K, 4, H, W].
torch::Tensor scaleTensor(const torch::Tensor& like, const std::vector<float>& scales) {
    TORCH_CHECK(like.dim() >= 4 && like.size(-4) == int64_t(scales.size()), "coefficients must be [..., K, 4, H, W]");
    return torch::tensor(scales, like.options()).reshape({int64_t(scales.size()), 1, 1, 1});
}
}  // namespace

torch::Tensor normalizeSpectral(const torch::Tensor& coefficients, const std::vector<float>& scales) {
    return torch::sign(coefficients) * torch::sqrt(torch::abs(coefficients) / scaleTensor(coefficients, scales));
}

torch::Tensor denormalizeSpectral(const torch::Tensor& normalized, const std::vector<float>& scales) {
    return torch::sign(normalized) * normalized.pow(2) * scaleTensor(normalized, scales);
}

}  // namespace waft::engine::prior
