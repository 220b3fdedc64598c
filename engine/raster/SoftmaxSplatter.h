#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "core/Status.h"
#include "motion/DisplacementField.h"

namespace waft::engine {

// Softmax splatting (Niklaus & Liu 2020; GID §5), the CPU reference every other back end is held to.
//
// Each source pixel p is pushed to p + F(p) and spread over the 4 nearest target pixels with bilinear
// weights b, times its softmax weight W(p) = exp(Z(p) - kMaxZ):
//   out(q) = sum_p b_pq W(p) I(p) / sum_p b_pq W(p).
// Z comes from the mean motion magnitude m(p) over the loop (see splatWeights), so where two pixels land on
// the same spot the one that moves more (the foreground branch) wins. Target pixels nobody lands on are
// holes, filled by push-pull (HoleFill.h).
//
// Threads: source rows are cut into one stripe per OpenMP thread; each stripe accumulates into its own
// buffer covering the target rows it can reach (its rows +- the largest |dy|), and a merge pass sums the
// stripes in a fixed order, so results are deterministic whatever the scheduling. One instance keeps its
// scratch buffers between calls: use one instance per thread.
class SoftmaxSplatter {
public:
    // Z = kZScale * min(m / m_ref, kZClip) with m_ref the 99th percentile of m over the image, so Z is
    // independent of image scale and lies in [0, kMaxZ]; weights are stored as exp(Z - kMaxZ) in (0, 1].
    static constexpr float kZScale = 10.0f;
    static constexpr float kZClip = 2.0f;
    static constexpr float kMaxZ = kZScale * kZClip;

    static std::vector<float> splatWeights(const std::vector<float>& meanMagnitude);

    // image: CV_32FC(C), 1 <= C <= 16; field of the image's size; weights of the image's size or empty
    // (uniform). out becomes CV_32FC(C). Non-finite displacements are dropped.
    Status splat(const cv::Mat& image, const DisplacementField& field, const std::vector<float>& weights, cv::Mat& out);

    // Holes (pixels nothing landed on) of the last splat, before filling.
    size_t lastHoleCount() const { return m_lastHoleCount; }
    void setFillHoles(bool fill) { m_fillHoles = fill; }

private:
    template <int kChannels>
    void accumulate(const cv::Mat& image, const DisplacementField& field, const float* weights, int channels,
                    int reach);
    void resolve(int width, int height, int channels, cv::Mat& out);

    struct Stripe {
        int sourceBegin = 0;
        int sourceEnd = 0;
        int targetBegin = 0;
        int targetEnd = 0;
        std::vector<float> accum;  // (targetEnd - targetBegin) * width * (channels + 1)
    };
    std::vector<Stripe> m_stripes;
    std::vector<uint8_t> m_holes;
    size_t m_lastHoleCount = 0;
    bool m_fillHoles = true;
};

}  // namespace waft::engine
