#include "ml/sd/ClipTextModel.h"

#include <algorithm>

#include "ml/common/Attention.h"
#include "ml/sd/SdLayers.h"

namespace waft::engine::sd {

namespace nn = torch::nn;

ClipTextModelImpl::ClipTextModelImpl(ClipTextConfig cfg) : config(std::move(cfg)) {
    const int w = config.width;
    auto text = register_module("text_model", container());
    auto embeddings = text->register_module("embeddings", container());
    m_tokens = embeddings->register_module("token_embedding", nn::Embedding(config.vocabSize, w));
    m_positions = embeddings->register_module("position_embedding", nn::Embedding(config.contextLength, w));
    nn::ModuleList layers;
    for (int i = 0; i < config.layers; ++i) {
        Layer l;
        auto layer = container();
        auto attention = layer->register_module("self_attn", container());
        l.k = attention->register_module("k_proj", nn::Linear(w, w));
        l.v = attention->register_module("v_proj", nn::Linear(w, w));
        l.q = attention->register_module("q_proj", nn::Linear(w, w));
        l.out = attention->register_module("out_proj", nn::Linear(w, w));
        l.norm1 = layer->register_module("layer_norm1", nn::LayerNorm(nn::LayerNormOptions({w})));
        auto mlp = layer->register_module("mlp", container());
        l.fc1 = mlp->register_module("fc1", nn::Linear(w, config.intermediate));
        l.fc2 = mlp->register_module("fc2", nn::Linear(config.intermediate, w));
        l.norm2 = layer->register_module("layer_norm2", nn::LayerNorm(nn::LayerNormOptions({w})));
        layers->push_back(layer);
        m_layers.push_back(l);
    }
    text->register_module("encoder", container())->register_module("layers", layers);
    m_finalNorm = text->register_module("final_layer_norm", nn::LayerNorm(nn::LayerNormOptions({w})));
}

torch::Tensor ClipTextModelImpl::forward(const torch::Tensor& ids, int clipSkip) {
    const int64_t length = ids.size(1);
    TORCH_CHECK(length <= config.contextLength, "CLIP text: more tokens than the context holds");
    const torch::Tensor positions =
        torch::arange(length, torch::TensorOptions().dtype(torch::kLong).device(ids.device()));
    torch::Tensor h = m_tokens(ids) + m_positions(positions).unsqueeze(0);
    const int run = int(m_layers.size()) - std::clamp(clipSkip, 1, int(m_layers.size())) + 1;
    for (int i = 0; i < run; ++i) {
        Layer& l = m_layers[size_t(i)];
        const torch::Tensor x = layerNormF32(l.norm1, h);
        h = h + l.out(ml::attention(l.q(x), l.k(x), l.v(x), config.heads, true));
        const torch::Tensor m = l.fc1(layerNormF32(l.norm2, h));
        h = h + l.fc2(m * torch::sigmoid(1.702 * m));  // quick-GELU
    }
    return layerNormF32(m_finalNorm, h);
}

}  // namespace waft::engine::sd
