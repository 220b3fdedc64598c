#pragma once
// The motion objectives of video motion transfer, on one clip's latents [F, C, H, W] (frames first, as the UNet
// folds them): frame residuals, VMC's residual alignment, and Spectral Motion Alignment's global (Haar wavelets
// along time) and local (centred 2D FFT amplitude and phase, low frequencies weighted up) losses. Engine-internal
// (pulls in torch).
//
// Where this follows the SMA paper rather than its official code (each choice is a switch or stated here):
// - residuals are signed (the code takes |residual| before both transforms; `absolute` keeps that as an option);
// - phase differences are wrapped angles (the code subtracts raw angles, so a 2π jump counts as an error);
// - the estimate x̂0 = (z_t − √(1−ᾱ) ε̂) / √ᾱ grows without bound at high t (the code applies no weight); the
//   caller scales the SMA terms by √ᾱ_t (smaTimestepWeight): √ᾱ (x̂0 − x0) = −√(1−ᾱ) (ε̂ − ε), so the weighted
//   terms stay bounded at every t and keep full weight at low t, where x̂0 is sharp.

#include <torch/torch.h>

#include <vector>

namespace waft::engine::tune {

// x [F, ...] -> x[1:] − x[:-1], [F−1, ...] (optionally its absolute value).
torch::Tensor frameResiduals(const torch::Tensor& x, bool absolute = false);

// Multi-level Haar DWT along dim 0 (L = [1, 1]/√2, H = [−1, 1]/√2): {approximation of the last level, details of
// the last level, ..., details of level 1}. An odd length at any level is padded by repeating its last element,
// so the padded pair's detail is 0 and the approximation keeps its energy (not zero padding, which would invent a
// step at the end of the clip). levels >= 1; stops early when a level reaches length 1.
std::vector<torch::Tensor> haarDwt(const torch::Tensor& x, int levels);

// SMA's levels: 2 for up to 8 frames, 3 for 16 (the official choice), log2(frames) − 1 in between, at least 1.
int smaLevels(int frames);

// Eq. 16: Σ over the bands of haarDwt(levels) of the mean L1 between clean and estimated residual coefficients.
torch::Tensor smaGlobalLoss(const torch::Tensor& cleanResiduals, const torch::Tensor& estimatedResiduals, int levels);

// ω(a, b) = ((H/2)² + (W/2)²)^δ − ((a − H/2)² + (b − W/2)²)^δ + 1 on the centred spectrum's grid [H, W]: 1 at
// the corners (the highest frequencies), largest at the centre (DC).
// fp32, on `device`.
torch::Tensor smaFrequencyWeights(int64_t height, int64_t width, double delta = 0.05,
                                  const torch::Device& device = torch::kCPU);

struct SmaLocalTerms {
    torch::Tensor amplitude;  // mean ω-weighted L1 of the centred spectra's amplitudes
    torch::Tensor phase;      // mean ω-weighted |wrapped phase difference|, in radians
    torch::Tensor total() const { return amplitude + phase; }
};
// Eq. 17 per residual frame and channel over the last two dims (H, W).
SmaLocalTerms smaLocalLoss(const torch::Tensor& cleanResiduals, const torch::Tensor& estimatedResiduals,
                           double delta = 0.05);

// VMC: 1 − cosine similarity between the predicted and the true noise's frame residual sequences, taken along
// the frame axis at every channel and position, averaged.
torch::Tensor vmcResidualLoss(const torch::Tensor& predictedNoise, const torch::Tensor& trueNoise,
                              bool absolute = false);

// x̂0 from z_t and the noise estimate at ᾱ_t, and the weight √ᾱ_t the SMA terms get (see above).
torch::Tensor estimateCleanLatents(const torch::Tensor& noisy, const torch::Tensor& predictedNoise, double alphaBar);
double smaTimestepWeight(double alphaBar);

}  // namespace waft::engine::tune
