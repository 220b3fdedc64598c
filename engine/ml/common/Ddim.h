#pragma once
// The engine's one DDIM (Song et al. 2021): the noise schedule, the timesteps a run visits, the sampling loop
// and its inversion, shared by the motion prior and the Stable Diffusion pipelines. What a model's output means
// (epsilon, v) and how guidance combines passes stay with the caller, which hands the loop a guided epsilon.
// Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <functional>
#include <vector>

namespace waft::engine::ml {

// The training noise schedule: LDM's scaled-linear betas (sqrt-linear from betaStart to betaEnd, squared);
// alphasCumprod[t] = prod(1 - beta). `finalAlphaBar` is the alpha-bar after the last step (t = -1): 1 for the
// motion prior, alphasCumprod[0] for SD 1.5 (its scheduler's set_alpha_to_one = false).
struct NoiseSchedule {
    torch::Tensor alphasCumprod;  // [T] float64 on CPU
    double finalAlphaBar = 1.0;
    int steps() const { return int(alphasCumprod.size(0)); }
    double alphaBar(int64_t t) const { return t < 0 ? finalAlphaBar : alphasCumprod[t].item<double>(); }
    static NoiseSchedule scaledLinear(int steps = 1000, double betaStart = 0.00085, double betaEnd = 0.012,
                                      bool finalAlphaOne = true);
};

// Which training timesteps a run of n steps visits. Trailing: floor(i T / n) + floor(T / n) - 1 (ends at T - 1
// when n divides T; the prior's). Leading: i floor(T / n) + offset (diffusers' default; SD 1.5 uses offset 1).
enum class TimestepSpacing { Trailing, Leading };
struct DdimOptions {
    int steps = 50;
    double eta = 0.0;  // 0: deterministic
    TimestepSpacing spacing = TimestepSpacing::Trailing;
    int offset = 0;
    int recurrences = 1;  // self-recurrence: each step repeated, re-noised back to its level in between
};
// Ascending (least noise first), clamped to 0..T-1 without repeats; at most T and at least one.
std::vector<int64_t> ddimTimesteps(int trainSteps, const DdimOptions& options);

// The guided noise estimate at x_t.
using Epsilon = std::function<torch::Tensor(const torch::Tensor& x, int64_t t)>;
// Adjusts a step's epsilon (GID's motion self-guidance adds a gradient); gets x_t, eps and alpha-bar_t.
using EpsilonHook = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& eps, double alphaBar)>;
// Asked before every step with (steps done, steps in all); true cancels (the loop returns an undefined tensor).
using StepCallback = std::function<bool(int done, int total)>;

// Classifier-free guidance (Ho & Salimans 2022) as eps_c + (scale - 1) (eps_c - eps_u): scale 1 is the conditional
// pass alone (the unconditional one is skipped), SD's 7.5 is eps_u + 7.5 (eps_c - eps_u).
torch::Tensor classifierFree(const torch::Tensor& conditional, const torch::Tensor& unconditional, double scale);

// Samples from x_T (noise at the last visited timestep) down to x_0. Fresh noise (eta > 0, recurrences) is drawn
// from `generator` in a fixed order, so a seed reproduces a run.
torch::Tensor ddimSample(const Epsilon& epsilon, torch::Tensor xT, const NoiseSchedule& schedule,
                         const DdimOptions& options, at::Generator generator, const EpsilonHook& hook = {},
                         const StepCallback& onStep = {});

// DDIM inversion: runs the deterministic ODE backwards from a clean latent x_0 to x_T, each step predicting the
// noise at the current latent and the next (noisier) timestep (as Tune-A-Video's and null-text inversion do).
// Sampling the result back with the same epsilon and options reconstructs x_0 up to the ODE's discretisation.
torch::Tensor ddimInvert(const Epsilon& epsilon, torch::Tensor x0, const NoiseSchedule& schedule,
                         const DdimOptions& options, const StepCallback& onStep = {});

}  // namespace waft::engine::ml
