#pragma once
// Training and test pairs of the neural renderer, cut from real clips: a reference frame, the flow from it to
// a later frame, the softmax weights from that flow's magnitude (SoftmaxSplatter::splatWeights), the fast
// renderer's frame (pixel splatting + push-pull) and the real later frame. Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "analysis/OpticalFlow.h"
#include "core/Job.h"
#include "ml/render/RendererPairParams.h"

namespace waft::engine::render {

struct RendererPair {
    torch::Tensor reference, target, baseline;  // [3, H, W] RGB in [0, 1]
    torch::Tensor flow;                         // [2, H, W] pixels, reference -> target
    torch::Tensor weights;                      // [1, H, W] softmax weights
    std::string clip;
    int from = 0, to = 0;  // frame indices in the clip
};

// 8-bit BGR <-> [3, H, W] RGB in [0, 1].
torch::Tensor bgrToTensor(const cv::Mat& bgr8);
cv::Mat tensorToBgr8(const torch::Tensor& rgb);

// One pair from two frames of the same size (sides multiples of 16).
Expected<RendererPair> makeRendererPair(const cv::Mat& reference, const cv::Mat& target, FlowEstimator& flow);

// The pairs of one clip: decoded at most maxLongSide, cut to multiples of 16, `pairsPerClip` spread evenly over
// [from, to) of its frames with gaps cycling minGap..maxGap, both frames inside the range.
Expected<std::vector<RendererPair>> rendererPairsFromVideo(const std::string& path, const RendererPairParams& params,
                                                           Progress& progress, float begin, float end,
                                                           const CancelToken& cancel);

// What one run's pairs may take in memory, all clips together.
constexpr int64_t kMaxPairBytes = int64_t(6) << 30;
int64_t pairBytes(const RendererPair& pair);

// The videos of a folder (not recursive), sorted by name.
std::vector<std::string> videosIn(const std::string& dir);

}  // namespace waft::engine::render
