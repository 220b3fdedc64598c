#pragma once
// CLIP's text tower (transformers CLIPTextModel, ViT-L/14 for SD 1.5) with transformers' module names: token and
// position embeddings, pre-LayerNorm layers of causal self-attention and a quick-GELU MLP, a final LayerNorm.
// Engine-internal (pulls in torch).

#include <torch/torch.h>

#include "ml/sd/SdConfig.h"

namespace waft::engine::sd {

struct ClipTextModelImpl : torch::nn::Module {
    explicit ClipTextModelImpl(ClipTextConfig config);
    // ids [N, contextLength] (int64) -> hidden states [N, contextLength, width], final-LayerNormed. clipSkip 1 is
    // the last layer (SD 1.x); 2 stops one layer earlier, as community fine-tunes ask (the norm still applies).
    torch::Tensor forward(const torch::Tensor& ids, int clipSkip = 1);

    ClipTextConfig config;

private:
    struct Layer {
        torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
        torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, out{nullptr}, fc1{nullptr}, fc2{nullptr};
    };
    torch::nn::Embedding m_tokens{nullptr}, m_positions{nullptr};
    std::vector<Layer> m_layers;
    torch::nn::LayerNorm m_finalNorm{nullptr};
};
TORCH_MODULE(ClipTextModel);

}  // namespace waft::engine::sd
