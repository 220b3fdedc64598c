#pragma once

#include <complex>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "core/Status.h"

namespace waft::engine {

// GID's spectral volume: per pixel, K complex Fourier coefficients of the x and y trajectory (4K real
// channels), plus the frequency each band belongs to and the reference image the motion is anchored to.
//
// Normalisation: coefficients are amplitudes in pixels, so the displacement at time t (seconds) is
//   F(p, t) = Re sum_j S_j(p) * exp(i 2 pi f_j t),
// i.e. S_j = (2 / T) * FFT_k of a T-sample trajectory for bin k (GID eq. 2 up to that constant). The DC term
// (the trajectory's mean offset from the reference frame) is dropped: the reference image is the rest pose
// that both playback and the modal simulation oscillate around.
//
// Layout: planar float32 [K][4][H][W] with channels (Re Sx, Im Sx, Re Sy, Im Sy). A plain value type; not
// shared between threads without external synchronisation.
struct SpectralVolume {
    static constexpr int kChannelsPerBand = 4;

    int width = 0;
    int height = 0;
    int bands = 0;
    std::vector<float> coefficients;   // bands * 4 * height * width
    std::vector<float> frequenciesHz;  // bands, ascending, > 0
    float sourceFps = 0.0f;            // uniform rate the trajectories were resampled to
    float sourceDurationSec = 0.0f;    // length of the analysed window
    cv::Mat reference;                 // CV_8UC3, BGR, height x width

    size_t planeSize() const { return size_t(width) * size_t(height); }
    float* plane(int band, int channel) { return coefficients.data() + (size_t(band) * 4 + channel) * planeSize(); }
    const float* plane(int band, int channel) const {
        return coefficients.data() + (size_t(band) * 4 + channel) * planeSize();
    }

    // Allocates zero coefficients and a grey reference for the given size.
    static SpectralVolume zeros(int width, int height, int bands);

    // Checks sizes, finiteness and frequencies; the loader and every public entry point call this.
    Status validate() const;

    // Multiplies band j by gains[j] (gains.size() == bands) and everything by globalGain.
    void applyGains(float globalGain, const std::vector<float>& bandGains);

    // A copy resampled to another resolution; displacements are scaled with the image.
    SpectralVolume resized(int newWidth, int newHeight) const;
};

// Largest accepted frame side and band count: anything beyond is an absurd input, not a scene.
inline constexpr int kMaxImageSide = 16384;
inline constexpr int kMaxBands = 256;

}  // namespace waft::engine
