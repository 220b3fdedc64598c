#include <vulkan/vulkan.h>

#include "QtTestSupport.h"
#include <QGuiApplication>
#include <QSignalSpy>
#include <QVulkanInstance>
#include <QtTest>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "SceneViewport.h"
#include "TestSupport.h"
#include "core/Runtime.h"
#include "motion/DisplacementSynth.h"
#include "raster/FrameRenderer.h"

using namespace waft;

namespace {
int g_validationMessages = 0;

bool countValidation(VkDebugReportFlagsEXT flags, VkDebugReportObjectTypeEXT, uint64_t, size_t, int32_t,
                     const char* layer, const char* message) {
    if (flags & (VK_DEBUG_REPORT_ERROR_BIT_EXT | VK_DEBUG_REPORT_WARNING_BIT_EXT)) {
        ++g_validationMessages;
        qWarning("validation (%s): %s", layer, message);
    }
    return false;
}

// The grabbed window as 8-bit BGR (Qt 6.4 returns B8G8R8A8 swapchains red/blue swapped: see TOOLCHAIN.md).
cv::Mat toBgr(QImage image, bool swapped) {
    image = image.convertToFormat(QImage::Format_RGB888);
    if (swapped) image = image.rgbSwapped();
    cv::Mat rgb(image.height(), image.width(), CV_8UC3, image.bits(), size_t(image.bytesPerLine()));
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    return bgr;
}
}  // namespace

class tst_SceneViewport : public QObject {
    Q_OBJECT
    QVulkanInstance m_instance;
    std::shared_ptr<engine::SpectralVolume> m_volume;

private slots:
    void initTestCase() {
        engine::initRuntime();
        if (QGuiApplication::platformName() == "offscreen")
            WAFT_SKIP("Vulkan windows need a display (run under xvfb-run)");
        if (m_instance.supportedLayers().contains("VK_LAYER_KHRONOS_validation"))
            m_instance.setLayers({"VK_LAYER_KHRONOS_validation"});
        else
            qInfo("Khronos validation layer not installed: running without it");
        m_instance.installDebugOutputFilter(countValidation);
        if (!m_instance.create()) WAFT_SKIP("no Vulkan instance");
        m_volume = std::make_shared<engine::SpectralVolume>(test::sinusoidalVolume(160, 112, 2, 0.5f, 0, 3.0f));
    }

    // The window shows the scene: not blank, and equal to the CPU reference render of the same instant.
    void rendersTheScene() {
        render::SceneViewport window;
        window.setVulkanInstance(&m_instance);
        window.resize(160, 112);
        window.setScene(m_volume);
        const auto freqs = m_volume->frequenciesHz;
        window.setCoordinateSource([freqs](double, std::vector<std::complex<float>>& q) {
            q = engine::playbackPhasors(freqs, 0.37);
            return false;
        });
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(window.framesRendered() >= 1, 20000);
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        if (window.devicePixelRatio() != 1.0) WAFT_SKIP("the pixel comparison needs a device pixel ratio of 1");
        const QImage grabbed = window.grab();
        QCOMPARE(grabbed.size(), QSize(160, 112));
        const bool swapped =
            window.colorFormat() == VK_FORMAT_B8G8R8A8_SRGB || window.colorFormat() == VK_FORMAT_B8G8R8A8_UNORM;
        const cv::Mat shown = toBgr(grabbed, swapped);
        cv::Scalar mean, stddev;
        cv::meanStdDev(shown, mean, stddev);
        QVERIFY2(stddev[0] > 10.0, "the viewport looks blank");

        engine::FrameRenderer cpu(*m_volume);
        cv::Mat expected;
        QVERIFY(cpu.render(engine::playbackPhasors(freqs, 0.37), expected).isOk());
        cv::Mat diff;
        cv::absdiff(shown, expected, diff);
        const double within = double(cv::countNonZero(diff.reshape(1) <= 2)) / double(diff.total() * 3);
        double maxDiff;
        cv::minMaxLoc(diff.reshape(1), nullptr, &maxDiff);
        qInfo("viewport vs CPU reference: %.3f%% within 2/255, max %.0f (format %d)", 100 * within, maxDiff,
              int(window.colorFormat()));
        QVERIFY(within >= 0.99);
        QCOMPARE(g_validationMessages, 0);
        // No explicit close: the window is destroyed while shown, which must be clean too (next test checks).
    }

    // Resize, hide/show, zoom, scene change and close: resources created and released in pairs, no
    // validation errors, frames keep coming while something moves and stop when nothing does.
    void lifecycleWithoutValidationErrors() {
        QCOMPARE(g_validationMessages, 0);  // including the previous test's destruction of a shown window
        render::SceneViewport window;
        window.setVulkanInstance(&m_instance);
        window.resize(320, 200);
        window.setScene(m_volume);
        int moving = 30;
        window.setCoordinateSource([&](double t, std::vector<std::complex<float>>& q) {
            q = engine::playbackPhasors(m_volume->frequenciesHz, t);
            return --moving > 0;
        });
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(window.framesRendered() >= 10, 30000);  // continuous while moving
        QTRY_VERIFY_WITH_TIMEOUT(moving <= 0, 30000);
        const int settled = window.framesRendered();
        QSignalSpy idle(&window, &render::SceneViewport::frameRendered);
        idle.wait(300);
        QVERIFY(idle.count() <= 1);  // idles once nothing moves
        window.resize(480, 300);
        window.setZoom(2.0f);
        window.setPan(QPointF(20, -10));
        QTRY_VERIFY_WITH_TIMEOUT(window.framesRendered() > settled, 20000);  // the changes requested a frame
        const QPointF centre = window.sceneCoordinates(QPointF(240 + 20, 150 - 10));
        QVERIFY(std::abs(centre.x() - 80.0) < 0.5 && std::abs(centre.y() - 56.0) < 0.5);
        window.hide();
        window.show();
        window.setScene(std::make_shared<engine::SpectralVolume>(test::sinusoidalVolume(96, 64, 1, 1.0f, 0, 2.0f)));
        const int before = window.framesRendered();
        QTRY_VERIFY_WITH_TIMEOUT(window.framesRendered() > before, 20000);
        QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
        window.close();
        QCOMPARE(g_validationMessages, 0);
    }
};

WAFT_TEST_MAIN_WITH(tst_SceneViewport, QGuiApplication)
#include "tst_SceneViewport.moc"
