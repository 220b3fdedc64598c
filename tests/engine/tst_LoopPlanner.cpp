#include "QtTestSupport.h"
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

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

}  // namespace

class tst_LoopPlanner : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { initRuntime(); }

    void snapsToHarmonicsAndIsPeriodic() {
        const Scene scene = inharmonicScene();
        const float loop = 2.5f;
        const LoopPlan plan = planLoop(scene.volume, scene.volume.frequenciesHz, loop, 24.0f);
        for (size_t j = 0; j < plan.frequenciesHz.size(); ++j) {
            const double harmonics = plan.frequenciesHz[j] * loop;
            QVERIFY(std::abs(harmonics - std::round(harmonics)) < 1e-4 && harmonics >= 1.0 - 1e-4);
            QVERIFY(std::abs(plan.frequenciesHz[j] - scene.volume.frequenciesHz[j]) <= 0.5f / loop + 1e-5f ||
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
            QVERIFY(std::abs(a.dx[i] - b.dx[i]) < 1e-3f && std::abs(a.dy[i] - b.dy[i]) < 1e-3f);
            QVERIFY(std::abs((a2.dx[i] - a.dx[i]) - (b2.dx[i] - b.dx[i])) < 2e-3f);
        }
    }

    // The exported loop's wrap-around step (last frame -> first) is no larger than its median step,
    // in displacement and in rendered pixels; without loop planning it is far larger (the test can fail).
    void exportedLoopHasNoSeam() {
        const Scene scene = inharmonicScene();
        const std::string root = waft::test::tempDir("seam");
        AnimateParams params;
        params.seconds = 3.0f;
        params.fps = 20.0f;
        AnimateJob looped(scene, root + "/loop/", params);
        Progress progress;
        QVERIFY(looped.run(progress, CancelToken()).isOk());
        QCOMPARE(looped.frames(), 60);
        QVERIFY2(looped.seam().seamPx <= looped.seam().medianStepPx,
                 qPrintable(QString("%1 > %2").arg(looped.seam().seamPx).arg(looped.seam().medianStepPx)));
        const PixelSeam pixels = measureExportedSeam(root + "/loop", 60);
        qInfo("looped: seam %.4f px (median step %.4f); pixels %.3f (median %.3f)", looped.seam().seamPx,
              looped.seam().medianStepPx, pixels.seam, pixels.median);
        QVERIFY(pixels.seam <= pixels.median);

        params.loop = false;
        AnimateJob plain(scene, root + "/plain/", params);
        QVERIFY(plain.run(progress, CancelToken()).isOk());
        const PixelSeam plainPixels = measureExportedSeam(root + "/plain", 60);
        qInfo("unplanned: pixels %.3f (median %.3f)", plainPixels.seam, plainPixels.median);
        QVERIFY(plainPixels.seam > 3.0 * plainPixels.median);
    }

    void seamReportOfAnUnsnappedLoopShowsTheJump() {
        const Scene scene = inharmonicScene();
        const SeamReport r = measureLoopSeam(scene.volume, scene.volume.frequenciesHz, 0.0, 20.0f, 60);
        QVERIFY(r.seamPx > 3.0 * r.medianStepPx);
    }
};

WAFT_TEST_MAIN(tst_LoopPlanner)
#include "tst_LoopPlanner.moc"
