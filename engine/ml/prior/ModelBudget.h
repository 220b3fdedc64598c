#pragma once
// What a motion-prior config costs, from the config alone, before any module is built (torch-free). A model
// file is untrusted: its config decides how much memory the loader allocates, so it is checked here first.

#include <cstdint>

#include "core/Status.h"
#include "ml/prior/PriorConfig.h"

namespace waft::engine::prior {

// The most parameters a motion-prior model file may ask for: 1.5 G (6 GB of fp32 weights, ten times the
// paper-size denoiser). Above it a file is refused, whatever its tensors hold.
constexpr int64_t kMaxModelParameters = 1'500'000'000;

// Parameter counts of the modules MotionVae / DenoiserUNet build for a config (64-bit; -1 if it overflows
// or a size is not positive). They mirror the constructors; tst_MotionPrior checks they match.
int64_t vaeParameterCount(const VaeConfig& config);
int64_t unetParameterCount(const UNetConfig& config);

// Everything the architecture needs beyond each value's own range: positive sizes, GroupNorm groups dividing
// every normalised channel count, attention heads dividing the channels they split, an even timestep
// embedding, and a parameter count within kMaxModelParameters. One line naming the first problem.
Status checkVaeConfig(const VaeConfig& config);
Status checkUNetConfig(const UNetConfig& config);

// The latent size a denoiser can take: both sides positive multiples of 2^(levels-1) (its down- and
// upsampling must meet again at the skip connections).
Status checkLatentSize(const UNetConfig& config, int latentWidth, int latentHeight);

// The memory one denoiser call needs for `batch` slices at a latent size, estimated from the config: the
// largest attention matrix (batch x heads x tokens^2 floats at an attention level, frequency attention
// included) and the activations kept for the skip connections. Refused above kMaxActivationBytes (8 GiB).
constexpr int64_t kMaxActivationBytes = int64_t(8) << 30;
Status checkActivationBudget(const UNetConfig& config, int latentWidth, int latentHeight, int batch);

}  // namespace waft::engine::prior
