#include "ml/sd/SdLayers.h"

#include "ml/common/Attention.h"

namespace waft::engine::sd {

namespace nn = torch::nn;

Container container() { return std::make_shared<nn::Module>(); }

torch::Tensor groupNormF32(nn::GroupNorm& norm, const torch::Tensor& x) {
    if (x.scalar_type() == torch::kFloat32) return norm(x);
    const auto& o = norm->options;
    return torch::group_norm(x.to(torch::kFloat32), o.num_groups(), norm->weight.to(torch::kFloat32),
                             norm->bias.to(torch::kFloat32), o.eps())
        .to(x.scalar_type());
}

torch::Tensor layerNormF32(nn::LayerNorm& norm, const torch::Tensor& x) {
    if (x.scalar_type() == torch::kFloat32 && norm->weight.scalar_type() == torch::kFloat32) return norm(x);
    const auto& o = norm->options;
    return torch::layer_norm(x.to(torch::kFloat32), o.normalized_shape(), norm->weight.to(torch::kFloat32),
                             norm->bias.to(torch::kFloat32), o.eps())
        .to(x.scalar_type());
}

void castExceptNorms(nn::Module& module, at::ScalarType dtype) {
    torch::NoGradGuard noGrad;
    for (const auto& m : module.modules(/*include_self=*/true)) {
        if (dynamic_cast<nn::LayerNormImpl*>(m.get()) || dynamic_cast<nn::GroupNormImpl*>(m.get())) continue;
        for (auto& t : m->parameters(/*recurse=*/false))
            if (t.is_floating_point()) t.set_data(t.to(dtype));
        for (auto& t : m->buffers(/*recurse=*/false))
            if (t.is_floating_point()) t.set_data(t.to(dtype));
    }
}

ResnetBlockImpl::ResnetBlockImpl(int in, int out, int temb, int groups, double eps) {
    norm1 = register_module("norm1", nn::GroupNorm(nn::GroupNormOptions(groups, in).eps(eps)));
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)));
    if (temb > 0) timeEmbProj = register_module("time_emb_proj", nn::Linear(temb, out));
    norm2 = register_module("norm2", nn::GroupNorm(nn::GroupNormOptions(groups, out).eps(eps)));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1)));
    if (in != out) convShortcut = register_module("conv_shortcut", nn::Conv2d(nn::Conv2dOptions(in, out, 1)));
}

torch::Tensor ResnetBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& temb) {
    torch::Tensor h = conv1(torch::silu(groupNormF32(norm1, x)));
    if (timeEmbProj && temb.defined()) h = h + timeEmbProj(torch::silu(temb)).unsqueeze(-1).unsqueeze(-1);
    h = conv2(torch::silu(groupNormF32(norm2, h)));
    return (convShortcut ? convShortcut(x) : x) + h;
}

AttentionImpl::AttentionImpl(int dim, int contextDim, int heads_, bool qkvBias) : heads(heads_) {
    toQ = register_module("to_q", nn::Linear(nn::LinearOptions(dim, dim).bias(qkvBias)));
    toK = register_module("to_k", nn::Linear(nn::LinearOptions(contextDim, dim).bias(qkvBias)));
    toV = register_module("to_v", nn::Linear(nn::LinearOptions(contextDim, dim).bias(qkvBias)));
    toOut = register_module("to_out", nn::Sequential(nn::Linear(dim, dim)));
}

torch::Tensor AttentionImpl::attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
    return toOut->forward(ml::attention(q, k, v, heads));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context) {
    const torch::Tensor& c = context.defined() ? context : x;
    return attend(toQ(x), toK(c), toV(c));
}

std::pair<torch::Tensor, torch::Tensor> frameKeys(const torch::Tensor& k, const torch::Tensor& v, int frames,
                                                  FrameAttention mode) {
    if (mode == FrameAttention::PerFrame || frames <= 1) return {k, v};
    const int64_t bf = k.size(0), l = k.size(1), c = k.size(2), b = bf / frames;
    const auto gather = [&](const torch::Tensor& t) {
        const torch::Tensor clip = t.reshape({b, frames, l, c});
        switch (mode) {
            case FrameAttention::SparseCausal: {
                // Tune-A-Video: the first and the previous frame (frame 0: itself twice).
                std::vector<int64_t> former(static_cast<size_t>(frames));
                for (int f = 0; f < frames; ++f) former[size_t(f)] = std::max(0, f - 1);
                const torch::Tensor index =
                    torch::tensor(former, torch::TensorOptions().dtype(torch::kLong).device(t.device()));
                const torch::Tensor first = clip.select(1, 0).unsqueeze(1).expand({b, frames, l, c});
                return torch::cat({first, clip.index_select(1, index)}, 2).reshape({bf, 2 * l, c});
            }
            case FrameAttention::FirstFrame:  // SAVE eq. 6: every frame's queries against the first frame's tokens
                return clip.select(1, 0).unsqueeze(1).expand({b, frames, l, c}).reshape({bf, l, c});
            case FrameAttention::Full:  // every frame against all frames' tokens
                return clip.reshape({b, 1, frames * l, c})
                    .expand({b, frames, frames * l, c})
                    .reshape({bf, frames * l, c});
            case FrameAttention::PerFrame: break;
        }
        return t;
    };
    return {gather(k), gather(v)};
}

TransformerBlockImpl::TransformerBlockImpl(int dim, int contextDim, int heads, bool temporal) {
    norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({dim})));
    attn1 = register_module("attn1", Attention(dim, dim, heads));
    norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({dim})));
    attn2 = register_module("attn2", Attention(dim, contextDim, heads));
    norm3 = register_module("norm3", nn::LayerNorm(nn::LayerNormOptions({dim})));
    // ff.net = [GEGLU(proj: dim -> 2 x 4dim), Dropout, Linear(4dim -> dim)]
    auto geglu = container();
    ffIn = geglu->register_module("proj", nn::Linear(dim, 8 * dim));
    ffOut = nn::Linear(4 * dim, dim);
    nn::ModuleList net;
    net->push_back(geglu);
    net->push_back(nn::Dropout(0.0));
    net->push_back(ffOut);
    auto ff = register_module("ff", container());
    ff->register_module("net", net);
    if (temporal) {
        attnTemp = register_module("attn_temp", Attention(dim, dim, heads));
        normTemp = register_module("norm_temp", nn::LayerNorm(nn::LayerNormOptions({dim})));
        torch::NoGradGuard noGrad;
        auto out = attnTemp->toOut[0]->as<nn::Linear>();
        out->weight.zero_();
        out->bias.zero_();
    }
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& context, int frames,
                                            FrameAttention mode) {
    torch::Tensor h = layerNormF32(norm1, x);
    auto [k, v] = frameKeys(attn1->toK(h), attn1->toV(h), frames, mode);
    torch::Tensor out = attn1->attend(attn1->toQ(h), k, v) + x;
    out = attn2(layerNormF32(norm2, out), context) + out;
    const auto parts = ffIn(layerNormF32(norm3, out)).chunk(2, -1);
    out = ffOut(parts[0] * torch::gelu(parts[1])) + out;
    if (attnTemp && frames > 1) {
        // [(B F), L, C] -> [(B L), F, C]: attention along time at every token position.
        const int64_t bf = out.size(0), l = out.size(1), c = out.size(2), b = bf / frames;
        torch::Tensor t = out.reshape({b, frames, l, c}).transpose(1, 2).reshape({b * l, frames, c});
        t = attnTemp(layerNormF32(normTemp, t)) + t;
        out = t.reshape({b, l, frames, c}).transpose(1, 2).reshape({bf, l, c});
    }
    return out;
}

Transformer2DImpl::Transformer2DImpl(int channels, int contextDim, int heads, int groups, bool temporal) {
    norm = register_module("norm", nn::GroupNorm(nn::GroupNormOptions(groups, channels).eps(1e-6)));
    projIn = register_module("proj_in", nn::Conv2d(nn::Conv2dOptions(channels, channels, 1)));
    block = TransformerBlock(channels, contextDim, heads, temporal);
    nn::ModuleList blocks;
    blocks->push_back(block);
    register_module("transformer_blocks", blocks);
    projOut = register_module("proj_out", nn::Conv2d(nn::Conv2dOptions(channels, channels, 1)));
}

torch::Tensor Transformer2DImpl::forward(const torch::Tensor& x, const torch::Tensor& context, int frames,
                                         FrameAttention mode) {
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    torch::Tensor t = projIn(groupNormF32(norm, x)).flatten(2).transpose(1, 2);  // [N, HW, C]
    t = block->forward(t, context, frames, mode);
    return projOut(t.transpose(1, 2).reshape({n, c, h, w})) + x;
}

torch::Tensor downsample(nn::Conv2d& conv, const torch::Tensor& x, bool asymmetricPad) {
    if (!asymmetricPad) return conv(x);
    return conv(torch::constant_pad_nd(x, {0, 1, 0, 1}, 0.0));
}

torch::Tensor upsample(nn::Conv2d& conv, const torch::Tensor& x, c10::IntArrayRef size) {
    auto options = torch::nn::functional::InterpolateFuncOptions().mode(torch::kNearest);
    if (size.empty())
        options.scale_factor(std::vector<double>{2.0, 2.0});
    else
        options.size(size.vec());
    return conv(torch::nn::functional::interpolate(x, options));
}

}  // namespace waft::engine::sd
