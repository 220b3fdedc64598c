#pragma once

#include <vector>

#include "motion/SpectralVolume.h"

namespace waft::engine {

// Seamless loops. A loop of L seconds is seamless when the motion is L-periodic: then frame L coincides with
// frame 0 in position and in velocity (every derivative, in fact). We snap every band to the nearest
// harmonic of 1/L (at least 1/L, so no band freezes into a DC offset); the change in frequency is at most
// 1/(2L) and is spread over the whole loop, so nothing jumps at the seam. The loop then starts at the
// instant of least motion, so the one frame-to-frame step that wraps around is a quiet one.
struct LoopPlan {
    float loopSec = 0.0f;
    std::vector<float> frequenciesHz;  // snapped
    double startSec = 0.0;             // playback time of frame 0
};

LoopPlan planLoop(const SpectralVolume& volume, const std::vector<float>& frequenciesHz, float loopSec, float fps);

// Seam measure of a frame sequence F(t_n), n = 0..N-1, that loops back to F(t_0): the mean per-pixel
// displacement change of every step (on a strided pixel sample), with the wrap-around step N-1 -> 0
// reported separately.
struct SeamReport {
    double seamPx = 0.0;        // mean |F(t_0) - F(t_{N-1})|
    double medianStepPx = 0.0;  // median over n of mean |F(t_{n+1}) - F(t_n)|
    double maxStepPx = 0.0;
};

// bandGains (empty = all 1) scale each band as playback does, so the measure is of the frames as rendered.
SeamReport measureLoopSeam(const SpectralVolume& volume, const std::vector<float>& frequenciesHz, double startSec,
                           float fps, int frames, const std::vector<float>& bandGains = {});

}  // namespace waft::engine
