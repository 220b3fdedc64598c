// The softmax splatter: plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <random>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "baseline/SplatBaseline.h"
#include "raster/SoftmaxSplatter.h"

using namespace waft::engine;

namespace {

cv::Mat randomImage(int w, int h, int channels, unsigned seed) {
    cv::Mat image(h, w, CV_MAKETYPE(CV_32F, channels));
    cv::RNG rng(seed);
    rng.fill(image, cv::RNG::UNIFORM, 0.0, 1.0);
    return image;
}

DisplacementField constantField(int w, int h, float dx, float dy) {
    DisplacementField f;
    f.resize(w, h);
    std::fill(f.dx.begin(), f.dx.end(), dx);
    std::fill(f.dy.begin(), f.dy.end(), dy);
    return f;
}

}  // namespace

TEST(SoftmaxSplatter, ZeroMotionIsIdentity) {
    const cv::Mat image = randomImage(37, 23, 3, 1);
    SoftmaxSplatter splatter;
    cv::Mat out;
    const std::vector<float> weights(37 * 23, 0.37f);
    ASSERT_TRUE(splatter.splat(image, constantField(37, 23, 0, 0), weights, out).isOk());
    EXPECT_LT(cv::norm(out, image, cv::NORM_INF), 1e-6);
    EXPECT_EQ(splatter.lastHoleCount(), size_t(0));
}

TEST(SoftmaxSplatter, IntegerShiftIsExact) {
    const cv::Mat image = randomImage(40, 30, 3, 2);
    SoftmaxSplatter splatter;
    cv::Mat out;
    ASSERT_TRUE(splatter.splat(image, constantField(40, 30, 3.0f, -2.0f), {}, out).isOk());
    EXPECT_EQ(splatter.lastHoleCount(), size_t(3 * 30 + 2 * 40 - 3 * 2));  // the uncovered L-shaped border
    const cv::Rect src(0, 2, 37, 28), dst(3, 0, 37, 28);
    EXPECT_LT(cv::norm(out(dst), image(src), cv::NORM_INF), 1e-6);
    // Holes were filled by push-pull: finite, inside the image's value range.
    double lo, hi;
    cv::minMaxLoc(out.reshape(1), &lo, &hi);
    EXPECT_TRUE(lo >= 0.0 && hi <= 1.0) << "range " << lo << " .. " << hi;
}

// Two pixels land on the same spot: the one with the larger mean motion (softmax weight) wins.
TEST(SoftmaxSplatter, OcclusionResolvesTowardLargerMotion) {
    const int w = 32, h = 8;
    cv::Mat image(h, w, CV_32FC3, cv::Scalar(0, 0, 1));      // red background (BGR)
    image(cv::Rect(4, 0, 8, h)).setTo(cv::Scalar(1, 0, 0));  // blue strip x in [4, 12)
    DisplacementField field;
    field.resize(w, h);
    std::vector<float> magnitude(size_t(w * h), 0.0f);
    for (int y = 0; y < h; ++y)
        for (int x = 4; x < 12; ++x) {
            field.dx[size_t(y * w + x)] = 8.0f;  // the strip moves onto the red pixels at [12, 20)
            magnitude[size_t(y * w + x)] = 8.0f;
        }
    SoftmaxSplatter splatter;
    cv::Mat out;
    ASSERT_TRUE(splatter.splat(image, field, SoftmaxSplatter::splatWeights(magnitude), out).isOk());
    for (int x = 12; x < 20; ++x) {
        const cv::Vec3f px = out.at<cv::Vec3f>(3, x);
        EXPECT_TRUE(px[0] > 0.999f && px[2] < 0.001f) << "x=" << x << " b=" << px[0] << " r=" << px[2];
    }
    // Reverse the weights: the still pixels are now "in front" and stay red.
    for (float& m : magnitude) m = m > 0 ? 0.0f : 8.0f;
    ASSERT_TRUE(splatter.splat(image, field, SoftmaxSplatter::splatWeights(magnitude), out).isOk());
    EXPECT_GT(out.at<cv::Vec3f>(3, 15)[2], 0.999f);
}

// Independent check: the LibTorch formulation (render::softmaxSplat) gives the same numbers on random motion.
TEST(SoftmaxSplatter, MatchesTorchSplat) {
    const int w = 64, h = 48;
    const cv::Mat image = randomImage(w, h, 3, 3);
    DisplacementField field;
    field.resize(w, h);
    std::mt19937 rng(4);
    std::normal_distribution<float> n(0.0f, 2.5f);
    for (size_t i = 0; i < field.size(); ++i) {
        field.dx[i] = n(rng);
        field.dy[i] = n(rng);
    }
    std::vector<float> magnitude(field.size());
    for (size_t i = 0; i < field.size(); ++i) magnitude[i] = std::abs(n(rng));
    const auto weights = SoftmaxSplatter::splatWeights(magnitude);
    SoftmaxSplatter splatter;
    splatter.setFillHoles(false);
    cv::Mat ours, baseline;
    ASSERT_TRUE(splatter.splat(image, field, weights, ours).isOk());
    ASSERT_TRUE(splatTorchBaseline(image, field, weights, baseline).isOk());
    const double diff = cv::norm(ours, baseline, cv::NORM_INF);
    EXPECT_LT(diff, 1e-4);
}

TEST(SoftmaxSplatter, ArbitraryChannelCountsAndDeterminism) {
    const cv::Mat features = randomImage(33, 17, 7, 5);
    DisplacementField field = constantField(33, 17, 0.5f, 0.25f);
    SoftmaxSplatter a, b;
    cv::Mat outA, outB;
    ASSERT_TRUE(a.splat(features, field, {}, outA).isOk());
    ASSERT_TRUE(b.splat(features, field, {}, outB).isOk());
    EXPECT_EQ(outA.channels(), 7);
    EXPECT_FUZZY_EQ(cv::norm(outA, outB, cv::NORM_INF), 0.0);
}

TEST(SoftmaxSplatter, NonFiniteMotionIsDroppedNotCrashed) {
    const cv::Mat image = randomImage(16, 16, 3, 6);
    DisplacementField field = constantField(16, 16, 0, 0);
    field.dx[5] = std::nanf("");
    field.dy[9] = INFINITY;
    field.dx[20] = 1e30f;
    SoftmaxSplatter splatter;
    cv::Mat out;
    ASSERT_TRUE(splatter.splat(image, field, {}, out).isOk());
    EXPECT_TRUE(cv::checkRange(out));
}

TEST(SoftmaxSplatter, RejectsMismatchedInputs) {
    SoftmaxSplatter splatter;
    cv::Mat out;
    EXPECT_FALSE(splatter.splat(randomImage(8, 8, 3, 1), constantField(9, 8, 0, 0), {}, out).isOk());
    EXPECT_FALSE(splatter.splat(randomImage(8, 8, 3, 1), constantField(8, 8, 0, 0), std::vector<float>(3), out).isOk());
    cv::Mat bytes(8, 8, CV_8UC3);
    EXPECT_FALSE(splatter.splat(bytes, constantField(8, 8, 0, 0), {}, out).isOk());
}

TEST(SoftmaxSplatter, WeightsFollowMeanMagnitude) {
    const auto w = SoftmaxSplatter::splatWeights({0.0f, 1.0f, 2.0f, 100.0f});
    ASSERT_EQ(w.size(), size_t(4));
    EXPECT_TRUE(w[0] < w[1] && w[1] < w[2] && w[2] <= w[3]) << w[0] << " " << w[1] << " " << w[2] << " " << w[3];
    // m_ref is the 99th percentile (here 100): Z = 10 m / m_ref, so the largest motion gets e^10 the weight.
    EXPECT_LT(std::abs(w[3] / w[0] - std::exp(10.0f)), 1e-3f * std::exp(10.0f));
    std::vector<float> mostlyStill(1000, 1.0f);
    mostlyStill[17] = 1e6f;
    EXPECT_FUZZY_EQ(SoftmaxSplatter::splatWeights(mostlyStill)[17], 1.0f);  // far beyond m_ref: clipped at kMaxZ
    for (float v : w) EXPECT_TRUE(v > 0.0f && v <= 1.0f) << v;
}
