#pragma once
// DDIM sampling with classifier-free guidance and GID's motion self-guidance (GID §4.2, eq. 5).
// Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <functional>

#include "ml/common/Ddim.h"
#include "ml/prior/PriorConfig.h"

namespace waft::engine::prior {

// The shared schedule (ml/common/Ddim.h): LDM's scaled-linear betas over 1000 steps, alpha-bar 1 after the last.
using NoiseSchedule = ml::NoiseSchedule;

// The training target of a denoiser output (`alphaBar` broadcasts against x0), and the noise estimate
// recovered from an output at x_t: epsilon is itself; v gives eps = sqrt(abar) v + sqrt(1 - abar) x_t.
torch::Tensor predictionTarget(Prediction prediction, const torch::Tensor& x0, const torch::Tensor& noise,
                               const torch::Tensor& alphaBar);
torch::Tensor epsilonFrom(Prediction prediction, const torch::Tensor& output, const torch::Tensor& xt, double alphaBar);

// Predicts the noise in x at training timestep t, conditionally or not (CFG's two passes).
using Denoiser = std::function<torch::Tensor(const torch::Tensor& x, int64_t t, bool conditional)>;
// A differentiable scalar to minimise on the predicted clean sample (self-guidance's loop loss).
using GuidanceLoss = std::function<torch::Tensor(const torch::Tensor& x0)>;

// The engine's DDIM (ml::ddimSample, trailing timesteps) over params.steps steps, from N(0, I) of `shape` (seeded).
// eps = eps_c + w (eps_c - eps_u) (w = params.guidance; w = 0 skips the unconditional pass). With a guidance
// loss and params.selfGuidance = u > 0, each step adds u * sqrt(1 - abar_t) * grad_{x_t} L(x0(x_t)) to eps,
// the gradient taken through the loss (decoder + inverse FFT) with eps held fixed, and repeats the step
// params.recurrences times, re-noising x_{t-1} back to t in between (self-recurrence). `stop` is asked before
// every step; when it says yes the sampler returns an undefined tensor (a cancelled job).
torch::Tensor ddimSample(const Denoiser& denoiser, const std::vector<int64_t>& shape, const SamplerParams& params,
                         const NoiseSchedule& schedule, const GuidanceLoss& guidance = {},
                         const std::function<bool()>& stop = {});

}  // namespace waft::engine::prior
