#include <QtTest>
#include <opencv2/core.hpp>
#include <random>

#include "DisplacementSynth.h"
#include "FrameRenderer.h"
#include "ModalSimulator.h"
#include "Runtime.h"
#include "SoftmaxSplatter.h"
#include "TestSupport.h"
#include "cuda/CudaRenderBackend.h"
#include "cuda/CudaSplat.h"

using namespace waft::engine;

class tst_CudaSplat : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        initRuntime();
        if (cuda::deviceCount() == 0) QSKIP("no CUDA device");
    }

    // CUDA vs the CPU reference for playback and a pull: >= 99.9% of channel values within 1/255.
    void matchesCpuReference_data() {
        QTest::addColumn<bool>("pulled");
        QTest::newRow("playback") << false;
        QTest::newRow("pull") << true;
    }
    void matchesCpuReference() {
        QFETCH(bool, pulled);
        SpectralVolume v = waft::test::sinusoidalVolume(320, 200, 4, 0.6f, 0, 3.5f);
        SpectralVolume b = waft::test::sinusoidalVolume(320, 200, 4, 0.6f, 2, 2.0f, true);
        std::copy(b.plane(2, 0), b.plane(2, 0) + 4 * b.planeSize(), v.plane(2, 0));
        std::vector<std::complex<float>> q = playbackPhasors(v.frequenciesHz, 0.37);
        if (pulled) {
            ModalSimulator sim(v);
            sim.setPull(160, 100, 12.0f, -5.0f);
            for (int n = 0; n < 45; ++n) sim.step(1.0 / 60.0);
            q = sim.coordinates();
        }
        FrameRenderer cpu(v);
        auto gpu = cuda::createCudaRenderBackend(v);
        QVERIFY2(gpu.hasValue(), gpu.status().message().c_str());
        cv::Mat expected, actual, diff;
        QVERIFY(cpu.render(q, expected).isOk());
        QVERIFY((*gpu)->render(q, actual).isOk());
        cv::absdiff(expected, actual, diff);
        double maxDiff;
        cv::minMaxLoc(diff.reshape(1), nullptr, &maxDiff);
        const double within = double(cv::countNonZero(diff.reshape(1) <= 1)) / double(diff.total() * 3);
        qInfo("CUDA vs CPU: %.4f%% within 1/255, max %.0f", 100 * within, maxDiff);
        QVERIFY(within >= 0.999);
    }
};

QTEST_APPLESS_MAIN(tst_CudaSplat)
#include "tst_CudaSplat.moc"
