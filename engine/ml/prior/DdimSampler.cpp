#include "ml/prior/DdimSampler.h"

#include <cmath>

namespace waft::engine::prior {

torch::Tensor predictionTarget(Prediction prediction, const torch::Tensor& x0, const torch::Tensor& noise,
                               const torch::Tensor& alphaBar) {
    if (prediction == Prediction::Epsilon) return noise;
    return alphaBar.sqrt() * noise - (1.0 - alphaBar).sqrt() * x0;
}

torch::Tensor epsilonFrom(Prediction prediction, const torch::Tensor& output, const torch::Tensor& xt,
                          double alphaBar) {
    if (prediction == Prediction::Epsilon) return output;
    return std::sqrt(alphaBar) * output + std::sqrt(1.0 - alphaBar) * xt;
}

torch::Tensor ddimSample(const Denoiser& denoiser, const std::vector<int64_t>& shape, const SamplerParams& params,
                         const NoiseSchedule& schedule, const GuidanceLoss& guidance,
                         const std::function<bool()>& stop) {
    torch::NoGradGuard noGrad;
    auto generator = at::detail::createCPUGenerator(params.seed);
    torch::Tensor x = at::normal(0.0, 1.0, shape, generator).to(torch::kFloat32);
    const bool selfGuided = guidance && params.selfGuidance > 0.0f;
    ml::DdimOptions options;
    options.steps = params.steps;
    options.eta = params.eta;
    options.recurrences = selfGuided ? std::max(1, params.recurrences) : 1;
    // CFG in the prior's form eps_c + w (eps_c - eps_u): scale 1 + w; w = 0 skips the unconditional pass.
    const auto epsilon = [&](const torch::Tensor& xt, int64_t t) {
        const torch::Tensor eps = denoiser(xt, t, true);
        if (params.guidance == 0.0f) return eps;
        return ml::classifierFree(eps, denoiser(xt, t, false), 1.0 + double(params.guidance));
    };
    // GID eq. 5: u sqrt(1 - abar_t) grad_{x_t} L(x0(x_t)), the gradient through the loss (decoder + inverse FFT)
    // with eps held fixed: d x0 / d x_t = 1 / sqrt(abar_t).
    const ml::EpsilonHook selfGuidance = [&](const torch::Tensor& xt, const torch::Tensor& eps, double a) {
        torch::Tensor x0 = ((xt - std::sqrt(1.0 - a) * eps) / std::sqrt(a)).detach().requires_grad_(true);
        torch::Tensor grad;
        {
            torch::AutoGradMode enable(true);
            const torch::Tensor loss = guidance(x0);
            grad = torch::autograd::grad({loss}, {x0})[0] / std::sqrt(a);
        }
        return eps + params.selfGuidance * std::sqrt(1.0 - a) * grad;
    };
    return ml::ddimSample(epsilon, x, schedule, options, generator, selfGuided ? selfGuidance : ml::EpsilonHook(),
                          [&](int, int) { return stop && stop(); });
}

}  // namespace waft::engine::prior
