#include "ml/render/NeuralRenderer.h"

#include "core/Job.h"
#include "io/SafetensorsFile.h"
#include "ml/common/WeightLoader.h"
#include "ml/prior/ModelFile.h"
#include "ml/render/FeatureSplat.h"

namespace waft::engine::render {

namespace nn = torch::nn;

namespace {

nn::Conv2d conv3(int64_t in, int64_t out, int64_t stride = 1) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

torch::Tensor act(const torch::Tensor& x) { return torch::leaky_relu(x, 0.1); }

}  // namespace

// Layers in the order rendererParameterCount (RendererConfig.cpp) counts them.
NeuralRendererImpl::NeuralRendererImpl(NeuralRendererConfig cfg) : config(std::move(cfg)) {
    const int levels = int(config.features.size());
    m_extract = register_module("extract", nn::ModuleList());
    m_synthesis = register_module("synthesis", nn::ModuleList());
    for (int l = 0; l < levels; ++l) {
        const int in = l == 0 ? 3 : config.features[size_t(l - 1)], f = config.features[size_t(l)];
        m_extract->push_back(conv3(in, f, l == 0 ? 1 : 2));
        m_extract->push_back(conv3(f, f));
        const int splatted = f + 1 + (l == 0 ? 3 : 0);
        const int synthIn = splatted + (l + 1 < levels ? config.synthesis[size_t(l + 1)] : 0) + (l == 0 ? 3 : 0);
        m_synthesis->push_back(conv3(synthIn, config.synthesis[size_t(l)]));
        m_synthesis->push_back(conv3(config.synthesis[size_t(l)], config.synthesis[size_t(l)]));
    }
    m_out = register_module("out", conv3(config.synthesis[0], 3));
    if (config.learnedImportance) m_importance = register_module("importance", conv3(3 + config.features[0], 1));
    torch::NoGradGuard noGrad;
    const auto zero = [](nn::Conv2d& conv) {
        conv->weight.zero_();
        conv->bias.zero_();
    };
    zero(m_out);
    if (m_importance) zero(m_importance);
}

torch::Tensor NeuralRendererImpl::forward(const torch::Tensor& reference, const torch::Tensor& flow,
                                          const torch::Tensor& weights, const torch::Tensor& baseline) {
    const int levels = int(config.features.size());
    const auto convAt = [](nn::ModuleList& list, int i, const torch::Tensor& x) {
        return list->ptr<nn::Conv2dImpl>(size_t(i))->forward(x);
    };
    // The pyramid, each level splatted (GID §5: the same softmax weights at every level).
    std::vector<torch::Tensor> splatted(static_cast<size_t>(levels));
    torch::Tensor h = reference, w = weights;
    for (int l = 0; l < levels; ++l) {
        h = act(convAt(m_extract, 2 * l + 1, act(convAt(m_extract, 2 * l, h))));
        const torch::Tensor source = l == 0 ? torch::cat({reference, h}, 1) : h;
        // Bounded to a factor of e^±4, so no learned term can overflow the softmax's weights.
        if (l == 0 && m_importance) w = weights * torch::exp(4.0 * torch::tanh(m_importance(source) / 4.0));
        const Splatted s = softmaxSplat(source, flowAtLevel(flow, l), weightsAtLevel(w, l));
        splatted[size_t(l)] = torch::cat({s.values, s.density.clamp_max(4.0)}, 1);
    }
    torch::Tensor x;
    for (int l = levels - 1; l >= 0; --l) {
        std::vector<torch::Tensor> parts;
        parts.reserve(3);
        parts.push_back(splatted[size_t(l)]);
        if (x.defined())
            parts.push_back(
                torch::upsample_bilinear2d(x, {splatted[size_t(l)].size(2), splatted[size_t(l)].size(3)}, false));
        if (l == 0) parts.push_back(baseline);
        x = act(convAt(m_synthesis, 2 * l + 1, act(convAt(m_synthesis, 2 * l, torch::cat(parts, 1)))));
    }
    return baseline + m_out(x);
}

Status saveNeuralRenderer(NeuralRenderer& model, const std::string& path, const prior::ModelMetadata& extra) {
    return prior::saveModel(*model, "renderer", rendererConfigJson(model->config), path, extra);
}

Expected<NeuralRenderer> loadNeuralRenderer(const std::string& path) {
    try {
        auto file = SafetensorsFile::open(path);
        if (!file) return file.status();
        auto config = readRendererConfig(file->metadata(), path);
        if (!config) return config.status();
        if (rendererParameterCount(*config) > kMaxRendererParameters)
            return Status::invalid(path + ": renderer config asks for more than 8 M parameters");
        NeuralRenderer model(*config);
        auto loaded = ml::loadWeights(*model, *file, path);
        if (!loaded) return loaded.status();
        model->eval();
        return model;
    } catch (const std::exception& e) {
        return Status::corrupt(path + ": cannot build the renderer (" + oneLine(e.what(), 120) + ")");
    }
}

}  // namespace waft::engine::render
