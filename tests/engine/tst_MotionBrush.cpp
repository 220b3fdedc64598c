// The motion brush (motion painted with arrows, anchors and a freeze mask): plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <opencv2/core.hpp>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "dynamics/ModalSimulator.h"
#include "dynamics/MotionBrush.h"
#include "jobs/SceneJobs.h"
#include "motion/DisplacementSynth.h"

using namespace waft::engine;

namespace {

// Largest displacement over one loop at a pixel, and its direction (radians).
void peakMotion(const SpectralVolume& v, int x, int y, float& peak, float& angle) {
    peak = 0.0f;
    angle = 0.0f;
    const size_t i = size_t(y) * v.width + x;
    for (int s = 0; s < 96; ++s) {
        const auto q = playbackPhasors(v.frequenciesHz, v.sourceDurationSec * s / 96.0);
        float dx = 0, dy = 0;
        for (int j = 0; j < v.bands; ++j) {
            dx += v.plane(j, 0)[i] * q[size_t(j)].real() - v.plane(j, 1)[i] * q[size_t(j)].imag();
            dy += v.plane(j, 2)[i] * q[size_t(j)].real() - v.plane(j, 3)[i] * q[size_t(j)].imag();
        }
        if (std::hypot(dx, dy) > peak) {
            peak = std::hypot(dx, dy);
            angle = std::atan2(dy, dx);
        }
    }
}

float bandEnergy(const SpectralVolume& v, int x, int y) {
    const size_t i = size_t(y) * v.width + x;
    float e = 0.0f;
    for (int j = 0; j < v.bands; ++j)
        for (int c = 0; c < 4; ++c) e += std::abs(v.plane(j, c)[i]);
    return e;
}

// The textured photo every brush test paints on.
cv::Mat brushImage() { return waft::test::texturedImage(200, 120); }

}  // namespace

// Near an arrow the scene moves along it, with about the painted strength; far away it is still.
TEST(MotionBrush, MotionFollowsArrows) {
    const cv::Mat image = brushImage();
    const MotionArrow arrow{60, 50, 4.0f, 2.0f};
    MotionBrushParams params;
    params.radiusPx = 20.0f;
    auto v = motionFromBrush(image, {arrow}, {}, {}, params);
    ASSERT_TRUE(v.hasValue()) << v.status().message();
    float peak, angle;
    peakMotion(*v, 60, 50, peak, angle);
    const float expected = std::atan2(2.0f, 4.0f);
    const float error = std::min(std::abs(angle - expected), std::abs(std::abs(angle - expected) - float(M_PI)));
    std::printf("at the arrow: peak %.2f px (strength %.2f), direction error %.2f deg\n", peak, std::hypot(4.0f, 2.0f),
                error * 180 / M_PI);
    EXPECT_LT(error, 5.0f * float(M_PI) / 180.0f);  // along the arrow (either way through the swing)
    EXPECT_TRUE(peak > 0.5f * std::hypot(4.0f, 2.0f) && peak < 1.05f * std::hypot(4.0f, 2.0f)) << "peak " << peak;
    float farPeak, farAngle;
    peakMotion(*v, 190, 110, farPeak, farAngle);
    EXPECT_LT(farPeak, 0.05f * peak);
}

TEST(MotionBrush, ZeroAtAnchorsAndInsideFreezeMask) {
    const cv::Mat image = brushImage();
    cv::Mat mask(image.size(), CV_8UC1, cv::Scalar(0));
    mask(cv::Rect(100, 20, 40, 40)).setTo(255);
    MotionBrushParams params;
    params.radiusPx = 40.0f;
    auto v = motionFromBrush(image, {{110, 60, 5.0f, 0.0f}, {60, 60, 3.0f, 3.0f}}, {{70, 65, 10.0f}}, mask, params);
    ASSERT_TRUE(v.hasValue());
    EXPECT_FUZZY_EQ(bandEnergy(*v, 70, 65), 0.0f);  // the anchor itself
    for (int y = 20; y < 60; y += 3)
        for (int x = 100; x < 140; x += 3) EXPECT_FUZZY_EQ(bandEnergy(*v, x, y), 0.0f) << "at " << x << ", " << y;
    EXPECT_GT(bandEnergy(*v, 110, 75), 0.1f);  // just below the mask the arrow still acts
}

// The job the app and `waft-cli brush` share: strokes scale from their image size to the scene's, and a
// brushed frame of a video keeps its source.
TEST(MotionBrush, BrushJobScalesStrokesAndKeepsTheSource) {
    auto source = std::make_shared<Scene>();
    source->volume = SpectralVolume::zeros(160, 120, 1);
    source->volume.reference = waft::test::texturedImage(160, 120);
    source->volume.frequenciesHz = {0.25f};
    source->source = {"/videos/clip.mp4", 2.0, 9.5};
    MotionStrokes strokes;
    strokes.width = 320;  // painted on the photo at twice the scene's size
    strokes.height = 240;
    strokes.arrows = {{120, 120, 20, 0}};
    MotionBrushJob job(source, strokes, MotionBrushParams{});
    Progress progress;
    CancelToken cancel;
    ASSERT_TRUE(job.run(progress, cancel).isOk());
    EXPECT_EQ(job.result()->source.videoPath, std::string("/videos/clip.mp4"));
    float peakAt, angle, peakFar, unused;
    peakMotion(job.result()->volume, 60, 60, peakAt, angle);  // the arrow, in scene pixels
    peakMotion(job.result()->volume, 150, 110, peakFar, unused);
    EXPECT_TRUE(peakAt > 5.0f && peakAt > 4.0f * peakFar) << "peak " << peakAt << ", far " << peakFar;
    EXPECT_TRUE(std::abs(angle) < 0.3f || std::abs(std::abs(angle) - 3.14159f) < 0.3f) << "angle " << angle;  // along x
}

TEST(MotionBrush, ExactLoopPeriod) {
    const cv::Mat image = brushImage();
    MotionBrushParams params;
    params.loopSec = 3.0f;
    params.bands = 4;
    auto v = motionFromBrush(image, {{100, 60, 3.0f, -1.0f}}, {}, {}, params);
    ASSERT_TRUE(v.hasValue());
    for (int k = 1; k <= 4; ++k) EXPECT_FUZZY_EQ(v->frequenciesHz[size_t(k - 1)], float(k) / 3.0f) << "band " << k;
    DisplacementField a, b;
    synthesizeDisplacement(*v, playbackPhasors(v->frequenciesHz, 0.4), a);
    synthesizeDisplacement(*v, playbackPhasors(v->frequenciesHz, 3.4), b);
    for (size_t i = 0; i < a.size(); ++i) ASSERT_LT(std::abs(a.dx[i] - b.dx[i]), 1e-4f) << "pixel " << i;
    // Spatially varying phase: two points near the arrow do not move in lockstep.
    const size_t p = 60 * 200 + 90, r = 60 * 200 + 110;
    EXPECT_GT(
        std::abs(std::atan2(v->plane(0, 1)[p], v->plane(0, 0)[p]) - std::atan2(v->plane(0, 1)[r], v->plane(0, 0)[r])),
        0.1f);
}

// Each arrow paints one thing: its core moves as one piece (one phase per band without the wave), and a pull on
// it settles there while a thing painted by another arrow, with its own natural frequency, barely follows.
TEST(MotionBrush, EachArrowSwaysAsOneThingAndPullsStayLocal) {
    const cv::Mat image = waft::test::texturedImage(240, 120);
    MotionBrushParams params;
    params.radiusPx = 16.0f;
    params.bands = 6;
    params.waveLengthPx = 1e6f;  // no bending: the phases are the arrows' own
    auto v = motionFromBrush(image, {{50, 60, 6.0f, 0.0f}, {190, 60, 6.0f, 0.0f}}, {}, {}, params);
    ASSERT_TRUE(v.hasValue());
    const auto phase = [&](int band, int x, int y) {
        const size_t i = size_t(y) * v->width + x;
        return std::atan2(v->plane(band, 1)[i], v->plane(band, 0)[i]);
    };
    const auto dominant = [&](int x, int y) {
        int best = 0;
        for (int j = 1; j < v->bands; ++j)
            if (std::abs(v->plane(j, 0)[size_t(y) * v->width + x]) +
                    std::abs(v->plane(j, 1)[size_t(y) * v->width + x]) >
                std::abs(v->plane(best, 0)[size_t(y) * v->width + x]) +
                    std::abs(v->plane(best, 1)[size_t(y) * v->width + x]))
                best = j;
        return best;
    };
    for (int j = 0; j < v->bands; ++j) EXPECT_LT(std::abs(phase(j, 44, 56) - phase(j, 56, 64)), 0.02f) << "band " << j;
    EXPECT_NE(dominant(50, 60), dominant(190, 60));  // two natural frequencies

    ModalParams modal;
    modal.dampingRatio = 0.2f;
    ModalSimulator sim(*v, modal);
    sim.setPull(50, 60, 8.0f, 0.0f);
    for (int i = 0; i < 240; ++i) sim.step(1.0 / 60.0);  // held 4 s: settled on the cursor
    float gx, gy, ox, oy;
    sim.displacementAt(50, 60, gx, gy);
    sim.displacementAt(190, 60, ox, oy);
    std::printf("pull of 8 px: grabbed thing %.2f px, the other %.3f px\n", std::hypot(gx, gy), std::hypot(ox, oy));
    EXPECT_GT(gx, 6.0f);
    EXPECT_LT(std::hypot(ox, oy), 0.15f * std::hypot(gx, gy));
}

// The bending wave never folds the photo over itself (a fold is 1 + dd/dx <= 0): with a wave far too short for a
// strong single-harmonic thing, the loop stretches by at most the strain cap (0.25) more than without a wave.
TEST(MotionBrush, TheWaveBendsWithoutFolding) {
    const cv::Mat image = brushImage();
    const auto stretch = [&](float waveLengthPx) {
        MotionBrushParams params;
        params.bands = 8;
        params.radiusPx = 24.0f;
        params.waveLengthPx = waveLengthPx;
        auto v = motionFromBrush(image, {{100, 60, 8.0f, 4.0f}}, {}, {}, params);
        EXPECT_TRUE(v.hasValue());
        float worst = 0.0f;
        DisplacementField d;
        for (int s = 0; v.hasValue() && s < 16; ++s) {
            synthesizeDisplacement(*v, playbackPhasors(v->frequenciesHz, params.loopSec * s / 16.0), d);
            for (int y = 1; y < v->height; ++y)
                for (int x = 1; x < v->width; ++x) {
                    const size_t i = size_t(y) * v->width + x;
                    worst = std::max({worst, std::abs(d.dx[i] - d.dx[i - 1]), std::abs(d.dy[i] - d.dy[i - v->width])});
                }
        }
        return worst;
    };
    const float still = stretch(1e6f), bent = stretch(20.0f);  // a 20 px wave would fold it uncapped
    std::printf("largest stretch of the loop: %.3f without a wave, %.3f with a 20 px one\n", still, bent);
    EXPECT_LT(bent, still + 0.3f);
    EXPECT_LT(bent, 0.9f);
}

TEST(MotionBrush, RejectsBadInput) {
    const cv::Mat image = brushImage();
    EXPECT_FALSE(motionFromBrush(image, {}, {}, {}).hasValue());
    EXPECT_FALSE(motionFromBrush(image, {{1, 1, NAN, 0}}, {}, {}).hasValue());
    EXPECT_FALSE(motionFromBrush(image, {{1, 1, 1, 0}}, {}, cv::Mat(5, 5, CV_8UC1)).hasValue());
    EXPECT_FALSE(motionFromBrush(cv::Mat(), {{1, 1, 1, 0}}, {}, {}).hasValue());
    MotionBrushParams params;
    params.loopSec = 0.0f;
    EXPECT_FALSE(motionFromBrush(image, {{1, 1, 1, 0}}, {}, {}, params).hasValue());
    CancelToken cancelled;  // the job's cancel reaches the per-row loop
    cancelled.cancel();
    const auto stopped = motionFromBrush(image, {{1, 1, 1, 0}}, {}, {}, {}, &cancelled);
    ASSERT_FALSE(stopped.hasValue());
    EXPECT_EQ(stopped.status().code(), StatusCode::Cancelled);
}
