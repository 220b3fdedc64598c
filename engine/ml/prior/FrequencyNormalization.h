#pragma once
// GID eq. 4: frequency-adaptive normalisation of spectral coefficients. Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <vector>

#include "motion/SpectralVolume.h"

namespace waft::engine::prior {

// Per-frequency scale s_f: the given percentile (GID: 95th; nearest rank) of |coefficient| over every channel and pixel
// of band f in the training set. Scales are floored at 1e-6 so silent bands stay invertible.
std::vector<float> fitFrequencyScales(const std::vector<const SpectralVolume*>& volumes, float percentile = 0.95f);

// S' = sign(S) sqrt(|S| / s_f) and its exact inverse S = sign(S') S'^2 s_f, on [..., K, 4, H, W] tensors.
torch::Tensor normalizeSpectral(const torch::Tensor& coefficients, const std::vector<float>& scales);
torch::Tensor denormalizeSpectral(const torch::Tensor& normalized, const std::vector<float>& scales);

}  // namespace waft::engine::prior
