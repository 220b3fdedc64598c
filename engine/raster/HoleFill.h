#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <vector>

namespace waft::engine {

// Push-pull hole filling (Gortler et al. 1996, "The Lumigraph" §3.3, with binary coverage):
// push: build a pyramid where each level is the mean of the valid pixels among its 2x2 children
// (size ceil(w/2) x ceil(h/2)); pull: from the coarsest level down, every hole takes the bilinear sample
// (half-pixel centres, clamped) of the already-complete level above. Valid pixels are never changed.
// Chosen because it is exact to reproduce in a compute shader and gives smooth fills of small
// disocclusions without smearing foreground into them preferentially.
// image: CV_32FC(C); holes: one byte per pixel, non-zero = hole. If nothing is valid the image is zeroed.
// With scratch, the pyramid's levels are kept there between calls, so a steady caller allocates nothing.
struct PushPullScratch {
    std::vector<cv::Mat> levels;
    std::vector<std::vector<uint8_t>> holes;
};
void fillHolesPushPull(cv::Mat& image, const std::vector<uint8_t>& holes, PushPullScratch* scratch = nullptr);

// The pull step for one pixel (x, y) of a level whose next coarser level is `coarse` (complete, CV_32FC(C)):
// the bilinear sample at half-pixel centres, clamped. Writes C floats.
void pullSample(const cv::Mat& coarse, int x, int y, float* out);

}  // namespace waft::engine
