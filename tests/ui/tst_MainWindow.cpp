#include "QtTestSupport.h"
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScopeGuard>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QStatusBar>
#include <QThread>
#include <QToolButton>
#include <QUndoStack>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "CpuViewport.h"
#include "EngineWorker.h"
#include "ExportDialog.h"
#include "JobsPanel.h"
#include "MainWindow.h"
#include "MotionModelDialog.h"
#include "MotionPanel.h"
#include "SceneController.h"
#include "SceneSession.h"
#include "SdTestModelFile.h"
#include "TestSupport.h"
#include "Theme.h"
#include "TimelineBar.h"
#include "TipsOverlay.h"
#include "VideoJobDialog.h"
#include "VideoJobsPanel.h"
#include "core/Runtime.h"
#include "encode/ExportCheck.h"
#include "ml/prior/TrainPriorJob.h"
#include "ml/prior/TrainVaeJob.h"
#include "scene/Scene.h"

using namespace waft;

namespace {

// Two 16x16 two-band scenes: enough for the tiny prior presets to train on.
bool writeTinyDataset(const std::string& dir) {
    std::filesystem::create_directories(dir);
    for (int i = 0; i < 2; ++i) {
        engine::Scene scene;
        scene.volume = test::sinusoidalVolume(16, 16, 2, 0.5f, i, 1.0f + float(i));
        if (!engine::saveScene(dir + "/s" + std::to_string(i) + ".waft", scene).isOk()) return false;
    }
    return true;
}

// Waits on an armed spy for job id's final message ("done", "cancelled" or the error line).
QString waitFor(QSignalSpy& spy, int id, int timeoutMs = 60000) {
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        for (const auto& args : spy)
            if (args.at(0).toInt() == id) return args.at(2).toString();
        spy.wait(200);
    }
    return "timeout";
}

// Starts a job and waits for it. The spy is armed before the job is queued: a fast job may finish on the
// engine thread before a spy made afterwards would exist.
QString runJob(ui::EngineWorker* worker, const std::function<int()>& start, int timeoutMs = 60000) {
    QSignalSpy spy(worker, &ui::EngineWorker::jobFinished);
    return waitFor(spy, start(), timeoutMs);
}

// Shows the window and opens a scene in it through the engine thread; true once the controller has it.
bool showWithScene(ui::MainWindow& window, const std::string& scenePath) {
    window.resize(900, 600);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window)) return false;
    if (runJob(window.worker(), [&] { return window.openPath(QString::fromStdString(scenePath)); }) != "done")
        return false;
    return QTest::qWaitFor([&] { return window.controller()->scene() != nullptr; }, 10000);
}

// Shows the window at a size and opens a bundled sample (the meadow photo, or the tree video) through the engine.
bool showWithSample(ui::MainWindow& window, QSize size, bool video = false) {
    window.resize(size);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window)) return false;
    if (runJob(
            window.worker(), [&] { return video ? window.openVideoSample() : window.openSample(); }, 120000) != "done")
        return false;
    return QTest::qWaitFor([&] { return window.controller()->scene() != nullptr; }, 10000);
}

double meanAbsDiff(const QImage& a, const QImage& b) {
    if (a.size() != b.size() || a.isNull()) return 0.0;
    const QImage x = a.convertToFormat(QImage::Format_RGB888), y = b.convertToFormat(QImage::Format_RGB888);
    double sum = 0.0;
    for (int r = 0; r < x.height(); ++r)
        for (int c = 0; c < x.width() * 3; ++c)
            sum += std::abs(int(x.constScanLine(r)[c]) - int(y.constScanLine(r)[c]));
    return sum / (double(x.width()) * x.height() * 3);
}

// Mean absolute difference of two frames over a square of half-size r around (x, y) (scene pixels).
double patchDiff(const QImage& a, const QImage& b, int x, int y, int r) {
    const QRect box = QRect(x - r, y - r, 2 * r + 1, 2 * r + 1).intersected(a.rect());
    return meanAbsDiff(a.copy(box), b.copy(box));
}

// Where the still frame's square of half-size r around (x, y) now is in frame (scene pixels; searched within
// reach): how far the pixels there moved.
QPointF trackPatch(const QImage& still, const QImage& frame, int x, int y, int r, int reach) {
    const auto gray = [](const QImage& image) {
        const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
        cv::Mat g;
        cv::cvtColor(cv::Mat(rgb.height(), rgb.width(), CV_8UC3, const_cast<uchar*>(rgb.constBits()),
                             size_t(rgb.bytesPerLine())),
                     g, cv::COLOR_RGB2GRAY);
        return g;
    };
    const cv::Mat a = gray(still), b = gray(frame);
    const cv::Rect patch(x - r, y - r, 2 * r + 1, 2 * r + 1);
    const cv::Rect area = cv::Rect(x - r - reach, y - r - reach, 2 * (r + reach) + 1, 2 * (r + reach) + 1) &
                          cv::Rect(0, 0, b.cols, b.rows);
    cv::Mat score;
    cv::matchTemplate(b(area), a(patch), score, cv::TM_SQDIFF_NORMED);
    cv::Point best;
    cv::minMaxLoc(score, nullptr, nullptr, &best);
    return {double(area.x + best.x - patch.x), double(area.y + best.y - patch.y)};
}

// A left-button drag on a widget, as the window system delivers it: press, moves with the button held, spaced
// in time so the simulator sees a hand, not a jump.
void dragBy(QWidget* widget, QPoint from, QPoint by, int steps, int msPerStep) {
    QTest::mousePress(widget, Qt::LeftButton, {}, from);
    for (int step = 1; step <= steps; ++step) {
        const QPointF to(from + by * step / steps);
        QMouseEvent move(QEvent::MouseMove, to, widget->mapToGlobal(to), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(widget, &move);
        QTest::qWait(msPerStep);
    }
}

// A compute-lane job that runs until cancelled (or throws, to stand in for LibTorch's out-of-memory).
class DummyComputeJob : public engine::Job {
public:
    explicit DummyComputeJob(bool throws = false) : m_throws(throws) {}
    std::string name() const override { return "dummy fine-tune"; }
    engine::JobLane lane() const override { return engine::JobLane::Compute; }
    engine::Status run(engine::Progress& progress, const engine::CancelToken& cancel) override {
        if (m_throws) throw std::runtime_error("CUDA out of memory. Tried to allocate 20.00 GiB\n(c10 backtrace)");
        for (int i = 0; i < 6000 && !cancel.isCancelled(); ++i) {
            progress.report(i / 6000.0f, "step");
            QThread::msleep(10);
        }
        return cancel.isCancelled() ? engine::Status::cancelled() : engine::Status::ok();
    }

private:
    bool m_throws;
};

// A compute job that reports a falling loss, as training does.
class TrainingLikeJob : public engine::Job {
public:
    std::string name() const override { return "training-like"; }
    engine::JobLane lane() const override { return engine::JobLane::Compute; }
    engine::Status run(engine::Progress& progress, const engine::CancelToken&) override {
        for (int step = 1; step <= 20; ++step) {
            progress.metric("loss", step, 1.0 / step);
            progress.report(step / 20.0f, "training");
            QThread::msleep(60);
        }
        return engine::Status::ok();
    }
};

}  // namespace

class tst_MainWindow : public QObject {
    Q_OBJECT
    std::string m_dir;
    std::string m_scenePath;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("WAFT_VIEWPORT", "cpu");  // deterministic: CI has no GPU (the Vulkan viewport has its own test)
        engine::initRuntime();
        m_dir = test::tempDir("ui");
        // The journal of resumable jobs goes to the test's folder, not the user's ~/.local/state.
        qputenv("WAFT_STATE_DIR", QByteArray::fromStdString(m_dir + "/state"));
        qputenv("WAFT_AUTOSAVE_DIR", QByteArray::fromStdString(m_dir + "/autosave"));  // not the user's, not shared
        engine::Scene scene;
        scene.volume = test::sinusoidalVolume(192, 128, 3, 0.8f, 0, 3.0f);
        scene.settings.dampingRatio = 0.5f;  // rings down within a few seconds
        m_scenePath = m_dir + "/scene.waft";
        QVERIFY(engine::saveScene(m_scenePath, scene).isOk());
    }

    // Press, drag and release in the real viewport: the controller gets the pull, frames change, and the
    // scene rings down to rest within the expected time (xi = 0.5, f >= 0.8 Hz: envelope e^-2.5t).
    void pullAndRelease() {
        ui::MainWindow window;
        QVERIFY(showWithScene(window, m_scenePath));
        window.controller()->setPlaying(false);  // only the pull moves
        ui::CpuViewport* viewport = window.viewport()->cpuViewport();
        QVERIFY(viewport);
        QTRY_VERIFY(viewport->framesRendered() > 0);  // rendered (the photo shows still until the renderer is set up)
        const QImage still = viewport->lastFrame();
        const QPoint grab = viewport->mapFrom(window.viewport(), window.viewport()->widgetPosition({96, 64}).toPoint());
        QTest::mousePress(viewport, Qt::LeftButton, {}, grab);
        for (int step = 1; step <= 10; ++step) {
            QMouseEvent move(QEvent::MouseMove, QPointF(grab + QPoint(4 * step, step)),
                             viewport->mapToGlobal(QPointF(grab + QPoint(4 * step, step))), Qt::NoButton,
                             Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(viewport, &move);
        }
        QVERIFY(window.controller()->isHeld());
        QCOMPARE(window.controller()->pullsReceived(), 1);
        // Frames must show the pull (fails if rendering stops), then keep changing after the release.
        QTRY_VERIFY_WITH_TIMEOUT(meanAbsDiff(still, viewport->lastFrame()) > 0.2, 10000);
        const QImage held = viewport->lastFrame();
        QTest::mouseRelease(viewport, Qt::LeftButton, {}, grab + QPoint(40, 10));
        QVERIFY(!window.controller()->isHeld());
        QVERIFY(window.controller()->isRinging());
        QTRY_VERIFY_WITH_TIMEOUT(meanAbsDiff(held, viewport->lastFrame()) > 0.2, 10000);
        QElapsedTimer timer;
        timer.start();
        QTRY_VERIFY_WITH_TIMEOUT(!window.controller()->isRinging(), 15000);
        qInfo("rang down in %.2f s", timer.elapsed() / 1000.0);
        // Idle once still: at most one more frame in the next 300 ms.
        QSignalSpy frames(viewport, &ui::CpuViewport::frameRendered);
        frames.wait(300);
        QVERIFY(frames.count() <= 1);
    }

    // Pan/Zoom: left drags pan (no pull reaches the scene); the wheel zooms about the cursor; mapping holds.
    void panAndZoom() {
        ui::MainWindow window;
        QVERIFY(showWithScene(window, m_scenePath));
        ui::CpuViewport* viewport = window.viewport()->cpuViewport();
        window.viewport()->setTool(ui::Tool::PanZoom);
        const QPoint start = viewport->widgetPosition({96, 64}).toPoint();
        QTest::mousePress(viewport, Qt::LeftButton, {}, start);
        QMouseEvent move(QEvent::MouseMove, QPointF(start + QPoint(50, 20)),
                         viewport->mapToGlobal(QPointF(start + QPoint(50, 20))), Qt::NoButton, Qt::LeftButton,
                         Qt::NoModifier);
        QApplication::sendEvent(viewport, &move);
        QTest::mouseRelease(viewport, Qt::LeftButton, {}, start + QPoint(50, 20));
        QCOMPARE(window.controller()->pullsReceived(), 0);
        const QPointF moved = viewport->sceneCoordinates(start + QPoint(50, 20));
        QVERIFY(std::abs(moved.x() - 96) < 1.0 && std::abs(moved.y() - 64) < 1.0);  // the scene followed the drag
        const QPointF cursor(300, 200);
        const QPointF before = viewport->sceneCoordinates(cursor);
        QWheelEvent wheel(cursor, viewport->mapToGlobal(cursor), {}, {0, 240}, Qt::NoButton, Qt::NoModifier,
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(viewport, &wheel);
        QVERIFY(viewport->zoom() > 1.3);
        const QPointF after = viewport->sceneCoordinates(cursor);
        QVERIFY(std::abs(after.x() - before.x()) < 0.5 && std::abs(after.y() - before.y()) < 0.5);
    }

    // A failing job (corrupt scene, missing video) reports one line and leaves the open scene untouched.
    void failingJobKeepsTheScene() {
        ui::MainWindow window;
        QVERIFY(showWithScene(window, m_scenePath));
        const auto before = window.controller()->scene();
        const std::string corrupt = m_dir + "/corrupt.waft";
        std::ofstream(corrupt) << "not a scene";
        int id = -1;
        const QString message =
            runJob(window.worker(), [&] { return id = window.openPath(QString::fromStdString(corrupt)); });
        QVERIFY(message != "done" && !message.contains('\n'));
        QTRY_VERIFY(window.jobsPanel()->stateText(id).contains(message));  // the spy hears the signal first (direct)
        QVERIFY(runJob(window.worker(),
                       [&] { return window.openPath(QString::fromStdString(m_dir + "/missing.mp4")); }) != "done");
        QTest::qWait(100);
        QCOMPARE(window.controller()->scene(), before);
        QVERIFY(window.isVisible());
    }

    // Training metrics reach the Jobs panel: the latest value as text and the curve of the loss.
    void jobsPanelShowsTrainingCurves() {
        ui::MainWindow window;
        QVERIFY(showWithScene(window, m_scenePath));
        int id = -1;
        QCOMPARE(
            runJob(window.worker(), [&] { return id = window.worker()->enqueue(std::make_unique<TrainingLikeJob>()); }),
            QString("done"));
        QTRY_VERIFY(window.jobsPanel()->metricText(id).contains("at step 20"));
        QVERIFY(window.jobsPanel()->metricText(id).contains("loss 0.05"));
        const auto points = window.jobsPanel()->metricPoints(id);
        QVERIFY2(points.size() >= 10, qPrintable(QString::number(points.size())));
        QCOMPARE(points.back().x(), 20.0);
        QVERIFY(points.front().y() > points.back().y());  // falling
    }

    // An exception in a job (LibTorch's out-of-memory, say) becomes one line in the Jobs panel; the window and
    // its scene stay.
    void throwingJobKeepsWindowAndScene() {
        ui::MainWindow window;
        QVERIFY(showWithScene(window, m_scenePath));
        const auto before = window.controller()->scene();
        int id = -1;
        const QString message = runJob(
            window.worker(), [&] { return id = window.worker()->enqueue(std::make_unique<DummyComputeJob>(true)); });
        QCOMPARE(message, QString("dummy fine-tune failed: CUDA out of memory. Tried to allocate 20.00 GiB"));
        QTRY_VERIFY(window.jobsPanel()->stateText(id).contains(message));
        QCOMPARE(window.controller()->scene(), before);
        QVERIFY(window.isVisible());
    }

    // A long compute job does not hold up the editor: an export runs and finishes beside it; closing the window
    // cancels the compute job within a second.
    void exportBesideALongJobAndCloseCancels() {
        auto window = std::make_unique<ui::MainWindow>();
        QVERIFY(showWithScene(*window, m_scenePath));
        QSignalSpy finished(window->worker(), &ui::EngineWorker::jobFinished);
        const int longJob = window->worker()->enqueue(std::make_unique<DummyComputeJob>());
        QTRY_VERIFY(window->jobsPanel()->progressPercent(longJob) >= 0);
        engine::AnimateParams params;
        params.seconds = 1.0f;
        params.fps = 12.0f;
        const int exportJob = window->exportTo(QString::fromStdString(m_dir + "/beside.webm"), params);
        QCOMPARE(waitFor(finished, exportJob, 60000), QString("done"));
        QVERIFY(std::filesystem::exists(m_dir + "/beside.webm"));
        for (const auto& args : finished) QVERIFY(args.at(0).toInt() != longJob);  // still running
        QElapsedTimer timer;
        timer.start();
        window->close();
        window.reset();
        QVERIFY2(timer.elapsed() < 1000, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(waitFor(finished, longJob, 1000), QString("cancelled"));
    }

    // A training cut short by closing the window (or by kill -9: tests/cli covers that) is offered at the next
    // start; Resume continues from its last checkpoint, Discard forgets it; a job cancelled by the user is not
    // offered again.
    void interruptedTrainingIsOfferedAtNextStart() {
        const std::string dataset = m_dir + "/resume-dataset";
        QVERIFY(writeTinyDataset(dataset));
        engine::prior::TrainingRunParams train;
        train.preset = engine::prior::ModelPreset::Tiny;
        train.steps = 1000000;  // never finishes by itself here
        train.batch = 2;
        train.checkpointEvery = 2;
        train.width = train.height = 16;
        const std::string vae = m_dir + "/resume-vae.safetensors";
        {
            auto first = std::make_unique<ui::MainWindow>();
            QVERIFY(showWithScene(*first, m_scenePath));
            QCOMPARE(first->jobsPanel()->interruptedCount(), 0);
            first->worker()->enqueue(std::make_unique<engine::prior::TrainVaeJob>(dataset, vae, train));
            QTRY_VERIFY_WITH_TIMEOUT(std::filesystem::exists(vae), 60000);  // a checkpoint exists
            first->close();  // cancels the training (how fast: exportBesideALongJobAndCloseCancels)
            first.reset();
        }
        auto second = std::make_unique<ui::MainWindow>();
        QCOMPARE(second->jobsPanel()->interruptedCount(), 1);
        const auto entries = second->worker()->interruptedJobs();
        QCOMPARE(entries.size(), size_t(1));
        QCOMPARE(QString::fromStdString(entries[0].spec.title), QString("train motion VAE → resume-vae.safetensors"));
        QVERIFY(second->statusBar()->currentMessage().contains("interrupted"));
        if (const QString shots = qEnvironmentVariable("WAFT_SCREENSHOT_DIR"); !shots.isEmpty()) {
            second->resize(1280, 800);
            second->show();
            QVERIFY(QTest::qWaitForWindowExposed(second.get()));
            QVERIFY(second->grab().save(shots + "/resume-offer.png"));
        }
        const int resumed = second->jobsPanel()->resumeInterrupted(QString::fromStdString(entries[0].id));
        QVERIFY(resumed > 0);
        QCOMPARE(second->jobsPanel()->interruptedCount(), 0);
        // It continues after the checkpoint: its first reported step is past the first one of a fresh run.
        QTRY_VERIFY_WITH_TIMEOUT(!second->jobsPanel()->metricPoints(resumed).empty(), 60000);
        QVERIFY2(second->jobsPanel()->metricPoints(resumed).front().x() > 2.0,
                 qPrintable(QString::number(second->jobsPanel()->metricPoints(resumed).front().x())));
        QSignalSpy finished(second->worker(), &ui::EngineWorker::jobFinished);
        second->jobsPanel()->clickCancel(resumed);  // cancelled by the user: nothing to offer next time
        QCOMPARE(waitFor(finished, resumed, 10000), QString("cancelled"));
        second.reset();
        ui::MainWindow third;
        QCOMPARE(third.jobsPanel()->interruptedCount(), 0);
        QVERIFY(third.worker()->interruptedJobs().empty());
    }

    // The first start's sample is the meadow photo brought to life by its shipped strokes: a photo scene that
    // moves around the seed heads, stays still under the freeze region, with the Pull tool ready.
    void firstStartSampleIsALivePhoto() {
        ui::MainWindow window;
        window.resize(900, 600);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.viewport()->setTool(ui::Tool::MotionBrush);
        QElapsedTimer sinceShown;  // reported, not asserted (docs/BENCHMARKS.md): to the first frame that moves
        sinceShown.start();
        QCOMPARE(runJob(window.worker(), [&] { return window.openSample(); }), QString("done"));
        QTRY_VERIFY(window.controller()->scene() != nullptr);
        QTRY_VERIFY_WITH_TIMEOUT(window.viewport()->framesRendered() > 0, 30000);
        qInfo("first start: the sample plays %.2f s after the window shows", sinceShown.elapsed() / 1000.0);
        const auto scene = window.controller()->scene();
        QVERIFY(!scene->source.isVideo());
        QVERIFY(window.session()->scenePath().endsWith("meadow.jpg"));
        QCOMPARE(scene->volume.width, 1280);
        QCOMPARE(scene->volume.height, 720);
        const auto amplitude = [&](int x, int y) {
            double sum = 0.0;
            for (int j = 0; j < scene->volume.bands; ++j)
                for (int c = 0; c < 4; ++c) sum += std::abs(scene->volume.plane(j, c)[size_t(y) * 1280 + x]);
            return sum;
        };
        QVERIFY2(amplitude(375, 230) > 2.0, "the big seed head does not move");  // an arrow of 16 px there
        QVERIFY2(amplitude(750, 40) < 0.05, "the frozen sky moves");
        QTRY_COMPARE(window.viewport()->tool(), ui::Tool::Pull);
    }

    // A newcomer's first five minutes with input events only (QTest clicks, drags and key presses): the first
    // start's tips, Got it, Space to pause, pull a seed head (it follows the drag while held, the other heads
    // and the frozen sky stay, it rings down after the release), Ctrl+Shift+E (the loop is written, decodes and wraps
    // seamlessly). With WAFT_SCREENSHOT_DIR, a screenshot per step (docs/screenshots/walkthrough-*.jpg; run at
    // QT_SCALE_FACTOR=2 too for the @2x ones).
    void newcomerWalkthrough() {
        QSettings().remove("tips/dismissed");
        const QString home = QString::fromStdString(m_dir + "/home");  // the shared loop's Videos folder
        QVERIFY(QDir().mkpath(home));
        const QByteArray realHome = qgetenv("HOME");
        qputenv("HOME", home.toUtf8());
        const auto restoreHome = qScopeGuard([&] { qputenv("HOME", realHome); });
        const QString shots = qEnvironmentVariable("WAFT_SCREENSHOT_DIR");
        ui::MainWindow window;
        const QString suffix = window.devicePixelRatio() > 1.5 ? "@2x" : "";
        const auto shot = [&](const char* name) {
            // JPEG: ten full-window pictures in the repository, at a tenth of their PNG size.
            if (!shots.isEmpty())
                QVERIFY(window.grab().save(shots + "/walkthrough-" + name + suffix + ".jpg", "JPG", 90));
        };
        window.resize(1280, 800);
        window.show();
        window.activateWindow();  // shortcuts reach the active window only
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QCOMPARE(runJob(window.worker(), [&] { return window.openSample(); }), QString("done"));  // as main() does
        ui::CpuViewport* viewport = window.viewport()->cpuViewport();
        QTRY_VERIFY_WITH_TIMEOUT(viewport->framesRendered() > 0, 30000);
        QVERIFY(window.tips()->isVisible());
        QTest::qWait(500);
        shot("1-first-start");

        QTest::mouseClick(window.tips()->dismissButton(), Qt::LeftButton);
        QVERIFY(!window.tips()->isVisible());
        QTest::keyClick(&window, Qt::Key_Space);  // pause: only the pull moves now
        QTRY_VERIFY(!window.controller()->isPlaying());
        QTest::qWait(200);
        const QImage still = viewport->lastFrame();
        shot("2-tips-dismissed");

        const QPoint head =
            viewport->mapFrom(window.viewport(), window.viewport()->widgetPosition({375, 230}).toPoint());
        const QPoint by(60, 15);
        dragBy(viewport, head, by, 20, 40);
        QVERIFY(window.controller()->isHeld());
        QTest::qWait(800);
        const QImage held = viewport->lastFrame();
        const double nearHeld = patchDiff(still, held, 375, 230, 24), sky = patchDiff(still, held, 750, 40, 30);
        shot("3-pull-held");
        const QPointF heldAt = trackPatch(still, held, 375, 230, 20, 120);
        double others = 0.0;  // the farthest any other seed head moved with it
        for (const QPoint other : {QPoint(845, 345), QPoint(1045, 550), QPoint(620, 150), QPoint(1010, 240)}) {
            const QPointF d = trackPatch(still, held, other.x(), other.y(), 20, 120);
            others = std::max(others, std::hypot(d.x(), d.y()));
        }
        QTest::mouseRelease(viewport, Qt::LeftButton, {}, head + by);
        QVERIFY(window.controller()->isRinging());
        const auto swingOver = [&](int ms) {  // the farthest the head swings from rest over a span of frames
            double peak = 0.0;
            QElapsedTimer span;
            span.start();
            while (span.elapsed() < ms) {
                QTest::qWait(30);
                const QPointF d = trackPatch(still, viewport->lastFrame(), 375, 230, 20, 120);
                peak = std::max(peak, std::hypot(d.x(), d.y()));
            }
            return peak;
        };
        const double early = swingOver(1000);
        shot("4-released");
        QTest::qWait(2000);
        const double late = swingOver(1000);
        qInfo(
            "pull: the head moved (%.0f, %.0f) px while held (other heads at most %.1f px, patch change %.1f, "
            "frozen sky %.3f); after the release it swings %.1f px, 3 s later %.1f px",
            heldAt.x(), heldAt.y(), others, nearHeld, sky, early, late);
        QVERIFY2(heldAt.x() > 8.0 && std::abs(heldAt.y()) < heldAt.x(),
                 "the grabbed seed head does not follow the drag");
        QVERIFY2(others < 0.25 * std::hypot(heldAt.x(), heldAt.y()), "the other seed heads move with the pulled one");
        QVERIFY2(sky < 0.05, "the frozen sky moves with the pull");
        QVERIFY2(early > 4.0, "nothing rings after the release");
        QVERIFY2(late < 0.6 * early, "the ring-down does not decay");

        QSignalSpy finished(window.worker(), &ui::EngineWorker::jobFinished);
        QTest::keyClick(&window, Qt::Key_E, Qt::ControlModifier | Qt::ShiftModifier);
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 120000);
        QCOMPARE(finished.front().at(2).toString(), QString("done"));
        const QString path = window.lastSharedPath();
        QVERIFY2(path.startsWith(home + "/Videos/"), qPrintable(path));  // the sample's folder is the install's
        QCOMPARE(QGuiApplication::clipboard()->text(), path);
        QTest::qWait(300);
        shot("5-shared");
        auto decoded = engine::decodeAnimation(path.toStdString());
        QVERIFY2(decoded.hasValue(), decoded.status().message().c_str());
        const auto frames = engine::framesAtRate(*decoded, 30.0);
        QVERIFY(frames.size() >= 30);
        const engine::FrameSeam seam = engine::measureFrameSeam(frames);
        qInfo("shared loop: %zu frames, wrap %.3f vs median step %.3f", frames.size(), seam.wrapStep, seam.medianStep);
        QVERIFY2(seam.ratio() <= 1.5,
                 qPrintable(QString("wrap %1 vs median %2").arg(seam.wrapStep).arg(seam.medianStep)));
    }

    // The side panel reads Motion, Video jobs, Jobs; on a photo the video jobs are off and say why; the band
    // list scrolls vertically only, every slider whole.
    void sidePanelOrderAndBands() {
        ui::MainWindow window;
        QVERIFY(showWithSample(window, QSize(1280, 800)));
        const auto* motion = window.findChild<QDockWidget*>("motionDock");
        const auto* video = window.findChild<QDockWidget*>("videoJobsDock");
        const auto* jobs = window.findChild<QDockWidget*>("jobsDock");
        QVERIFY(motion && video && jobs);
        QCOMPARE(window.dockWidgetArea(const_cast<QDockWidget*>(video)), Qt::RightDockWidgetArea);
        QVERIFY(motion->geometry().bottom() < video->geometry().top());
        QVERIFY(video->geometry().bottom() < jobs->geometry().top());
        ui::VideoJobsPanel* panel = window.videoJobsPanel();
        QCOMPARE(int(panel->buttons().size()), 2);
        for (QToolButton* button : panel->buttons()) QVERIFY(!button->isEnabled());
        QVERIFY2(panel->statusLine().contains("photo"), qPrintable(panel->statusLine()));
        // Nothing in the side panel is clipped: every wrapped label has the height its text needs.
        QTest::qWait(100);
        for (const QDockWidget* dock : {motion, video, jobs})
            for (const QLabel* label : dock->findChildren<QLabel*>())
                if (label->isVisible() && label->wordWrap())
                    QVERIFY2(label->height() >= label->heightForWidth(label->width()),
                             qPrintable(QString("%1: %2 < %3")
                                            .arg(label->text().left(40))
                                            .arg(label->height())
                                            .arg(label->heightForWidth(label->width()))));

        QScrollArea* scroll = window.motionPanel()->bandScroll();
        QTRY_VERIFY(!window.motionPanel()->bandSliders().empty());
        QTest::qWait(100);
        QVERIFY(!scroll->horizontalScrollBar()->isVisible());
        QVERIFY2(scroll->viewport()->width() >= scroll->widget()->minimumSizeHint().width(),
                 qPrintable(QString("viewport %1 < bands %2")
                                .arg(scroll->viewport()->width())
                                .arg(scroll->widget()->minimumSizeHint().width())));
        for (QSlider* s : window.motionPanel()->bandSliders()) QVERIFY(s->width() >= s->minimumWidth());

        // A video scene: the buttons are live and name the clip.
        if (!test::dataAvailable("opencv-samples/tree.avi")) return;
        QCOMPARE(runJob(
                     window.worker(), [&] { return window.openVideoSample(); }, 120000),
                 QString("done"));
        QTRY_VERIFY(window.controller()->scene() && window.controller()->scene()->source.isVideo());
        QTRY_VERIFY(panel->buttons()[0]->isEnabled());
        QVERIFY2(panel->statusLine().contains("clip"), qPrintable(panel->statusLine()));
    }

    // The window comes back as it was left: size and which panels show.
    void windowStateIsRestored() {
        QSettings().remove("window");
        const auto forget = qScopeGuard([] { QSettings().remove("window"); });
        {
            ui::MainWindow window;
            window.resize(1100, 700);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.findChild<QDockWidget*>("timelineDock")->hide();
            QVERIFY(window.close());  // saves geometry and dock state
        }
        ui::MainWindow again;
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        QCOMPARE(again.size(), QSize(1100, 700));
        QVERIFY(!again.findChild<QDockWidget*>("timelineDock")->isVisible());
        QVERIFY(again.findChild<QDockWidget*>("videoJobsDock")->isVisible());
    }

    // Dark and light follow the desktop (GTK_THEME here; GNOME's and KDE's settings by the same rule), View >
    // Theme overrides; each palette keeps text readable.
    void themesFollowTheDesktop() {
        ui::DesktopHints hints;
        hints.gtkThemeEnv = "Adwaita:dark";
        QVERIFY(ui::prefersDark(hints));
        hints = {};
        hints.gnomeColorScheme = "'prefer-dark'";
        QVERIFY(ui::prefersDark(hints));
        hints.gnomeColorScheme = "'default'";
        hints.gnomeGtkTheme = "'Adwaita'";
        QVERIFY(!ui::prefersDark(hints));
        hints = {};
        hints.kdeWindowBackground = "35,38,41";
        QVERIFY(ui::prefersDark(hints));
        hints.kdeWindowBackground = "239,240,241";
        QVERIFY(!ui::prefersDark(hints));
        hints = {};
        hints.platformWindow = QColor(20, 20, 20);
        QVERIFY(ui::prefersDark(hints));
        for (bool dark : {false, true}) {
            const QPalette p = ui::themePalette(dark);
            QCOMPARE(p.color(QPalette::Window).lightness() < 128, dark);
            for (auto [text, back] :
                 {std::pair{QPalette::WindowText, QPalette::Window}, std::pair{QPalette::Text, QPalette::Base},
                  std::pair{QPalette::ButtonText, QPalette::Button}})
                QVERIFY(std::abs(p.color(text).lightness() - p.color(back).lightness()) > 120);
        }
        const QByteArray saved = qgetenv("GTK_THEME");
        qputenv("GTK_THEME", "Adwaita:dark");
        QVERIFY(ui::applyTheme(ui::ThemeChoice::FollowDesktop));
        ui::MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.palette().color(QPalette::Window).lightness() < 80);
        QVERIFY(window.motionPanel()->palette().color(QPalette::WindowText).lightness() > 180);
        if (const QString dir = qEnvironmentVariable("WAFT_SCREENSHOT_DIR"); !dir.isEmpty()) {
            QCOMPARE(runJob(window.worker(), [&] { return window.openSample(); }), QString("done"));
            QTRY_VERIFY(window.controller()->scene() != nullptr);
            QTest::qWait(1200);
            QVERIFY(window.grab().save(dir + "/main-window-dark.png"));
        }
        qputenv("GTK_THEME", "Adwaita");
        QVERIFY(!ui::applyTheme(ui::ThemeChoice::FollowDesktop));
        QTRY_VERIFY2(window.palette().color(QPalette::Window).lightness() > 180,  // posted to the widgets
                     qPrintable(window.palette().color(QPalette::Window).name()));
        QVERIFY(ui::applyTheme(ui::ThemeChoice::Dark));  // the user's choice beats the desktop's
        QVERIFY(!ui::applyTheme(ui::ThemeChoice::Light));
        if (saved.isNull())
            qunsetenv("GTK_THEME");
        else
            qputenv("GTK_THEME", saved);
    }

    // A scene from a video remembers its source; the timeline's in/out select a clip of it for video jobs; a
    // photo scene has no clip and says why.
    void timelineSelectsAClipOfTheSource() {
        ui::MainWindow window;
        QVERIFY(showWithSample(window, QSize(900, 600), true));
        QVERIFY(window.controller()->scene()->source.isVideo());
        const engine::SceneSource source = window.controller()->scene()->source;
        QVERIFY(source.videoPath.find("tree.avi") != std::string::npos);
        QVERIFY(source.endSec > source.startSec + 5.0);  // 30 frames of tree.avi span about 12 s
        auto clip = window.controller()->selectedClip();
        QVERIFY(clip.hasValue());
        QCOMPARE(clip->inSec, source.startSec);
        QCOMPARE(clip->outSec, source.endSec);
        auto boxes = window.timeline()->findChildren<QDoubleSpinBox*>();
        QCOMPARE(boxes.size(), 2);
        QVERIFY(boxes[0]->isEnabled());
        boxes[0]->setValue(source.startSec + 2.0);
        boxes[1]->setValue(source.startSec + 6.0);
        clip = window.controller()->selectedClip();
        QVERIFY(clip.hasValue());
        QCOMPARE(clip->inSec, source.startSec + 2.0);
        QCOMPARE(clip->outSec, source.startSec + 6.0);
        // The video jobs are listed, enabled on a clip, and say what they run on.
        QCOMPARE(window.videoJobActions().size(), size_t(2));
        for (QAction* action : window.videoJobActions()) {
            QVERIFY(action->isEnabled());
            QVERIFY2(action->toolTip().contains(QString::number(source.startSec + 6.0, 'f', 2)),
                     qPrintable(action->toolTip()));
        }
        boxes[1]->setValue(source.startSec + 1.0);  // out before in: in follows
        QCOMPARE(window.controller()->clipRange().first, window.controller()->clipRange().second);

        // A source that starts and ends off the spin boxes' rounding still gives valid clips.
        engine::Scene offGrid = *window.controller()->snapshot();
        offGrid.source.startSec = 0.41667;
        offGrid.source.endSec = 5.123456;
        const std::string offGridPath = m_dir + "/off-grid.waft";
        QVERIFY(engine::saveScene(offGridPath, offGrid).isOk());
        QCOMPARE(runJob(window.worker(), [&] { return window.openPath(QString::fromStdString(offGridPath)); }),
                 QString("done"));
        QTRY_VERIFY(window.controller()->scene()->source.startSec == 0.41667);
        boxes[0]->setValue(0.0);
        boxes[1]->setValue(99.0);
        QVERIFY2(window.controller()->selectedClip().hasValue(),
                 window.controller()->selectedClip().status().message().c_str());

        // Scene jobs on two lanes: a slow video extraction opened first must not replace a photo opened after it.
        const int slow = window.openVideoSample();
        const std::string photo = m_dir + "/clip-photo.png";
        QVERIFY(cv::imwrite(photo, test::texturedImage(64, 48)));
        QSignalSpy finished(window.worker(), &ui::EngineWorker::jobFinished);
        QCOMPARE(runJob(window.worker(), [&] { return window.openPath(QString::fromStdString(photo)); }),
                 QString("done"));
        QCOMPARE(waitFor(finished, slow), QString("done"));
        // The slow job's hand-over was posted before its "finished": processing what is queued runs it, so a
        // wrongly applied overtaken result would show here.
        QCoreApplication::processEvents();
        QVERIFY(!window.controller()->scene()->source.isVideo());
        QVERIFY(!boxes[0]->isEnabled());
        QVERIFY(boxes[0]->toolTip().contains("photo"));
        const auto none = window.controller()->selectedClip();
        QVERIFY(!none.hasValue() && QString::fromStdString(none.status().message()).contains("photo"));
        for (QAction* action : window.videoJobActions()) {  // a photo scene: they say why not
            QVERIFY(!action->isEnabled());
            QVERIFY2(action->toolTip().contains("photo"), qPrintable(action->toolTip()));
        }
    }

    // Video ▸ Transfer Motion… and Edit with Text… on the sample's clip with a tiny SD model: a failing job
    // (missing model) is one line and leaves the scene alone; a good one runs in the Jobs panel, writes the clip,
    // and the result opens as the new scene (its motion extracted). The dialogs' settings persist per job.
    void videoJobsOpenTheirResult() {
        ui::MainWindow window;
        window.resize(900, 600);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QString model = QString::fromStdString(test::writeTinySdModel(m_dir + "/tiny-sd.safetensors", 5));
        QVERIFY(!model.isEmpty());
        for (ui::VideoJobKind kind : {ui::VideoJobKind::Transfer, ui::VideoJobKind::Edit}) {
            const bool transfer = kind == ui::VideoJobKind::Transfer;
            QCOMPARE(runJob(window.worker(), [&] { return window.openVideoSample(); }), QString("done"));
            QTRY_VERIFY(window.controller()->scene() && window.controller()->scene()->source.isVideo() &&
                        window.session()->scenePath().endsWith("tree.avi"));
            const engine::SceneSource source = window.controller()->scene()->source;
            window.controller()->setClipRange(source.startSec, source.startSec + 7.0);
            ui::VideoJobSettings t = ui::VideoJobSettings::defaults(kind);
            t.model = model;
            t.sourcePrompt = "a tree swaying";
            t.targetPrompt = transfer ? "a palm tree swaying" : "a tree swaying in snow";
            t.output = QString::fromStdString(m_dir + (transfer ? "/transfer.mp4" : "/edit.mp4"));
            t.steps = 2;
            t.frames = 8;
            t.workSize = 32;
            ui::VideoJobSettings broken = t;
            broken.model = QString::fromStdString(m_dir + "/missing.safetensors");
            const auto before = window.controller()->scene();
            const QString failed = runJob(window.worker(), [&] { return window.runVideoJob(broken); });
            QVERIFY2(failed != "done" && !failed.contains('\n') && failed.contains("missing"), qPrintable(failed));
            QCOMPARE(window.controller()->scene(), before);
            QVERIFY(!QFileInfo::exists(t.output));
            QCOMPARE(runJob(
                         window.worker(), [&] { return window.runVideoJob(t); }, 300000),
                     QString("done"));
            QVERIFY(QFileInfo::exists(t.output));
            QTRY_VERIFY_WITH_TIMEOUT(window.session()->scenePath() == t.output, 120000);
            QTRY_VERIFY(window.controller()->scene() != before);
            QVERIFY(window.controller()->scene()->source.videoPath == t.output.toStdString());
            t.save();
            QCOMPARE(ui::VideoJobSettings::load(kind).targetPrompt, t.targetPrompt);
            QCOMPARE(ui::VideoJobSettings::load(kind).workSize, 32);
        }
        QCOMPARE(ui::VideoJobSettings::load(ui::VideoJobKind::Edit).learningRate, 1e-3);  // SAVE's, kept apart
    }

    // Slider changes reach the controller (and so every renderer); undo and redo restore them.
    void slidersUndoRedo() {
        ui::MainWindow window;
        QVERIFY(showWithScene(window, m_scenePath));
        QSignalSpy spy(window.controller(), &ui::SceneController::settingsChanged);
        window.motionPanel()->globalAmplitude()->setValue(150);
        window.motionPanel()->globalAmplitude()->setValue(180);  // a drag: merges into one undo step
        window.motionPanel()->bandSliders()[1]->setValue(40);
        QVERIFY(spy.count() >= 3);
        QCOMPARE(window.controller()->settings().globalGain, 1.8f);
        QCOMPARE(window.controller()->settings().bandGains[1], 0.4f);
        QCOMPARE(window.undoStack()->count(), 2);
        window.undoStack()->undo();
        QCOMPARE(window.controller()->settings().bandGains[1], 1.0f);
        window.undoStack()->undo();
        QCOMPARE(window.controller()->settings().globalGain, 1.0f);
        QCOMPARE(window.motionPanel()->globalAmplitude()->value(), 100);  // the panel follows
        window.undoStack()->redo();
        QCOMPARE(window.controller()->settings().globalGain, 1.8f);
    }

    // Export runs as a job and writes a playable file; a cancelled export leaves nothing.
    void exportAndCancel() {
        ui::MainWindow window;
        QVERIFY(showWithScene(window, m_scenePath));
        engine::AnimateParams params;
        params.seconds = 1.0f;
        params.fps = 12.0f;
        const QString path = QString::fromStdString(m_dir + "/export.mp4");
        int id = -1;
        QCOMPARE(runJob(window.worker(), [&] { return id = window.exportTo(path, params); }), QString("done"));
        QCOMPARE(window.jobsPanel()->progressPercent(id), 100);
        cv::VideoCapture capture(path.toStdString());
        QVERIFY(capture.isOpened());
        int frames = 0;
        cv::Mat frame;
        while (capture.read(frame)) ++frames;
        QCOMPARE(frames, 12);

        params.seconds = 60.0f;
        const QString cancelled = QString::fromStdString(m_dir + "/cancelled.mp4");
        const int long_ = window.exportTo(cancelled, params);
        QTRY_VERIFY_WITH_TIMEOUT(window.jobsPanel()->progressPercent(long_) > 0, 30000);
        QSignalSpy finished(window.worker(), &ui::EngineWorker::jobFinished);
        window.jobsPanel()->clickCancel(long_);
        QCOMPARE(waitFor(finished, long_, 60000), QString("cancelled"));
        for (const auto& entry : std::filesystem::directory_iterator(m_dir))
            QVERIFY2(entry.path().filename().string().find("cancelled") == std::string::npos, entry.path().c_str());
    }

    // The first start teaches the three gestures over the viewport until dismissed; Help > Show Tips brings
    // them back; Help > Keyboard Shortcuts lists every shortcut; the cursor follows the tool.
    void tipsShortcutsAndCursor() {
        QSettings().remove("tips/dismissed");
        {
            ui::MainWindow window;
            QVERIFY(showWithScene(window, m_scenePath));
            ui::TipsOverlay* tips = window.tips();
            QTRY_VERIFY(tips->isVisible());
            const QRect over = QRect(tips->mapTo(&window, QPoint(0, 0)), tips->size());
            const QRect viewport = QRect(window.viewport()->mapTo(&window, QPoint(0, 0)), window.viewport()->size());
            QVERIFY2(viewport.contains(over), qPrintable(QString("tips %1,%2 %3x%4 in viewport %5,%6 %7x%8")
                                                             .arg(over.x())
                                                             .arg(over.y())
                                                             .arg(over.width())
                                                             .arg(over.height())
                                                             .arg(viewport.x())
                                                             .arg(viewport.y())
                                                             .arg(viewport.width())
                                                             .arg(viewport.height())));  // on the viewport, whole
            QTest::mouseClick(tips->dismissButton(), Qt::LeftButton);
            QVERIFY(!tips->isVisible());
            const QString shortcuts = window.shortcutsText();
            for (const char* key : {"Ctrl+Shift+E", "Ctrl+E", "Ctrl+B", "Space"})
                QVERIFY2(shortcuts.contains(key), key);
            QCOMPARE(window.viewport()->cpuViewport()->cursor().shape(), Qt::OpenHandCursor);
            window.viewport()->setTool(ui::Tool::MotionBrush);
            QCOMPARE(window.viewport()->cpuViewport()->cursor().shape(), Qt::CrossCursor);
        }
        ui::MainWindow again;  // dismissed stays dismissed, until asked for
        QVERIFY(showWithScene(again, m_scenePath));
        QVERIFY(!again.tips()->isVisible());
        again.tips()->offer(true);
        QVERIFY(again.tips()->isVisible());
    }

    // Share Loop: one action writes a seamless MP4 beside the scene (a second share does not overwrite it),
    // the Jobs panel offers Open folder, the path is on the clipboard; the file decodes and loops.
    void shareLoop() {
        ui::MainWindow window;
        QVERIFY(showWithScene(window, m_scenePath));
        QAction* share = nullptr;
        for (QAction* action : window.findChildren<QAction*>())
            if (action->text() == "S&hare Loop") share = action;
        QVERIFY(share);
        QCOMPARE(share->shortcut(), QKeySequence("Ctrl+Shift+E"));
        int id = -1;
        QCOMPARE(runJob(window.worker(), [&] { return id = window.shareLoop(); }), QString("done"));
        const QString path = window.lastSharedPath();
        QCOMPARE(QFileInfo(path).absolutePath(), QFileInfo(QString::fromStdString(m_scenePath)).absolutePath());
        QVERIFY(path.endsWith("scene-loop.mp4"));
        QCOMPARE(QGuiApplication::clipboard()->text(), path);
        QCOMPARE(window.jobsPanel()->resultFile(id), path);
        QTRY_VERIFY(window.jobsPanel()->offersOpenFolder(id));
        auto decoded = engine::decodeAnimation(path.toStdString());
        QVERIFY2(decoded.hasValue(), decoded.status().message().c_str());
        const auto frames = engine::framesAtRate(*decoded, 30.0);
        QVERIFY(frames.size() >= 10);
        const engine::FrameSeam seam = engine::measureFrameSeam(frames);
        QVERIFY2(seam.ratio() <= 1.5,
                 qPrintable(QString("wrap %1 vs median %2").arg(seam.wrapStep).arg(seam.medianStep)));
        QCOMPARE(runJob(window.worker(), [&] { return window.shareLoop(); }), QString("done"));
        QVERIFY(window.lastSharedPath().endsWith("scene-loop-2.mp4"));
        QVERIFY(QFileInfo::exists(path));
    }

    // File > Export Interactive Web Page runs the same engine job as the CLI (a page with its data and its
    // policy); tests/web drives such a page in Chromium.
    void exportWebPage() {
        ui::MainWindow window;
        QVERIFY(showWithScene(window, m_scenePath));
        bool inMenu = false;
        for (QAction* action : window.findChildren<QAction*>())
            inMenu = inMenu || action->text() == "Export Interactive &Web Page…";
        QVERIFY(inMenu);
        const QString path = QString::fromStdString(m_dir + "/scene.html");
        int id = -1;
        QCOMPARE(runJob(window.worker(), [&] { return id = window.exportWebPage(path); }), QString("done"));
        QCOMPARE(window.jobsPanel()->progressPercent(id), 100);
        QFile page(path);
        QVERIFY(page.open(QIODevice::ReadOnly));
        const QByteArray html = page.readAll();
        QVERIFY(html.contains("\"format\":\"waft-web\""));
        QVERIFY(html.contains("Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-"));
    }

    // The export dialog: format follows the extension and back, the preset reaches the job's parameters, and
    // the size estimate follows the settings.
    void exportDialogFormatsAndEstimate() {
        ui::ExportDialog dialog("out/loop.mp4", QSize(640, 480), 8.0);
        auto* path = dialog.findChildren<QLineEdit*>().value(0);
        const auto combos = dialog.findChildren<QComboBox*>();
        QVERIFY(path && combos.size() == 3);
        QComboBox* format = combos[0];
        QComboBox* quality = combos[1];
        QCOMPARE(format->currentText(), QString("MP4 (H.264)"));
        QVERIFY2(dialog.estimateText().contains("640×480, 240 frames"), qPrintable(dialog.estimateText()));
        const QString goodEstimate = dialog.estimateText();
        quality->setCurrentIndex(2);  // Best
        QCOMPARE(dialog.params().encode.quality, engine::ExportQuality::Best);
        QVERIFY(dialog.estimateText() != goodEstimate);
        format->setCurrentText("Animated WebP");
        QCOMPARE(dialog.path(), QString("out/loop.webp"));
        path->setText("out/loop.apng");
        QCOMPARE(format->currentText(), QString("APNG"));
        format->setCurrentText("MP4 (H.265)");
        QCOMPARE(dialog.path(), QString("out/loop.mp4"));
        QCOMPARE(dialog.params().encode.codec, engine::VideoCodec::H265);
        format->setCurrentText("PNG frames (folder)");
        QCOMPARE(dialog.path(), QString("out/loop/"));
        // Fast by default; neural hands the chosen renderer file to the export.
        auto* renderer = dialog.findChild<QComboBox*>("renderer");
        auto* model = dialog.findChild<QLineEdit*>("rendererModel");
        QVERIFY(renderer && model);
        QCOMPARE(dialog.rendererModel(), QString());
        QVERIFY(!model->isEnabled());
        renderer->setCurrentIndex(1);
        QVERIFY(model->isEnabled());
        auto* ok = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
        model->setText("");
        QVERIFY(!ok->isEnabled());  // neural without its file: no silent fallback to the fast renderer
        model->setText("/models/renderer.safetensors");
        QVERIFY(ok->isEnabled());
        QCOMPARE(dialog.rendererModel(), QString("/models/renderer.safetensors"));
    }

    // Exporting with the neural renderer: a fresh renderer file (exactly the fast renderer, by construction)
    // gives the fast export's frames; a bad file fails the export in one line and the scene stays.
    void exportWithTheNeuralRenderer() {
        ui::MainWindow window;
        QVERIFY(showWithScene(window, m_scenePath));
        engine::AnimateParams params;
        params.seconds = 0.5f;
        params.fps = 8.0f;
        params.encode.quality = engine::ExportQuality::Lossless;
        const std::string renderer = m_dir + "/renderer.safetensors";
        QVERIFY(test::writeFreshRenderer(renderer));
        const QString fast = QString::fromStdString(m_dir + "/fast/"),
                      neural = QString::fromStdString(m_dir + "/neural/");
        QCOMPARE(runJob(window.worker(), [&] { return window.exportTo(fast, params); }), QString("done"));
        QCOMPARE(
            runJob(window.worker(), [&] { return window.exportTo(neural, params, QString::fromStdString(renderer)); }),
            QString("done"));
        int frames = 0;
        for (const auto& entry : std::filesystem::directory_iterator(neural.toStdString())) {
            const cv::Mat a = cv::imread(entry.path().string());
            const cv::Mat b = cv::imread(fast.toStdString() + entry.path().filename().string());
            QVERIFY(!a.empty() && a.size() == b.size());
            QVERIFY2(cv::norm(a, b, cv::NORM_INF) <= 1.0, entry.path().c_str());
            ++frames;
        }
        QCOMPARE(frames, 4);
        const std::string garbage = m_dir + "/garbage.safetensors";
        std::ofstream(garbage) << "no renderer here";
        QVERIFY(runJob(window.worker(), [&] {
                    return window.exportTo(QString::fromStdString(m_dir + "/bad.mp4"), params,
                                           QString::fromStdString(garbage));
                }) != QString("done"));
        QVERIFY(window.controller()->scene() != nullptr);
        QVERIFY(!std::filesystem::exists(m_dir + "/bad.mp4"));
    }

    // A bare photo lands in the motion brush; painted arrows become motion, anchors stay still.
    void motionBrushOnAPhoto() {
        QSettings().remove("model");  // no motion model: the photo opens for the brush
        const std::string photo = m_dir + "/photo.png";
        QVERIFY(cv::imwrite(photo, test::texturedImage(200, 120)));
        ui::MainWindow window;
        window.resize(900, 600);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(runJob(window.worker(), [&] { return window.openPath(QString::fromStdString(photo)); }),
                 QString("done"));
        QTRY_VERIFY(window.controller()->scene() != nullptr);
        QCOMPARE(window.viewport()->tool(), ui::Tool::MotionBrush);  // no model: straight to the brush
        ui::CpuViewport* viewport = window.viewport()->cpuViewport();
        QTRY_VERIFY(viewport->framesRendered() > 0);  // rendered (the photo shows still until the renderer is set up)
        const auto at = [&](QPointF scene) {
            return viewport->mapFrom(window.viewport(), window.viewport()->widgetPosition(scene).toPoint());
        };
        QTest::mousePress(viewport, Qt::LeftButton, {}, at({60, 60}));
        QMouseEvent move(QEvent::MouseMove, QPointF(at({75, 60})), viewport->mapToGlobal(QPointF(at({75, 60}))),
                         Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(viewport, &move);
        QTest::mouseRelease(viewport, Qt::LeftButton, {}, at({75, 60}));
        QCOMPARE(window.arrows().size(), size_t(1));
        window.undoStack()->undo();  // strokes are undoable edits
        QCOMPARE(window.arrows().size(), size_t(0));
        window.undoStack()->redo();
        QCOMPARE(window.arrows().size(), size_t(1));
        window.viewport()->setTool(ui::Tool::Anchor);
        QTest::mouseClick(viewport, Qt::LeftButton, {}, at({150, 60}));
        // Strokes save to the file `waft-cli brush --strokes` reads; loading them back is one undo step.
        const std::string strokesPath = m_dir + "/strokes.json";
        QVERIFY(engine::saveStrokes(strokesPath, window.strokes()).isOk());
        window.undoStack()->undo();
        QCOMPARE(window.strokes().anchors.size(), size_t(0));
        QVERIFY(window.loadStrokes(QString::fromStdString(strokesPath)));
        QCOMPARE(window.strokes().anchors.size(), size_t(1));
        QCOMPARE(window.strokes().arrows.size(), size_t(1));
        window.undoStack()->undo();
        QCOMPARE(window.strokes().anchors.size(), size_t(0));
        window.undoStack()->redo();
        QCOMPARE(window.strokes().anchors.size(), size_t(1));
        std::ofstream(m_dir + "/bad-strokes.json") << "{\"format\": \"waft-strokes\"}";
        QVERIFY(!window.loadStrokes(QString::fromStdString(m_dir + "/bad-strokes.json")));
        QCOMPARE(window.strokes().anchors.size(), size_t(1));  // a bad file changes nothing
        engine::SceneSettings photoSettings = window.controller()->settings();
        photoSettings.globalGain = 1.7f;  // a setting the user changed on the photo
        window.controller()->setSettings(photoSettings);
        const auto photoScene = window.controller()->scene();
        const std::string photoBytes = m_dir + "/photo-before.waft";
        QVERIFY(engine::saveScene(photoBytes, *window.controller()->snapshot()).isOk());
        QCOMPARE(runJob(window.worker(), [&] { return window.applyMotionBrush(); }), QString("done"));
        QTRY_VERIFY(window.controller()->scene()->volume.bands == 3);
        QVERIFY(window.strokes().arrows.empty());
        QCOMPARE(runJob(window.worker(),
                        [&] { return window.saveSceneTo(QString::fromStdString(m_dir + "/brushed.waft")); }),
                 QString("done"));  // Save As after the brush
        // One undo step back to the photo (its bytes, with the changed setting) and its strokes; redo brings the
        // motion back under the name it was saved as.
        const auto brushed = window.controller()->scene();
        window.undoStack()->undo();
        QCOMPARE(window.controller()->scene(), photoScene);
        QCOMPARE(window.controller()->settings().globalGain, 1.7f);
        const std::string photoAfter = m_dir + "/photo-after.waft";
        QVERIFY(engine::saveScene(photoAfter, *window.controller()->snapshot()).isOk());
        std::ifstream a(photoBytes, std::ios::binary), b(photoAfter, std::ios::binary);
        QVERIFY(std::string(std::istreambuf_iterator<char>(a), {}) ==
                std::string(std::istreambuf_iterator<char>(b), {}));
        QCOMPARE(window.strokes().arrows.size(), size_t(1));
        QVERIFY(window.windowTitle().contains("photo.png"));
        window.undoStack()->redo();
        QCOMPARE(window.controller()->scene(), brushed);
        QVERIFY(window.windowTitle().contains("brushed.waft"));
        const auto& v = window.controller()->scene()->volume;
        const auto energy = [&](int x, int y) {
            double e = 0;
            for (int j = 0; j < v.bands; ++j) e += std::abs(v.plane(j, 0)[size_t(y) * v.width + x]);
            return e;
        };
        QVERIFY(energy(60, 60) > 1.0);    // along x near the arrow
        QVERIFY(energy(150, 60) < 1e-6);  // the anchor
        QCOMPARE(window.viewport()->tool(), ui::Tool::Pull);
    }

    // With a motion model configured, opening a photo predicts its motion as a job (tiny models trained here for
    // two steps: this checks the wiring, not the model); without one, Predict Motion says so and does nothing.
    void predictMotionOnAPhoto() {
        QSettings().remove("model");
        const std::string photo = m_dir + "/photo-predict.png";
        QVERIFY(cv::imwrite(photo, test::texturedImage(120, 80)));
        const std::string dataset = m_dir + "/dataset";
        QVERIFY(writeTinyDataset(dataset));
        engine::prior::TrainingRunParams train;
        train.preset = engine::prior::ModelPreset::Tiny;
        train.steps = 2;
        train.batch = 2;
        train.checkpointEvery = 0;
        train.width = train.height = 16;
        const std::string vae = m_dir + "/vae.safetensors", prior = m_dir + "/prior.safetensors";
        engine::Progress progress;
        engine::CancelToken cancel;
        QVERIFY(engine::prior::TrainVaeJob(dataset, vae, train).run(progress, cancel).isOk());
        QVERIFY(engine::prior::TrainPriorJob(dataset, vae, prior, 1, "", train).run(progress, cancel).isOk());

        ui::MainWindow window;
        window.resize(900, 600);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.predictMotion(), -1);  // no scene yet
        QCOMPARE(runJob(window.worker(), [&] { return window.openPath(QString::fromStdString(photo)); }),
                 QString("done"));
        QTRY_VERIFY(window.controller()->scene() != nullptr);
        QCOMPARE(window.predictMotion(), -1);  // no model configured

        ui::MotionModelSettings model = ui::MotionModelSettings::load();
        model.priorPath = QString::fromStdString(prior);
        model.vaePath = QString::fromStdString(vae);
        model.predict.sampler.steps = 3;
        model.predict.loop = false;
        model.save();
        QVERIFY(ui::MotionModelSettings::load().configured());
        QCOMPARE(runJob(window.worker(), [&] { return window.openPath(QString::fromStdString(photo)); }),
                 QString("done"));
        // The photo loads, then the prediction runs on its own: the scene gets the model's two bands at the
        // photo's size, with the photo as its reference.
        QTRY_VERIFY_WITH_TIMEOUT(window.controller()->scene()->volume.bands == 2, 60000);
        const auto& v = window.controller()->scene()->volume;
        QCOMPARE(v.width, 120);
        QCOMPARE(v.height, 80);
        QVERIFY(cv::norm(v.reference, cv::imread(photo), cv::NORM_INF) == 0.0);
        double motion = 0.0;
        for (float c : v.coefficients) motion += std::abs(c);
        QVERIFY(motion > 0.0);
        QCOMPARE(window.viewport()->tool(), ui::Tool::Pull);

        model.vaePath = QString::fromStdString(prior);  // the denoiser where the VAE belongs: one clear line
        model.save();
        const QString error = runJob(window.worker(), [&] { return window.predictMotion(); });
        QVERIFY2(error.contains("vae") || error.contains("VAE"), qPrintable(error));
        QCOMPARE(window.controller()->scene()->volume.bands, 2);  // the scene is untouched
        QSettings().remove("model");
    }

    // Screenshots for docs/ (only with WAFT_SCREENSHOT_DIR set): the sample swaying, mid-pull, the brush.
    void screenshots() {
        const QString dir = qEnvironmentVariable("WAFT_SCREENSHOT_DIR");
        if (dir.isEmpty()) QSKIP("set WAFT_SCREENSHOT_DIR to write screenshots");
        ui::MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(runJob(window.worker(), [&] { return window.openSample(); }), QString("done"));
        QTRY_VERIFY(window.controller()->scene() != nullptr);
        QTest::qWait(1500);
        QVERIFY(window.grab().save(dir + "/main-window.png"));
        {
            const auto& v = window.controller()->scene()->volume;
            ui::ExportDialog dialog("out/meadow-loop.mp4", QSize(v.width, v.height), 8.0, &window);
            dialog.show();
            QVERIFY(QTest::qWaitForWindowExposed(&dialog));
            QVERIFY(dialog.grab().save(dir + "/export-dialog.png"));
        }
        for (ui::VideoJobKind kind : {ui::VideoJobKind::Transfer, ui::VideoJobKind::Edit}) {
            ui::VideoJobSettings settings = ui::VideoJobSettings::defaults(kind);
            settings.model = "/home/me/models/stable-diffusion-v1-5";
            settings.sourcePrompt = "a tree swaying in the wind";
            settings.targetPrompt = kind == ui::VideoJobKind::Transfer ? "a palm tree swaying in the wind"
                                                                       : "a tree swaying in the wind, in snow";
            ui::VideoJobDialog dialog(settings, "Clip: tree.avi, 0.00 to 7.00 s", &window);
            dialog.show();
            QVERIFY(QTest::qWaitForWindowExposed(&dialog));
            QVERIFY(dialog.grab().save(
                dir + (kind == ui::VideoJobKind::Transfer ? "/transfer-dialog.png" : "/edit-dialog.png")));
        }
        ui::CpuViewport* viewport = window.viewport()->cpuViewport();
        const QPoint grab =
            viewport->mapFrom(window.viewport(), window.viewport()->widgetPosition({375, 230}).toPoint());
        QTest::mousePress(viewport, Qt::LeftButton, {}, grab);
        for (int step = 1; step <= 20; ++step) {
            const QPointF to(grab + QPoint(step + step / 2, step / 3));
            QMouseEvent move(QEvent::MouseMove, to, viewport->mapToGlobal(to), Qt::NoButton, Qt::LeftButton,
                             Qt::NoModifier);
            QApplication::sendEvent(viewport, &move);
            QTest::qWait(60);
        }
        QTest::qWait(1200);
        QVERIFY(window.grab().save(dir + "/pull.png"));
        QTest::mouseRelease(viewport, Qt::LeftButton, {}, grab + QPoint(30, 6));

        const std::string photo = test::dataPath("nature-photos/seeding_by_Clements_Engelhardt.jpg");
        if (!test::dataAvailable("nature-photos/seeding_by_Clements_Engelhardt.jpg")) return;
        QCOMPARE(runJob(window.worker(), [&] { return window.openPath(QString::fromStdString(photo)); }),
                 QString("done"));
        QTRY_VERIFY(window.controller()->scene() && window.controller()->scene()->volume.width == 1280);
        QTest::qWait(300);
        const auto at = [&](QPointF scene) {
            return viewport->mapFrom(window.viewport(), window.viewport()->widgetPosition(scene).toPoint());
        };
        const auto stroke = [&](QPointF a, QPointF b) {
            QTest::mousePress(viewport, Qt::LeftButton, {}, at(a));
            QMouseEvent move(QEvent::MouseMove, QPointF(at(b)), viewport->mapToGlobal(QPointF(at(b))), Qt::NoButton,
                             Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(viewport, &move);
            QTest::mouseRelease(viewport, Qt::LeftButton, {}, at(b));
        };
        stroke({360, 230}, {450, 270});  // the dandelion head sways right
        stroke({640, 470}, {730, 440});  // the meadow
        window.viewport()->setTool(ui::Tool::Anchor);
        QTest::mouseClick(viewport, Qt::LeftButton, {}, at({330, 640}));  // its stem stays put
        window.viewport()->setTool(ui::Tool::FreezeMask);
        stroke({520, 20}, {760, 160});  // the sun
        QTest::qWait(300);
        QVERIFY(window.grab().save(dir + "/motion-brush.png"));
    }
};

WAFT_TEST_MAIN_WITH(tst_MainWindow, QApplication)
#include "tst_MainWindow.moc"
