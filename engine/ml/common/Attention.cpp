#include "ml/common/Attention.h"

#include <torch/version.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace waft::engine::ml {

namespace {

// q, k, v [N, L, C] -> [N, heads, L, C / heads], after checking they agree.
std::array<torch::Tensor, 3> splitHeads(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                        int heads, bool causal) {
    const int64_t n = q.size(0), c = q.size(2);
    TORCH_CHECK(heads > 0 && c % heads == 0 && k.size(2) == c && v.size(2) == c && k.size(0) == n && v.size(0) == n &&
                    v.size(1) == k.size(1),
                "attention: shapes do not agree");
    TORCH_CHECK(!causal || q.size(1) == k.size(1), "attention: a causal mask needs as many queries as keys");
    const auto split = [&](const torch::Tensor& t) {
        return t.reshape({n, t.size(1), heads, c / heads}).transpose(1, 2);
    };
    return {split(q), split(k), split(v)};
}

torch::Tensor mergeHeads(const torch::Tensor& t) {  // [N, heads, L, d] -> [N, L, heads d]
    return t.transpose(1, 2).reshape({t.size(0), t.size(2), t.size(1) * t.size(3)});
}

}  // namespace

torch::Tensor attentionChunked(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int heads,
                               bool causal, int64_t chunkBytes) {
    const auto [qh, kh, vh] = splitHeads(q, k, v, heads, causal);
    const int64_t n = q.size(0), lq = q.size(1), lk = k.size(1);
    const double scale = 1.0 / std::sqrt(double(q.size(2) / heads));
    const int64_t rowBytes = n * heads * lk * int64_t(sizeof(float));
    const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(lq, chunkBytes / std::max<int64_t>(1, rowBytes)));
    std::vector<torch::Tensor> outs;
    for (int64_t start = 0; start < lq; start += chunk) {
        const int64_t len = std::min(chunk, lq - start);
        torch::Tensor scores = torch::matmul(qh.narrow(2, start, len), kh.transpose(-2, -1)) * scale;
        if (causal) {
            const auto rows = torch::arange(start, start + len, torch::TensorOptions().device(q.device())).unsqueeze(1);
            const auto cols = torch::arange(lk, torch::TensorOptions().device(q.device())).unsqueeze(0);
            scores = scores.masked_fill(cols > rows, -std::numeric_limits<float>::infinity());
        }
        outs.push_back(torch::matmul(torch::softmax(scores, -1, torch::kFloat32).to(vh.scalar_type()), vh));
    }
    return mergeHeads(outs.size() == 1 ? outs[0] : torch::cat(outs, 2));
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int heads,
                        bool causal) {
#if TORCH_VERSION_MAJOR >= 2
    const auto [qh, kh, vh] = splitHeads(q, k, v, heads, causal);
    return mergeHeads(at::scaled_dot_product_attention(qh, kh, vh, {}, 0.0, causal));
#else
    return attentionChunked(q, k, v, heads, causal);
#endif
}

torch::Tensor timestepEmbedding(const torch::Tensor& t, int dim) {
    const int half = dim / 2;
    const torch::Tensor freqs =
        torch::exp(-std::log(10000.0) * torch::arange(half, t.options().dtype(torch::kFloat32)) / double(half));
    const torch::Tensor args = t.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);
    return torch::cat({torch::cos(args), torch::sin(args)}, 1);
}

}  // namespace waft::engine::ml
