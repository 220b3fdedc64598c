#include "motion/LoopPlanner.h"

#include <algorithm>
#include <cmath>
#include <complex>

namespace waft::engine {

namespace {

// Displacements of a strided pixel sample at time t: enough to rank instants and measure steps without
// synthesising whole frames.
struct PixelSample {
    std::vector<size_t> indices;
    explicit PixelSample(const SpectralVolume& volume) {
        const size_t n = volume.planeSize();
        const size_t step = std::max<size_t>(1, n / 8192);
        for (size_t i = step / 2; i < n; i += step) indices.push_back(i);
    }
    void evaluate(const SpectralVolume& volume, const std::vector<float>& freqs, double t, std::vector<float>& out,
                  const std::vector<float>& gains = {}) const {
        out.assign(indices.size() * 2, 0.0f);
        for (int j = 0; j < volume.bands; ++j) {
            const double phase = std::fmod(2.0 * M_PI * double(freqs[size_t(j)]) * t, 2.0 * M_PI);
            const float g = size_t(j) < gains.size() ? gains[size_t(j)] : 1.0f;
            const float c = g * float(std::cos(phase));
            const float s = g * float(std::sin(phase));
            const float* rx = volume.plane(j, 0);
            const float* ix = volume.plane(j, 1);
            const float* ry = volume.plane(j, 2);
            const float* iy = volume.plane(j, 3);
            for (size_t k = 0; k < indices.size(); ++k) {
                const size_t i = indices[k];
                out[2 * k] += rx[i] * c - ix[i] * s;
                out[2 * k + 1] += ry[i] * c - iy[i] * s;
            }
        }
    }
};

double meanDistance(const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0.0;
    for (size_t k = 0; k + 1 < a.size(); k += 2) sum += std::hypot(a[k] - b[k], a[k + 1] - b[k + 1]);
    return a.empty() ? 0.0 : sum / double(a.size() / 2);
}

}  // namespace

LoopPlan planLoop(const SpectralVolume& volume, const std::vector<float>& frequenciesHz, float loopSec, float fps) {
    LoopPlan plan;
    plan.loopSec = loopSec;
    plan.frequenciesHz.resize(frequenciesHz.size());
    for (size_t j = 0; j < frequenciesHz.size(); ++j) {
        const double harmonic = std::max(1.0, std::round(double(frequenciesHz[j]) * loopSec));
        plan.frequenciesHz[j] = float(harmonic / loopSec);
    }
    // Start at the frame instant whose step to the next frame is smallest.
    const int frames = std::max(1, int(std::lround(double(loopSec) * fps)));
    const PixelSample sample(volume);
    std::vector<float> previous, current;
    sample.evaluate(volume, plan.frequenciesHz, 0.0, previous);
    double bestStep = 1e300;
    for (int n = 1; n <= frames; ++n) {
        sample.evaluate(volume, plan.frequenciesHz, double(n) / fps, current);
        const double step = meanDistance(previous, current);
        if (step < bestStep) {
            bestStep = step;
            plan.startSec = double(n) / fps;  // the quiet step ends the loop: it is the wrap-around step
        }
        std::swap(previous, current);
    }
    if (plan.startSec >= loopSec) plan.startSec -= loopSec;
    return plan;
}

SeamReport measureLoopSeam(const SpectralVolume& volume, const std::vector<float>& frequenciesHz, double startSec,
                           float fps, int frames, const std::vector<float>& bandGains) {
    SeamReport report;
    if (frames < 2) return report;
    const PixelSample sample(volume);
    std::vector<std::vector<float>> positions(static_cast<size_t>(frames));
    for (int n = 0; n < frames; ++n)
        sample.evaluate(volume, frequenciesHz, startSec + double(n) / fps, positions[size_t(n)], bandGains);
    std::vector<double> steps;
    for (int n = 0; n + 1 < frames; ++n) steps.push_back(meanDistance(positions[size_t(n)], positions[size_t(n + 1)]));
    report.seamPx = meanDistance(positions.back(), positions.front());
    report.maxStepPx = *std::max_element(steps.begin(), steps.end());
    std::nth_element(steps.begin(), steps.begin() + long(steps.size() / 2), steps.end());
    report.medianStepPx = steps[steps.size() / 2];
    return report;
}

}  // namespace waft::engine
