// The fast CPU frame path against the exact reference (FrameRenderer): the displacement bound it promises,
// frames within PSNR 45 dB / 8 grey levels on loops and pulls of a brushed photo and a tree-like scene, the
// same loop seam, bit-identical frames on any thread count, and the odd sizes. Plain GoogleTest, no Qt.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "dynamics/ModalSimulator.h"
#include "dynamics/MotionBrush.h"
#include "motion/DisplacementSynth.h"
#include "motion/LoopPlanner.h"
#include "raster/FastFrameRenderer.h"
#include "raster/FrameRenderer.h"

using namespace waft::engine;

namespace {

// A brushed photo at K = 16: arrows on two sides, an anchor and a freeze rectangle (a sharp-edged still part).
SpectralVolume brushedScene(int w, int h) {
    const cv::Mat photo = waft::test::texturedImage(w, h);
    cv::Mat freeze = cv::Mat::zeros(h, w, CV_8U);
    cv::rectangle(freeze, cv::Rect(w * 3 / 4, h / 2, w / 5, h / 3), cv::Scalar(255), cv::FILLED);
    MotionBrushParams params;
    params.bands = 16;
    auto volume = motionFromBrush(
        photo, {{w * 0.25f, h * 0.3f, 0.02f * w, 0.01f * w}, {w * 0.6f, h * 0.6f, -0.015f * w, 0.02f * w}},
        {{w * 0.5f, h * 0.9f, 0.0f}}, freeze, params);
    EXPECT_TRUE(volume.hasValue()) << volume.status().message();
    return volume.hasValue() ? std::move(*volume) : SpectralVolume::zeros(w, h, 16);
}

struct Difference {
    double psnr = 0.0;
    double maxError = 0.0;
};

Difference compare(const cv::Mat& a, const cv::Mat& b) {
    Difference d;
    d.maxError = cv::norm(a, b, cv::NORM_INF);
    const double mse = std::pow(cv::norm(a, b, cv::NORM_L2), 2) / double(a.total() * a.channels());
    d.psnr = mse > 0 ? 10.0 * std::log10(255.0 * 255.0 / mse) : 99.0;
    return d;
}

double maxFieldError(const DisplacementField& a, const DisplacementField& b) {
    double worst = 0.0;
    for (size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, double(std::hypot(a.dx[i] - b.dx[i], a.dy[i] - b.dy[i])));
    return worst;
}

// The coordinates of a held pull and its ring-down, one per frame.
std::vector<std::vector<std::complex<float>>> pullDrive(const SpectralVolume& v, float dragPx, int frames) {
    ModalSimulator sim(v);
    std::vector<std::vector<std::complex<float>>> drive;
    for (int n = 0; n < frames; ++n) {
        if (n < frames / 3)
            sim.setPull(v.width / 3, v.height / 3, dragPx * float(n + 1) / float(frames / 3), 0.4f * dragPx);
        else
            sim.release();
        sim.step(1.0 / 30.0);
        drive.push_back(sim.coordinates());
    }
    return drive;
}

}  // namespace

// With the colour budget out of the way, the displacement cap alone: no pixel's displacement is further than
// maxDisplacementErrorPx from the exact synthesis, for playback, a pull, and a drive far beyond any budget.
TEST(FastFrameRenderer, DisplacementStaysWithinTheBound) {
    const SpectralVolume v = brushedScene(320, 180);
    std::vector<std::vector<std::complex<float>>> drives;
    for (double t : {0.0, 0.37, 1.9}) drives.push_back(playbackPhasors(v.frequenciesHz, t));
    for (auto& q : pullDrive(v, 60.0f, 12)) drives.push_back(q);
    std::vector<std::complex<float>> huge = drives.back();
    for (auto& c : huge) c *= 100.0f;  // far beyond any interpolation budget: exact tiles
    drives.push_back(huge);
    for (float cap : {1.0f / 32.0f, 0.25f}) {
        FastRenderParams params;
        params.maxDisplacementErrorPx = cap;
        params.maxColourError = 1e9f;
        FastFrameRenderer fast(v, params);
        DisplacementField approx, exact;
        size_t corrected = 0;
        for (const auto& q : drives) {
            fast.displacementField(q, approx);
            synthesizeDisplacement(v, q, exact);
            corrected += fast.lastCorrectedTiles();
            // Float rounding of the different summation orders adds far less than 1e-4 px.
            EXPECT_LE(maxFieldError(approx, exact), cap + 1e-4) << "cap " << cap;
        }
        EXPECT_GT(fast.lastExactTiles() + fast.lastCorrectedTiles(), fast.tileCount() / 2)
            << "a 100x pull must leave the interpolant";
        if (cap < 0.1f) EXPECT_GT(corrected, size_t(0)) << "the 16-bit residuals were never used";
    }
}

// The default budget, in grey levels: a displacement error times the sharpest step of the tile.
TEST(FastFrameRenderer, ColourBudgetSendsSharpTilesToResiduals) {
    const SpectralVolume v = brushedScene(320, 180);
    FastFrameRenderer fast(v);
    cv::Mat frame;
    ASSERT_TRUE(fast.render(playbackPhasors(v.frequenciesHz, 0.6), frame).isOk());
    EXPECT_GT(fast.lastCorrectedTiles() + fast.lastExactTiles(), size_t(0)) << "the brush follows the photo's edges";
    EXPECT_LT(fast.lastCorrectedTiles() + fast.lastExactTiles(), fast.tileCount()) << "smooth parts interpolate";
}

TEST(FastFrameRenderer, MostTilesInterpolateOnASmoothScene) {
    const SpectralVolume v = waft::test::sinusoidalVolume(256, 144, 16, 0.5f, 2, 4.0f, true);
    FastFrameRenderer fast(v);
    cv::Mat frame;
    ASSERT_TRUE(fast.render(playbackPhasors(v.frequenciesHz, 0.3), frame).isOk());
    EXPECT_EQ(fast.lastExactTiles(), size_t(0)) << "of " << fast.tileCount();
}

TEST(FastFrameRenderer, LoopAndPullFramesMatchTheExactPath) {
    const SpectralVolume v = brushedScene(320, 180);
    FastFrameRenderer fast(v);
    FrameRenderer exact(v);
    const LoopPlan plan = planLoop(v, v.frequenciesHz, 4.0f, 10.0f);
    std::vector<std::vector<std::complex<float>>> drives;
    for (int n = 0; n < 40; ++n) drives.push_back(playbackPhasors(plan.frequenciesHz, plan.startSec + n / 10.0));
    for (auto& q : pullDrive(v, 30.0f, 24)) drives.push_back(q);
    double worstPsnr = 99.0, worstMax = 0.0;
    size_t exactTiles = 0;
    for (const auto& q : drives) {
        cv::Mat a, b;
        ASSERT_TRUE(fast.render(q, a).isOk());
        ASSERT_TRUE(exact.render(q, b).isOk());
        const Difference d = compare(a, b);
        worstPsnr = std::min(worstPsnr, d.psnr);
        worstMax = std::max(worstMax, d.maxError);
        exactTiles += fast.lastExactTiles();
    }
    EXPECT_GE(worstPsnr, 45.0);
    EXPECT_LE(worstMax, 8.0);
    EXPECT_LT(exactTiles, drives.size() * fast.tileCount()) << "the fast path fell back to exact everywhere";
}

TEST(FastFrameRenderer, LoopSeamIsUnchanged) {
    const SpectralVolume v = brushedScene(256, 144);
    FastFrameRenderer fast(v);
    FrameRenderer exact(v);
    const float fps = 15.0f;
    const LoopPlan plan = planLoop(v, v.frequenciesHz, 4.0f, fps);
    const int frames = int(std::lround(plan.loopSec * fps));
    auto seamOf = [&](RenderBackend& r) {
        std::vector<cv::Mat> clip(static_cast<size_t>(frames));
        for (int n = 0; n < frames; ++n)
            EXPECT_TRUE(
                r.render(playbackPhasors(plan.frequenciesHz, plan.startSec + n / double(fps)), clip[size_t(n)]).isOk());
        std::vector<double> steps;
        for (int n = 0; n + 1 < frames; ++n)
            steps.push_back(cv::norm(clip[size_t(n)], clip[size_t(n) + 1], cv::NORM_L1));
        std::nth_element(steps.begin(), steps.begin() + long(steps.size() / 2), steps.end());
        return cv::norm(clip.back(), clip.front(), cv::NORM_L1) / steps[steps.size() / 2];
    };
    const double seamFast = seamOf(fast), seamExact = seamOf(exact);
    EXPECT_NEAR(seamFast, seamExact, 0.02) << "wrap step / median step";
    EXPECT_LT(seamFast, 1.5);
}

TEST(FastFrameRenderer, FramesAreIdenticalOnAnyThreadCount) {
    const SpectralVolume v = brushedScene(200, 131);  // odd height: the last band ends on a single row
    FastFrameRenderer fast(v);
    const auto q = pullDrive(v, 40.0f, 9).back();
    const int saved = omp_get_max_threads();
    std::vector<cv::Mat> frames;
    for (int threads : {1, 2, 3, 7}) {
        omp_set_num_threads(threads);
        cv::Mat frame;
        ASSERT_TRUE(fast.render(q, frame).isOk());
        frames.push_back(frame.clone());
    }
    omp_set_num_threads(saved);
    for (size_t i = 1; i < frames.size(); ++i) EXPECT_EQ(cv::norm(frames[0], frames[i], cv::NORM_INF), 0.0) << i;
}

TEST(FastFrameRenderer, WithAZeroBudgetItIsTheExactPath) {
    const SpectralVolume v = brushedScene(160, 90);
    FastRenderParams params;
    params.maxDisplacementErrorPx = 0.0f;
    FastFrameRenderer fast(v, params);
    FrameRenderer exact(v);
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);  // the reference's stripes then sum in row-major order too
    for (double t : {0.2, 1.3}) {
        cv::Mat a, b;
        ASSERT_TRUE(fast.render(playbackPhasors(v.frequenciesHz, t), a).isOk());
        ASSERT_TRUE(exact.render(playbackPhasors(v.frequenciesHz, t), b).isOk());
        EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
    }
    omp_set_num_threads(saved);
}

TEST(FastFrameRenderer, AtRestItIsThePhoto) {
    const SpectralVolume v = brushedScene(97, 61);
    FastFrameRenderer fast(v);
    cv::Mat frame;
    ASSERT_TRUE(fast.render(std::vector<std::complex<float>>(16, 0.0f), frame).isOk());
    EXPECT_EQ(cv::norm(frame, v.reference, cv::NORM_INF), 0.0);
    EXPECT_EQ(fast.lastHoleCount(), size_t(0));
    // Non-finite coordinates are ignored, not spread as NaN.
    std::vector<std::complex<float>> bad(16, {std::nanf(""), 0.0f});
    ASSERT_TRUE(fast.render(bad, frame).isOk());
    EXPECT_EQ(cv::norm(frame, v.reference, cv::NORM_INF), 0.0);
}

TEST(FastFrameRenderer, RgbxIsBgrReordered) {
    const SpectralVolume v = brushedScene(64, 48);
    FastFrameRenderer fast(v);
    const auto q = playbackPhasors(v.frequenciesHz, 0.8);
    cv::Mat bgr, rgbx(48, 64, CV_8UC4), back;
    ASSERT_TRUE(fast.render(q, bgr).isOk());
    ASSERT_TRUE(fast.renderInto(q, rgbx.data, rgbx.step, PixelLayout::Rgbx).isOk());
    cv::cvtColor(rgbx, back, cv::COLOR_RGBA2BGR);
    EXPECT_EQ(cv::norm(bgr, back, cv::NORM_INF), 0.0);
    std::vector<cv::Mat> channels;
    cv::split(rgbx, channels);
    EXPECT_EQ(cv::countNonZero(channels[3] != 255), 0);
    EXPECT_FALSE(fast.renderInto(q, rgbx.data, 10, PixelLayout::Rgbx).isOk()) << "a stride below a row";
}

TEST(FastFrameRenderer, TinyAndOddSizesMatchTheExactPath) {
    for (cv::Size size :
         {cv::Size(1, 1), cv::Size(2, 1), cv::Size(1, 5), cv::Size(3, 2), cv::Size(17, 9), cv::Size(33, 70)}) {
        SpectralVolume v = waft::test::sinusoidalVolume(size.width, size.height, 4, 0.5f, 1, 2.5f, true);
        v.reference = waft::test::texturedImage(size.width, size.height);
        FastFrameRenderer fast(v);
        FrameRenderer exact(v);
        for (double t : {0.0, 0.4, 0.9}) {
            cv::Mat a, b;
            ASSERT_TRUE(fast.render(playbackPhasors(v.frequenciesHz, t), a).isOk());
            ASSERT_TRUE(exact.render(playbackPhasors(v.frequenciesHz, t), b).isOk());
            EXPECT_LE(cv::norm(a, b, cv::NORM_INF), 8.0) << size.width << "x" << size.height << " t " << t;
        }
    }
}

TEST(FastFrameRenderer, WorkingSetIsReportedAndStable) {
    const SpectralVolume v = brushedScene(320, 180);
    FastFrameRenderer fast(v);
    cv::Mat frame;
    const auto drive = pullDrive(v, 30.0f, 6);
    for (const auto& q : drive) ASSERT_TRUE(fast.render(q, frame).isOk());  // the buffers reach their size
    const size_t first = fast.workingSetBytes();
    for (const auto& q : drive) ASSERT_TRUE(fast.render(q, frame).isOk());
    EXPECT_EQ(fast.workingSetBytes(), first) << "a steady drive must not grow the buffers";
    EXPECT_GT(first, v.planeSize() * 8) << "source pixels and weights at least";
}
