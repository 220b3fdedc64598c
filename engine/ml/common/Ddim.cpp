#include "ml/common/Ddim.h"

#include <algorithm>
#include <cmath>

namespace waft::engine::ml {

NoiseSchedule NoiseSchedule::scaledLinear(int steps, double betaStart, double betaEnd, bool finalAlphaOne) {
    const torch::Tensor betas =
        torch::linspace(std::sqrt(betaStart), std::sqrt(betaEnd), steps, torch::kFloat64).pow(2);
    NoiseSchedule s{torch::cumprod(1.0 - betas, 0)};
    s.finalAlphaBar = finalAlphaOne ? 1.0 : s.alphasCumprod[0].item<double>();
    return s;
}

std::vector<int64_t> ddimTimesteps(int trainSteps, const DdimOptions& options) {
    const int total = std::max(1, trainSteps);
    const int steps = std::max(1, std::min(options.steps, total));
    std::vector<int64_t> out;
    for (int i = 0; i < steps; ++i) {
        const int64_t t = options.spacing == TimestepSpacing::Trailing
                              ? int64_t(i) * total / steps + (total / steps) - 1
                              : int64_t(i) * (total / steps) + options.offset;
        const int64_t clamped = std::clamp<int64_t>(t, 0, total - 1);
        if (out.empty() || clamped > out.back()) out.push_back(clamped);  // a clamped repeat would be a no-op step
    }
    return out;
}

torch::Tensor classifierFree(const torch::Tensor& conditional, const torch::Tensor& unconditional, double scale) {
    if (scale == 1.0 || !unconditional.defined()) return conditional;
    return conditional + (scale - 1.0) * (conditional - unconditional);
}

torch::Tensor ddimSample(const Epsilon& epsilon, torch::Tensor x, const NoiseSchedule& schedule,
                         const DdimOptions& options, at::Generator generator, const EpsilonHook& hook,
                         const StepCallback& onStep) {
    const std::vector<int64_t> timesteps = ddimTimesteps(schedule.steps(), options);
    const int steps = int(timesteps.size());
    const int rounds = std::max(1, options.recurrences);
    const auto noiseLike = [&](const torch::Tensor& like) {
        return at::normal(0.0, 1.0, like.sizes(), generator).to(like.options());
    };
    for (int i = steps - 1; i >= 0; --i) {
        if (onStep && onStep(steps - 1 - i, steps)) return {};
        const int64_t t = timesteps[size_t(i)];
        const int64_t tPrev = i > 0 ? timesteps[size_t(i - 1)] : -1;
        const double a = schedule.alphaBar(t), aPrev = schedule.alphaBar(tPrev);
        torch::Tensor xPrev;
        for (int r = 0; r < rounds; ++r) {
            torch::Tensor eps = epsilon(x, t);
            if (hook) eps = hook(x, eps, a);
            // DDIM eq. 12: the predicted x0, the direction to x_t, and (eta > 0) fresh noise.
            const torch::Tensor x0 = (x - std::sqrt(1.0 - a) * eps) / std::sqrt(a);
            const double sigma =
                options.eta * std::sqrt((1.0 - aPrev) / (1.0 - a)) * std::sqrt(std::max(0.0, 1.0 - a / aPrev));
            xPrev = std::sqrt(aPrev) * x0 + std::sqrt(std::max(0.0, 1.0 - aPrev - sigma * sigma)) * eps;
            if (sigma > 0.0) xPrev = xPrev + sigma * noiseLike(xPrev);
            if (r + 1 < rounds) {  // back to noise level t
                const double ratio = a / aPrev;
                x = std::sqrt(ratio) * xPrev + std::sqrt(1.0 - ratio) * noiseLike(xPrev);
            }
        }
        x = xPrev;
    }
    if (onStep) onStep(steps, steps);
    return x;
}

torch::Tensor ddimInvert(const Epsilon& epsilon, torch::Tensor x, const NoiseSchedule& schedule,
                         const DdimOptions& options, const StepCallback& onStep) {
    const std::vector<int64_t> timesteps = ddimTimesteps(schedule.steps(), options);
    const int steps = int(timesteps.size());
    for (int i = 0; i < steps; ++i) {
        if (onStep && onStep(i, steps)) return {};
        const int64_t t = timesteps[size_t(i)];
        const int64_t tFrom = i > 0 ? timesteps[size_t(i - 1)] : -1;
        const double aFrom = schedule.alphaBar(tFrom), a = schedule.alphaBar(t);
        const torch::Tensor eps = epsilon(x, t);
        const torch::Tensor x0 = (x - std::sqrt(1.0 - aFrom) * eps) / std::sqrt(aFrom);
        x = std::sqrt(a) * x0 + std::sqrt(1.0 - a) * eps;
    }
    if (onStep) onStep(steps, steps);
    return x;
}

}  // namespace waft::engine::ml
