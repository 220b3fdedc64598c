// Loop planning and seamless exported loops: plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "core/Runtime.h"
#include "jobs/SceneAnimator.h"
#include "motion/DisplacementSynth.h"
#include "motion/LoopPlanner.h"

using namespace waft::engine;

namespace {

// A scene whose bands are not harmonics of any short loop: 0.37, 0.74, 1.11 Hz ...
Scene inharmonicScene() {
    Scene scene;
    scene.volume = waft::test::sinusoidalVolume(96, 64, 3, 0.37f, 0, 3.0f);
    SpectralVolume b = waft::test::sinusoidalVolume(96, 64, 3, 0.37f, 2, 1.5f, true);
    std::copy(b.plane(2, 0), b.plane(2, 0) + 4 * b.planeSize(), scene.volume.plane(2, 0));
    scene.volume.sourceDurationSec = 0.0f;
    return scene;
}

// Mean absolute pixel change between frames a and b.
double pixelStep(const cv::Mat& a, const cv::Mat& b) { return cv::norm(a, b, cv::NORM_L1) / double(a.total() * 3); }

struct PixelSeam {
    double seam;
    double median;
};

PixelSeam measureExportedSeam(const std::string& dir, int frames) {
    std::vector<cv::Mat> images;
    for (int n = 0; n < frames; ++n) {
        char name[16];
        std::snprintf(name, sizeof name, "/%04d.png", n);
        images.push_back(cv::imread(dir + name));
    }
    std::vector<double> steps;
    for (int n = 0; n + 1 < frames; ++n) steps.push_back(pixelStep(images[size_t(n)], images[size_t(n + 1)]));
    std::nth_element(steps.begin(), steps.begin() + long(steps.size() / 2), steps.end());
    return {pixelStep(images.back(), images.front()), steps[steps.size() / 2]};
}

const auto* const kRuntime = ::testing::AddGlobalTestEnvironment(new waft::test::RuntimeEnvironment);

}  // namespace

TEST(LoopPlanner, SnapsToHarmonicsAndIsPeriodic) {
    const Scene scene = inharmonicScene();
    const float loop = 2.5f;
    const LoopPlan plan = planLoop(scene.volume, scene.volume.frequenciesHz, loop, 24.0f);
    for (size_t j = 0; j < plan.frequenciesHz.size(); ++j) {
        SCOPED_TRACE(testing::Message() << "band " << j << ": " << plan.frequenciesHz[j] << " Hz");
        const double harmonics = plan.frequenciesHz[j] * loop;
        EXPECT_TRUE(std::abs(harmonics - std::round(harmonics)) < 1e-4 && harmonics >= 1.0 - 1e-4);
        EXPECT_TRUE(std::abs(plan.frequenciesHz[j] - scene.volume.frequenciesHz[j]) <= 0.5f / loop + 1e-5f ||
                    plan.frequenciesHz[j] == 1.0f / loop);
    }
    // Position and velocity coincide at t and t + L.
    DisplacementField a, b, a2, b2;
    const double t = plan.startSec, h = 1e-3;
    synthesizeDisplacement(scene.volume, playbackPhasors(plan.frequenciesHz, t), a);
    synthesizeDisplacement(scene.volume, playbackPhasors(plan.frequenciesHz, t + loop), b);
    synthesizeDisplacement(scene.volume, playbackPhasors(plan.frequenciesHz, t + h), a2);
    synthesizeDisplacement(scene.volume, playbackPhasors(plan.frequenciesHz, t + loop + h), b2);
    for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_TRUE(std::abs(a.dx[i] - b.dx[i]) < 1e-3f && std::abs(a.dy[i] - b.dy[i]) < 1e-3f) << "pixel " << i;
        ASSERT_LT(std::abs((a2.dx[i] - a.dx[i]) - (b2.dx[i] - b.dx[i])), 2e-3f) << "pixel " << i;
    }
}

// The exported loop's wrap-around step (last frame -> first) is no larger than its median step,
// in displacement and in rendered pixels; without loop planning it is far larger (the test can fail).
TEST(LoopPlanner, ExportedLoopHasNoSeam) {
    const Scene scene = inharmonicScene();
    const std::string root = waft::test::tempDir("seam");
    AnimateParams params;
    params.seconds = 3.0f;
    params.fps = 20.0f;
    AnimateJob looped(scene, root + "/loop/", params);
    Progress progress;
    ASSERT_TRUE(looped.run(progress, CancelToken()).isOk());
    ASSERT_EQ(looped.frames(), 60);
    EXPECT_LE(looped.seam().seamPx, looped.seam().medianStepPx);
    const PixelSeam pixels = measureExportedSeam(root + "/loop", 60);
    std::printf("looped: seam %.4f px (median step %.4f); pixels %.3f (median %.3f)\n", looped.seam().seamPx,
                looped.seam().medianStepPx, pixels.seam, pixels.median);
    EXPECT_LE(pixels.seam, pixels.median);

    params.loop = false;
    AnimateJob plain(scene, root + "/plain/", params);
    ASSERT_TRUE(plain.run(progress, CancelToken()).isOk());
    const PixelSeam plainPixels = measureExportedSeam(root + "/plain", 60);
    std::printf("unplanned: pixels %.3f (median %.3f)\n", plainPixels.seam, plainPixels.median);
    EXPECT_GT(plainPixels.seam, 3.0 * plainPixels.median);
}

TEST(LoopPlanner, SeamReportOfAnUnsnappedLoopShowsTheJump) {
    const Scene scene = inharmonicScene();
    const SeamReport r = measureLoopSeam(scene.volume, scene.volume.frequenciesHz, 0.0, 20.0f, 60);
    EXPECT_GT(r.seamPx, 3.0 * r.medianStepPx);
}
