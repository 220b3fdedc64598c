#pragma once
// Softmax splatting of C-channel tensors in LibTorch (Niklaus & Liu 2020; GID §5), batched and differentiable in
// the values and the weights, so the neural renderer's feature extractor and learned importance train through it. The
// same sum as the engine's CPU reference (raster/SoftmaxSplatter.h), which is held to it in tests:
//   out(q) = sum_p b_pq W(p) v(p) / sum_p b_pq W(p),   density(q) = sum_p b_pq,
// with b the bilinear taps of p + F(p) and W the softmax weights (SoftmaxSplatter::splatWeights' exp(Z - Zmax)).
// Target pixels nothing lands on get 0 and density 0. Pure functions, any thread. Engine-internal (pulls in torch).

#include <torch/torch.h>

namespace waft::engine::render {

struct Splatted {
    torch::Tensor values;   // [B, C, H, W]
    torch::Tensor density;  // [B, 1, H, W]: sum of bilinear taps landing on each pixel (0 in holes)
};

// values [B, C, H, W]; flow [B, 2, H, W] in pixels (x, y); weights [B, 1, H, W], positive. The flow gets no
// gradient; non-finite displacements are dropped.
Splatted softmaxSplat(const torch::Tensor& values, const torch::Tensor& flow, const torch::Tensor& weights);

// The flow and weights of a pyramid level 2^-level of the frame (average-pooled; displacements scaled).
torch::Tensor flowAtLevel(const torch::Tensor& flow, int level);
torch::Tensor weightsAtLevel(const torch::Tensor& weights, int level);

}  // namespace waft::engine::render
