#pragma once

#include <complex>
#include <vector>

#include "motion/DisplacementField.h"
#include "motion/SpectralVolume.h"

namespace waft::engine {

// Displacement synthesis from modal/phasor coordinates:
//   F(p) = Re sum_j S_j(p) * q_j        (GID §6; with q_j = exp(i 2 pi f_j t) it is looping playback)
// q has one complex entry per band; bands with q_j == 0 are skipped. Multi-threaded (OpenMP), tiled so the
// accumulator stays in L1 while the K bands stream through. out is resized as needed.
void synthesizeDisplacement(const SpectralVolume& volume, const std::vector<std::complex<float>>& q,
                            DisplacementField& out);

// Playback phasors q_j = exp(i 2 pi f_j t) for the given frequencies.
std::vector<std::complex<float>> playbackPhasors(const std::vector<float>& frequenciesHz, double timeSec);

// Mean displacement magnitude over time at each pixel (GID §5 weights), sampled at `samples` instants
// spread over one period of the lowest band. Returns height*width values in pixels.
std::vector<float> meanMotionMagnitude(const SpectralVolume& volume, int samples = 16);

}  // namespace waft::engine
