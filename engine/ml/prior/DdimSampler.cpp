#include "ml/prior/DdimSampler.h"

#include <cmath>

namespace waft::engine::prior {

NoiseSchedule NoiseSchedule::scaledLinear(int steps, double betaStart, double betaEnd) {
    const torch::Tensor betas =
        torch::linspace(std::sqrt(betaStart), std::sqrt(betaEnd), steps, torch::kFloat64).pow(2);
    return {torch::cumprod(1.0 - betas, 0)};
}

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
    const int total = schedule.steps();
    const int steps = std::max(1, std::min(params.steps, total));
    std::vector<int64_t> timesteps;
    for (int i = 0; i < steps; ++i) timesteps.push_back(int64_t(i) * total / steps + (total / steps) - 1);

    const auto predictEps = [&](const torch::Tensor& xt, int64_t t) {
        torch::Tensor eps = denoiser(xt, t, true);
        if (params.guidance != 0.0f) eps = eps + params.guidance * (eps - denoiser(xt, t, false));
        return eps;
    };
    for (int i = steps - 1; i >= 0; --i) {
        if (stop && stop()) return {};
        const int64_t t = timesteps[size_t(i)];
        const int64_t tPrev = i > 0 ? timesteps[size_t(i - 1)] : -1;
        const double a = schedule.alphaBar(t), aPrev = schedule.alphaBar(tPrev);
        const int rounds = (guidance && params.selfGuidance > 0.0f) ? std::max(1, params.recurrences) : 1;
        torch::Tensor xPrev;
        for (int r = 0; r < rounds; ++r) {
            torch::Tensor eps = predictEps(x, t);
            if (guidance && params.selfGuidance > 0.0f) {
                // Gradient of the loss on x0(x_t) w.r.t. x_t, eps held fixed: d x0 / d x_t = 1 / sqrt(abar_t).
                torch::Tensor x0 = ((x - std::sqrt(1.0 - a) * eps) / std::sqrt(a)).detach().requires_grad_(true);
                torch::Tensor grad;
                {
                    torch::AutoGradMode enable(true);
                    const torch::Tensor loss = guidance(x0);
                    grad = torch::autograd::grad({loss}, {x0})[0] / std::sqrt(a);
                }
                eps = eps + params.selfGuidance * std::sqrt(1.0 - a) * grad;
            }
            const torch::Tensor x0 = (x - std::sqrt(1.0 - a) * eps) / std::sqrt(a);
            const double sigma =
                params.eta * std::sqrt((1.0 - aPrev) / (1.0 - a)) * std::sqrt(std::max(0.0, 1.0 - a / aPrev));
            xPrev = std::sqrt(aPrev) * x0 + std::sqrt(std::max(0.0, 1.0 - aPrev - sigma * sigma)) * eps;
            if (sigma > 0.0) xPrev = xPrev + sigma * at::normal(0.0, 1.0, shape, generator).to(torch::kFloat32);
            if (r + 1 < rounds) {  // self-recurrence: back to noise level t
                const double ratio = a / aPrev;
                x = std::sqrt(ratio) * xPrev +
                    std::sqrt(1.0 - ratio) * at::normal(0.0, 1.0, shape, generator).to(torch::kFloat32);
            }
        }
        x = xPrev;
    }
    return x;
}

}  // namespace waft::engine::prior
