#pragma once
// The engine's one attention function and one timestep embedding, shared by every model (the motion prior,
// the Stable Diffusion parts). Engine-internal (pulls in torch).

#include <torch/torch.h>

namespace waft::engine::ml {

// Multi-head scaled dot-product attention: q [N, Lq, C], k and v [N, Lk, C] -> [N, Lq, C], C split into
// `heads`. causal: query i sees keys 0..i only (CLIP's text tower; needs Lq == Lk). With LibTorch 2.x this is
// the fused kernel (flash / memory-efficient where the device has one); otherwise matmul + softmax in fp32,
// chunked by queries so one chunk's score matrix stays within kAttentionChunkBytes.
constexpr int64_t kAttentionChunkBytes = int64_t(256) << 20;
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int heads,
                        bool causal = false);
// The fallback on its own (any LibTorch): matmul + fp32 softmax, queries chunked so one chunk's scores stay
// within chunkBytes.
torch::Tensor attentionChunked(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int heads,
                               bool causal = false, int64_t chunkBytes = kAttentionChunkBytes);

// Sinusoidal timestep embedding [N] -> [N, dim]: (cos, sin) of t * 10000^(-i / (dim/2)) — the DDPM/LDM form that
// diffusers computes with flip_sin_to_cos = true and downscale_freq_shift = 0 (SD 1.5's UNet).
torch::Tensor timestepEmbedding(const torch::Tensor& t, int dim);

}  // namespace waft::engine::ml
