#pragma once

#include <opencv2/core/mat.hpp>
#include <vector>

#include "core/Status.h"
#include "motion/DisplacementField.h"

namespace waft::engine {

// The straightforward LibTorch formulation of softmax splatting (bilinear taps gathered into flat indices,
// four index_add_ calls, normalise), with the same semantics as SoftmaxSplatter minus hole filling (holes
// stay 0). It exists as the yardstick for the CPU splatter's speed and as an independent check of its
// numbers; nothing renders with it.
Status splatIndexAddBaseline(const cv::Mat& image, const DisplacementField& field, const std::vector<float>& weights,
                             cv::Mat& out);

}  // namespace waft::engine
