#pragma once

#include <opencv2/core/mat.hpp>
#include <vector>

#include "core/Status.h"
#include "motion/DisplacementField.h"

namespace waft::engine {

// The LibTorch formulation of softmax splatting (bilinear taps as flat indices, four scatter-adds, normalise:
// the engine's differentiable splat, render::softmaxSplat, which the neural renderer trains through), with the
// same semantics as SoftmaxSplatter minus hole filling (holes stay 0). Here it is the yardstick for the CPU
// splatter's speed and an independent check of its numbers.
Status splatTorchBaseline(const cv::Mat& image, const DisplacementField& field, const std::vector<float>& weights,
                          cv::Mat& out);

}  // namespace waft::engine
