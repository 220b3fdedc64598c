#pragma once
// Tiny motion-prior models shared by the prior's test suites (torch; include before any Qt header).
#include "ml/prior/MotionModels.h"

namespace waft::test {

inline engine::prior::UNetConfig tinyUNet(bool frequencyAttention) {
    engine::prior::UNetConfig c;
    c.modelChannels = 8;
    c.channelMults = {1, 2};
    c.resBlocksPerLevel = 1;
    c.attentionLevels = {1};
    c.heads = 2;
    c.groups = 4;
    c.maxFrequencies = 4;
    c.frequencyAttention = frequencyAttention;
    return c;
}

inline engine::prior::VaeConfig tinyVae() {
    engine::prior::VaeConfig c;
    c.channels = {8, 16};
    c.groups = 4;
    return c;
}

// Stands in for training: every parameter random, so no layer is a zero-initialised identity.
inline void randomize(torch::nn::Module& m, unsigned seed) {
    torch::manual_seed(seed);
    torch::NoGradGuard noGrad;
    for (auto& p : m.parameters()) p.normal_(0.0, 0.2);
}

inline torch::Tensor runUNet(engine::prior::DenoiserUNet& net, const torch::Tensor& x, int k) {
    const int64_t n = x.size(0);
    const torch::Tensor t = torch::full({n}, 500, torch::kLong);
    const torch::Tensor f = torch::arange(k, torch::kLong).repeat({n / k});
    const torch::Tensor cond = torch::ones({n, 4, x.size(2), x.size(3)});
    return net->forward(x, t, f, cond, k);
}

}  // namespace waft::test
