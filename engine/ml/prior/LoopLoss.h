#pragma once
// GID eq. 5's loop term, differentiable (for motion self-guidance). Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <vector>

namespace waft::engine::prior {

// coefficients [K, 4, H, W] (amplitudes, as SpectralVolume), frequencies in Hz; the motion texture's first and
// last frames are F_1 = F(0) and F_T = F((frames - 1) / fps). Returns mean |F_T - F_1| + mean |grad F_T - grad F_1|
// (spatial forward differences), a scalar.
torch::Tensor loopLoss(const torch::Tensor& coefficients, const std::vector<float>& frequenciesHz, float fps,
                       int frames);

}  // namespace waft::engine::prior
