#include "motion/DisplacementSynth.h"

#include <algorithm>
#include <cmath>

namespace waft::engine {

namespace {
constexpr size_t kTile = 2048;  // 2 accumulators * 2048 floats = 16 KiB: fits L1 with room for the planes
}

void synthesizeDisplacement(const SpectralVolume& volume, const std::vector<std::complex<float>>& q,
                            DisplacementField& out) {
    if (out.width != volume.width || out.height != volume.height) out.resize(volume.width, volume.height);
    std::vector<int> active;
    for (int j = 0; j < volume.bands && size_t(j) < q.size(); ++j)
        if (q[size_t(j)] != std::complex<float>(0.0f, 0.0f)) active.push_back(j);

    const size_t n = volume.planeSize();
    const long tiles = long((n + kTile - 1) / kTile);
    float* outX = out.dx.data();
    float* outY = out.dy.data();
#pragma omp parallel for schedule(static)
    for (long tile = 0; tile < tiles; ++tile) {
        const size_t begin = size_t(tile) * kTile;
        const size_t count = std::min(kTile, n - begin);
        float* __restrict ax = outX + begin;
        float* __restrict ay = outY + begin;
        std::fill(ax, ax + count, 0.0f);
        std::fill(ay, ay + count, 0.0f);
        for (int j : active) {
            const float qr = q[size_t(j)].real();
            const float qi = q[size_t(j)].imag();
            const float* __restrict rx = volume.plane(j, 0) + begin;
            const float* __restrict ix = volume.plane(j, 1) + begin;
            const float* __restrict ry = volume.plane(j, 2) + begin;
            const float* __restrict iy = volume.plane(j, 3) + begin;
            // Re(S q) = Re S * Re q - Im S * Im q
            for (size_t i = 0; i < count; ++i) {
                ax[i] += rx[i] * qr - ix[i] * qi;
                ay[i] += ry[i] * qr - iy[i] * qi;
            }
        }
    }
}

std::vector<std::complex<float>> playbackPhasors(const std::vector<float>& frequenciesHz, double timeSec) {
    std::vector<std::complex<float>> q(frequenciesHz.size());
    for (size_t j = 0; j < q.size(); ++j) {
        // Reduce the phase in double so long playback times keep full float precision.
        const double phase = std::fmod(2.0 * M_PI * double(frequenciesHz[j]) * timeSec, 2.0 * M_PI);
        q[j] = {float(std::cos(phase)), float(std::sin(phase))};
    }
    return q;
}

std::vector<float> meanMotionMagnitude(const SpectralVolume& volume, int samples) {
    std::vector<float> mean(volume.planeSize(), 0.0f);
    if (volume.bands == 0 || samples <= 0) return mean;
    const float lowest = *std::min_element(volume.frequenciesHz.begin(), volume.frequenciesHz.end());
    const double period = 1.0 / double(lowest);
    DisplacementField field;
    for (int s = 0; s < samples; ++s) {
        synthesizeDisplacement(volume, playbackPhasors(volume.frequenciesHz, period * s / samples), field);
        for (size_t i = 0; i < mean.size(); ++i) mean[i] += std::hypot(field.dx[i], field.dy[i]);
    }
    for (float& m : mean) m /= float(samples);
    return mean;
}

}  // namespace waft::engine
