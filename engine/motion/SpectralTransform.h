#pragma once

#include <opencv2/core/mat.hpp>

#include "core/Status.h"
#include "motion/MotionTexture.h"
#include "motion/SpectralVolume.h"

namespace waft::engine {

// GID eq. 2: the spectral volume is the temporal FFT of the motion texture, truncated to K bands.
// Keeps bins 1..K (DC dropped, see SpectralVolume) with f_k = k * fps / T; needs K < T / 2 so no band
// reaches Nyquist. Uses LibTorch's FFT (pocketfft, multi-threaded). reference is stored as given.
Expected<SpectralVolume> motionTextureToSpectral(const MotionTexture& texture, int bands, const cv::Mat& reference);

// Inverse: the T-frame motion texture of the truncated series by inverse FFT. Only defined when the
// volume's frequencies are the FFT bins k * fps / T of that T (as produced above).
Expected<MotionTexture> spectralToMotionTexture(const SpectralVolume& volume, int frames, float fps);

}  // namespace waft::engine
