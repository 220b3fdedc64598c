#include "QtTestSupport.h"
#include <QtTest>
#include <opencv2/core.hpp>

#include "TestSupport.h"
#include "VulkanSplatRenderer.h"
#include "core/Runtime.h"
#include "dynamics/ModalSimulator.h"
#include "motion/DisplacementSynth.h"
#include "raster/FrameRenderer.h"

using namespace waft;

namespace {

// A realistic scene: real photo, two bands of smooth motion up to ~4 px with occlusions and holes.
engine::SpectralVolume parityVolume(int w, int h) {
    engine::SpectralVolume v = test::sinusoidalVolume(w, h, 4, 0.6f, 0, 3.5f);
    engine::SpectralVolume b = test::sinusoidalVolume(w, h, 4, 0.6f, 2, 2.0f, true);
    std::copy(b.plane(2, 0), b.plane(2, 0) + 4 * b.planeSize(), v.plane(2, 0));
    for (size_t i = 0; i < v.planeSize(); ++i) v.plane(1, 1)[i] = 1.5f * std::sin(0.05f * float(i % w));
    return v;
}

struct Parity {
    double within;  // fraction of channel values within 1/255
    double maxDiff;
};

Parity compare(const cv::Mat& a, const cv::Mat& b) {
    cv::Mat diff;
    cv::absdiff(a, b, diff);
    double maxDiff;
    cv::minMaxLoc(diff.reshape(1), nullptr, &maxDiff);
    const double within = double(cv::countNonZero(diff.reshape(1) <= 1)) / double(diff.total() * 3);
    return {within, maxDiff};
}

}  // namespace

class tst_VulkanSplatRenderer : public QObject {
    Q_OBJECT
    std::shared_ptr<render::VulkanContext> m_context;

private slots:
    void initTestCase() {
        engine::initRuntime();
        auto context = render::VulkanContext::create();
        if (!context) WAFT_SKIP(qPrintable(QString::fromStdString(context.status().message())));
        m_context = *context;
        qInfo("Vulkan device: %s, float atomics: %s", m_context->info().name.c_str(),
              m_context->info().floatAtomicAdd ? "yes" : "no");
    }

    // Vulkan vs CPU reference for the same scene, time and pull state: >= 99.9% of channel values within
    // 1/255; the largest difference is reported. Both atomic paths are exercised.
    void matchesCpuReference_data() {
        QTest::addColumn<bool>("forceFixed");
        QTest::addColumn<bool>("pulled");
        QTest::newRow("float atomics, playback") << false << false;
        QTest::newRow("integer atomics, playback") << true << false;
        QTest::newRow("float atomics, pull") << false << true;
        QTest::newRow("integer atomics, pull") << true << true;
    }
    void matchesCpuReference() {
        QFETCH(bool, forceFixed);
        QFETCH(bool, pulled);
        if (!forceFixed && !m_context->info().floatAtomicAdd) WAFT_SKIP("device has no float atomics");
        const engine::SpectralVolume volume = parityVolume(160, 112);
        std::vector<std::complex<float>> q = engine::playbackPhasors(volume.frequenciesHz, 0.37);
        if (pulled) {
            engine::ModalSimulator sim(volume);
            sim.setPull(80, 50, 12.0f, -5.0f);
            for (int n = 0; n < 45; ++n) sim.step(1.0 / 60.0);
            q = sim.coordinates();
        }
        engine::FrameRenderer cpu(volume);
        cv::Mat expected, actual;
        QVERIFY(cpu.render(q, expected).isOk());
        render::VulkanSplatParams params;
        params.forceFixedPoint = forceFixed;
        auto gpu = render::VulkanSplatRenderer::create(m_context, volume, params);
        QVERIFY2(gpu.hasValue(), gpu.status().message().c_str());
        QCOMPARE((*gpu)->usesFloatAtomics(), !forceFixed);
        QVERIFY((*gpu)->render(q, actual).isOk());
        const Parity p = compare(expected, actual);
        qInfo("%s: %.4f%% within 1/255, max difference %.0f", (*gpu)->name(), 100.0 * p.within, p.maxDiff);
        QVERIFY2(p.within >= 0.999, qPrintable(QString::number(p.within)));
        QVERIFY(cv::norm(expected, actual, cv::NORM_L1) / double(expected.total() * 3) < 0.05);
        // The frame really moved: it differs from the reference image.
        QVERIFY(cv::norm(actual, volume.reference, cv::NORM_L1) / double(actual.total() * 3) > 0.5);
        // A second frame reuses the recorded command buffer and still matches.
        const auto q2 = engine::playbackPhasors(volume.frequenciesHz, 1.9);
        QVERIFY(cpu.render(q2, expected).isOk());
        QVERIFY((*gpu)->render(q2, actual).isOk());
        QVERIFY(compare(expected, actual).within >= 0.999);
    }

    // Everything off screen at once (a 1x1 level of nothing): the whole frame is holes and both agree on black.
    void allHolesIsBlack() {
        engine::SpectralVolume v = test::sinusoidalVolume(24, 16, 1, 1.0f, 0, 100.0f);
        for (size_t i = 0; i < v.planeSize(); ++i) v.plane(0, 0)[i] = 1000.0f;
        auto gpu = render::VulkanSplatRenderer::create(m_context, v);
        QVERIFY(gpu.hasValue());
        cv::Mat out;
        QVERIFY((*gpu)->render({{1.0f, 0.0f}}, out).isOk());
        QCOMPARE(cv::countNonZero(out.reshape(1)), 0);
    }

    // 16 bands at 1024x576 are 151 MB: more than one binding holds on lavapipe (128 MiB), so the coefficients
    // are split into chunks of whole bands; parity must hold across the chunk boundary.
    void chunkedCoefficientsMatch() {
        engine::SpectralVolume v = test::sinusoidalVolume(1024, 576, 16, 0.25f, 15, 2.0f);
        engine::SpectralVolume first = test::sinusoidalVolume(1024, 576, 16, 0.25f, 0, 1.5f, true);
        std::copy(first.plane(0, 0), first.plane(0, 0) + 4 * v.planeSize(), v.plane(0, 0));
        const auto q = engine::playbackPhasors(v.frequenciesHz, 0.8);
        engine::FrameRenderer cpu(v);
        cv::Mat expected, actual;
        QVERIFY(cpu.render(q, expected).isOk());
        auto gpu = render::VulkanSplatRenderer::create(m_context, v);
        QVERIFY2(gpu.hasValue(), gpu.status().message().c_str());
        QVERIFY((*gpu)->render(q, actual).isOk());
        const Parity p = compare(expected, actual);
        qInfo("1024x576, 16 bands: %.4f%% within 1/255, max difference %.0f", 100.0 * p.within, p.maxDiff);
        QVERIFY(p.within >= 0.999);
    }

    // One band larger than a storage binding cannot be split: a clear error, not a crash.
    void rejectsOversizedScenes() {
        const VkDeviceSize limit = m_context->info().maxStorageBufferRange;
        if (limit >= (1ull << 31)) WAFT_SKIP("device has no practical limit");
        const int side = int(std::sqrt(double(limit) / 16.0)) + 64;
        engine::SpectralVolume v = engine::SpectralVolume::zeros(side, side, 1);
        auto gpu = render::VulkanSplatRenderer::create(m_context, v);
        QVERIFY(!gpu.hasValue());
        QVERIFY2(gpu.status().message().find("too large") != std::string::npos, gpu.status().message().c_str());
    }
};

WAFT_TEST_MAIN(tst_VulkanSplatRenderer)
#include "tst_VulkanSplatRenderer.moc"
