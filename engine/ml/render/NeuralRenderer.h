#pragma once
// GID §5's image-based renderer: a feature extractor turns the reference image into a pyramid (level l at 2^-l),
// every level is softmax-splatted along the displacement scaled to it, with the splat density beside it, and a
// synthesis network (a U-Net-like decoder, coarsest level first) turns the splatted pyramid into the frame.
// It predicts a residual over the pixel-splatted, push-pull-filled frame (the fast renderer's output), and its
// last layer starts at zero, so an untrained renderer is exactly the fast one and training can only add what
// the fast one misses: disocclusions and stretching. With config.learnedImportance it also learns a term of the
// splat's importance from the reference (which source wins where several land), starting at zero as well. A module
// instance: one thread at a time (inference under NoGradGuard from several threads reads it only). Engine-internal
// (pulls in torch).

#include <torch/torch.h>

#include "ml/render/RendererConfig.h"

namespace waft::engine::render {

struct NeuralRendererImpl : torch::nn::Module {
    explicit NeuralRendererImpl(NeuralRendererConfig config);
    // reference, baseline [B, 3, H, W] in [0, 1] (RGB); flow [B, 2, H, W] in pixels (where each reference pixel
    // goes); weights [B, 1, H, W] the softmax weights. H and W multiples of config.factor(). Returns the frame
    // [B, 3, H, W] (unclamped).
    torch::Tensor forward(const torch::Tensor& reference, const torch::Tensor& flow, const torch::Tensor& weights,
                          const torch::Tensor& baseline);

    NeuralRendererConfig config;

private:
    torch::nn::ModuleList m_extract, m_synthesis;
    torch::nn::Conv2d m_out{nullptr}, m_importance{nullptr};
};
TORCH_MODULE(NeuralRenderer);

}  // namespace waft::engine::render

namespace waft::engine::render {

// Renderer files: safetensors of every tensor (F32) with kind "renderer" and the config in the metadata, read
// through the validating reader: format, kind and config checked, its size budgeted, then every tensor's name,
// shape and finiteness, before anything is used (at most kMaxRendererParameters; each frame is checked against
// the activation budget before it renders). One line naming the file and the problem otherwise.
Status saveNeuralRenderer(NeuralRenderer& model, const std::string& path, const prior::ModelMetadata& extra = {});
Expected<NeuralRenderer> loadNeuralRenderer(const std::string& path);

}  // namespace waft::engine::render
