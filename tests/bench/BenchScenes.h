#pragma once

#include "motion/SpectralVolume.h"

namespace waft::bench {

// A realistic benchmark scene: a real nature photo (a noise image without the shared data) and K bands of
// smooth random mode shapes at 0.2 k Hz with amplitude amplitudePx / k, so splats have real occlusions and holes.
engine::SpectralVolume benchScene(int width, int height, int bands, float amplitudePx);

}  // namespace waft::bench
