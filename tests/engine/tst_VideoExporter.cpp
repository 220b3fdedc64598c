#include <QtTest>
#include <opencv2/core.hpp>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "Runtime.h"
#include "SceneAnimator.h"
#include "TestSupport.h"
#include "VideoExporter.h"

using namespace waft::engine;
namespace fs = std::filesystem;

namespace {

std::vector<cv::Mat> testFrames(int w, int h, int count) {
    std::vector<cv::Mat> frames;
    const cv::Mat base = waft::test::texturedImage(w, h);
    for (int n = 0; n < count; ++n) {
        cv::Mat f = base.clone();
        cv::rectangle(f, cv::Rect(2 + 3 * n, 5, 12, 12), cv::Scalar(20 * n, 255 - 20 * n, 128), cv::FILLED);
        frames.push_back(f);
    }
    return frames;
}

int countFiles(const std::string& dir) { return int(std::distance(fs::directory_iterator(dir), {})); }

}  // namespace

class tst_VideoExporter : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { initRuntime(); }

    void writesPlayableFiles_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("width");   // expected decoded size (video codecs crop odd sizes to even)
        QTest::addColumn<int>("height");
        QTest::addColumn<double>("maxError");  // mean absolute error vs the source frames, levels
        QTest::newRow("mp4") << "a.mp4" << 64 << 48 << 12.0;
        QTest::newRow("webm") << "a.webm" << 64 << 48 << 14.0;
        QTest::newRow("gif") << "a.gif" << 65 << 49 << 10.0;
    }
    void writesPlayableFiles() {
        QFETCH(QString, name);
        QFETCH(int, width);
        QFETCH(int, height);
        QFETCH(double, maxError);
        const std::string dir = waft::test::tempDir("export");
        const std::string path = dir + "/" + name.toStdString();
        const auto frames = testFrames(65, 49, 12);
        VideoExporter exporter;
        QVERIFY(exporter.open(path, 65, 49, 24.0f, true).isOk());
        for (const cv::Mat& f : frames) QVERIFY(exporter.write(f).isOk());
        QVERIFY(exporter.commit().isOk());
        QCOMPARE(countFiles(dir), 1);

        cv::VideoCapture capture(path, cv::CAP_FFMPEG);
        QVERIFY(capture.isOpened());
        cv::Mat decoded;
        int count = 0;
        double error = 0.0;
        while (capture.read(decoded)) {
            QCOMPARE(decoded.cols, width);
            QCOMPARE(decoded.rows, height);
            const cv::Rect roi(0, 0, width, height);
            error += cv::norm(decoded, frames[size_t(count)](roi), cv::NORM_L1) / double(width * height * 3);
            ++count;
        }
        QCOMPARE(count, 12);
        qInfo("%s: mean error %.2f levels", qPrintable(name), error / count);
        QVERIFY(error / count < maxError);
    }

    void writesPngSequence() {
        const std::string dir = waft::test::tempDir("png") + "/frames/";
        const auto frames = testFrames(40, 30, 5);
        VideoExporter exporter;
        QVERIFY(exporter.open(dir, 40, 30, 24.0f, false).isOk());
        for (const cv::Mat& f : frames) QVERIFY(exporter.write(f).isOk());
        QVERIFY(exporter.commit().isOk());
        QCOMPARE(countFiles(dir), 5);
        QCOMPARE(cv::norm(cv::imread(dir + "0004.png"), frames[4], cv::NORM_INF), 0.0);  // lossless
    }

    // A cancelled export leaves nothing behind: no output file, no temporary file.
    void cancelledExportLeavesNoFile() {
        Scene scene;
        scene.volume = waft::test::sinusoidalVolume(64, 48, 2, 0.5f, 0, 2.0f);
        for (const char* name : {"c.mp4", "c.gif", "frames/"}) {
            const std::string dir = waft::test::tempDir("cancel");
            CancelToken cancel;
            Progress progress([&](float fraction, const std::string&) {
                if (fraction > 0.3f) cancel.cancel();
            });
            AnimateParams params;
            params.seconds = 2.0f;
            AnimateJob job(scene, dir + "/" + name, params);
            QCOMPARE(job.run(progress, cancel).code(), StatusCode::Cancelled);
            QVERIFY(progress.fraction() < 0.5f);
            QCOMPARE(countFiles(dir), 0);
        }
    }

    void failedExportKeepsTheExistingFile() {
        const std::string dir = waft::test::tempDir("keep");
        const std::string path = dir + "/a.mp4";
        std::ofstream(path) << "previous export";
        VideoExporter exporter;
        QVERIFY(exporter.open(path, 32, 32, 24.0f, true).isOk());
        QVERIFY(exporter.write(cv::Mat(32, 32, CV_8UC3, cv::Scalar::all(1))).isOk());
        exporter.abort();
        std::ifstream in(path);
        std::string text;
        std::getline(in, text);
        QCOMPARE(text, std::string("previous export"));
        QCOMPARE(countFiles(dir), 1);
    }

    void rejectsBadTargets() {
        const std::string dir = waft::test::tempDir("badtarget");
        VideoExporter exporter;
        QVERIFY(!exporter.open(dir + "/a.avi", 32, 32, 24.0f, true).isOk());          // unknown format
        QVERIFY(!exporter.open(dir + "/no/such/a.mp4", 32, 32, 24.0f, true).isOk());  // missing folder
        QVERIFY(!exporter.open(dir + "/a.mp4", 0, 32, 24.0f, true).isOk());           // absurd size
        QVERIFY(!exporter.open(dir + "/a.mp4", 32, 32, 0.0f, true).isOk());           // absurd fps
        fs::create_directories(dir + "/full");
        std::ofstream(dir + "/full/x.txt") << "x";
        QVERIFY(!exporter.open(dir + "/full/", 32, 32, 24.0f, true).isOk());          // non-empty folder
        QVERIFY(!exporter.commit().isOk());
    }
};

QTEST_APPLESS_MAIN(tst_VideoExporter)
#include "tst_VideoExporter.moc"
