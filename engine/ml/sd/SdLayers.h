#pragma once
// The building blocks Stable Diffusion's UNet and VAE share, with diffusers' module names (so a diffusers file's
// tensor names are these modules' parameter paths): ResnetBlock2D, Attention, GEGLU feed-forward, the transformer
// block and Transformer2DModel with their inflation to video (Tune-A-Video, SAVE), and the samplers.
// Engine-internal (pulls in torch).

#include <torch/torch.h>

#include "ml/sd/SdConfig.h"

namespace waft::engine::sd {

// A plain container module: diffusers' paths have levels (down_blocks.0.resnets.1) with no computation of their own.
using Container = std::shared_ptr<torch::nn::Module>;
Container container();

// ResnetBlock2D: GroupNorm, SiLU, 3x3 conv; + the projected timestep embedding (UNet; temb == 0: none, the VAE);
// GroupNorm, SiLU, 3x3 conv; a 1x1 conv_shortcut when the width changes.
struct ResnetBlockImpl : torch::nn::Module {
    ResnetBlockImpl(int in, int out, int temb, int groups, double eps);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb = {});
    torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, convShortcut{nullptr};
    torch::nn::Linear timeEmbProj{nullptr};
};
TORCH_MODULE(ResnetBlock);

// diffusers' Attention: q from x, k and v from the context (x itself for self-attention), to_out.0 with bias.
struct AttentionImpl : torch::nn::Module {
    AttentionImpl(int dim, int contextDim, int heads, bool qkvBias = false);
    // x [N, L, C]; context [N, Lc, contextDim] (undefined: x).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context = {});
    // Attention of projected queries against projected keys and values the caller gathered (frameKeys).
    torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);
    torch::nn::Linear toQ{nullptr}, toK{nullptr}, toV{nullptr};
    torch::nn::Sequential toOut{nullptr};  // to_out.0 (to_out.1 is dropout: no parameters)
    int heads;
};
TORCH_MODULE(Attention);

// BasicTransformerBlock with Tune-A-Video's inflation: self-attention (over the frames `selfAttention` says),
// cross-attention to the text, GEGLU feed-forward, each pre-LayerNorm and residual; then, when inflated, temporal
// attention over the frame axis (norm_temp + attn_temp), its output projection zero-initialised (weight and bias)
// so a fresh inflated block is the image block.
struct TransformerBlockImpl : torch::nn::Module {
    TransformerBlockImpl(int dim, int contextDim, int heads, bool temporal);
    // x [B*F, L, C] (F frames of each of B clips, frame-major within a clip), context [B*F, Lc, contextDim].
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, int frames, FrameAttention mode);
    torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr}, normTemp{nullptr};
    Attention attn1{nullptr}, attn2{nullptr}, attnTemp{nullptr};
    torch::nn::Linear ffIn{nullptr}, ffOut{nullptr};  // ff.net.0.proj (GEGLU), ff.net.2
};
TORCH_MODULE(TransformerBlock);

// Transformer2DModel (SD 1.5: GroupNorm, 1x1 conv in, one transformer block, 1x1 conv out, residual).
struct Transformer2DImpl : torch::nn::Module {
    Transformer2DImpl(int channels, int contextDim, int heads, int groups, bool temporal);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, int frames, FrameAttention mode);
    torch::nn::GroupNorm norm{nullptr};
    torch::nn::Conv2d projIn{nullptr}, projOut{nullptr};
    TransformerBlock block{nullptr};
};
TORCH_MODULE(Transformer2D);

// Self-attention's keys and values for each frame under a frame-attention mode: k, v [B*F, L, C] ->
// [B*F, L', C] (L' = L per-frame, 2L sparse-causal, L first-frame, F L full).
std::pair<torch::Tensor, torch::Tensor> frameKeys(const torch::Tensor& k, const torch::Tensor& v, int frames,
                                                  FrameAttention mode);

// GroupNorm computed in fp32 whatever the weights' precision (SD's norms overflow in fp16), cast back.
torch::Tensor groupNormF32(torch::nn::GroupNorm& norm, const torch::Tensor& x);
torch::Tensor layerNormF32(torch::nn::LayerNorm& norm, const torch::Tensor& x);

// Converts a module's floating parameters and buffers to `dtype` in place, except those of its LayerNorms and
// GroupNorms, which stay fp32 (SD in half precision: the weights in half, the norms in fp32). Run it before the
// weights load and each tensor is converted once, from the file's bytes, into its final dtype.
void castExceptNorms(torch::nn::Module& module, at::ScalarType dtype);

// Down: 3x3 stride-2 conv (the UNet pads 1; the VAE pads (0, 1, 0, 1) first, as diffusers' Downsample2D with
// padding 0). Up: nearest 2x (or to `size`), then a 3x3 conv.
torch::Tensor downsample(torch::nn::Conv2d& conv, const torch::Tensor& x, bool asymmetricPad);
torch::Tensor upsample(torch::nn::Conv2d& conv, const torch::Tensor& x, c10::IntArrayRef size = {});

}  // namespace waft::engine::sd
