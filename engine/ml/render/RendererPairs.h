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
    int from = 0, to = 0;  // frame indices in the clip: the reference's and the target's
};

// 8-bit BGR <-> [3, H, W] RGB in [0, 1].
torch::Tensor bgrToTensor(const cv::Mat& bgr8);
cv::Mat tensorToBgr8(const torch::Tensor& rgb);

// Fills pair.weights and pair.baseline from pair.reference and pair.flow: the softmax weights of the flow's
// magnitude (SoftmaxSplatter::splatWeights) and the fast renderer's frame.
Status splatBaseline(RendererPair& pair);

// One pair from two frames of the same size (sides multiples of 16).
Expected<RendererPair> makeRendererPair(const cv::Mat& reference, const cv::Mat& target, FlowEstimator& flow);

// The pairs of one clip: decoded at most maxLongSide, cut to multiples of 16, `pairsPerClip` spread evenly over
// [from, to) of its frames with gaps cycling minGap..maxGap, both frames inside the range (with `backward`, every
// second pair from the later frame to the earlier one).
Expected<std::vector<RendererPair>> rendererPairsFromVideo(const std::string& path, const RendererPairParams& params,
                                                           Progress& progress, float begin, float end,
                                                           const CancelToken& cancel);

// Synthetic layered pairs, `count` of them: over a real pair (drawn by `seed`), a blob-shaped patch of another
// pair's reference frame moves by its own whole-pixel displacement, faster than the pair's own motion and so in
// front of it. The patch's flow is exact and the background it uncovers is the real target's: disocclusions with
// a known answer, which real clips only give where their flow is right.
constexpr int kMaxSyntheticPairs = 16384;
Expected<std::vector<RendererPair>> syntheticLayeredPairs(const std::vector<RendererPair>& real, int count,
                                                          uint64_t seed, const CancelToken& cancel);

// What one run's pairs may take in memory, all clips together.
constexpr int64_t kMaxPairBytes = int64_t(6) << 30;
int64_t pairBytes(const RendererPair& pair);

// The videos of a folder (not recursive), sorted by name.
std::vector<std::string> videosIn(const std::string& dir);

}  // namespace waft::engine::render
