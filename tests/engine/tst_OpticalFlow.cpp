#include "QtTestSupport.h"
#include <QtTest>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/video/tracking.hpp>

#include "TestSupport.h"
#include "analysis/OpticalFlow.h"

using namespace waft::engine;
using waft::test::dataAvailable;
using waft::test::dataPath;

namespace {
constexpr double kEpeBoundDis = 0.25;        // measured 0.2216 px
constexpr double kEpeBoundAccurate = 0.125;  // measured 0.1101 px
}  // namespace

class tst_OpticalFlow : public QObject {
    Q_OBJECT
private slots:
    // Middlebury RubberWhale (real scene, GT flow): mean end-point error over known pixels.
    // Bounds are the values measured on this data (docs/BENCHMARKS.md) plus ~10% headroom.
    void rubberWhaleEndPointError_data() {
        QTest::addColumn<int>("method");
        QTest::addColumn<double>("bound");
        QTest::newRow("dis") << int(FlowMethod::Dis) << kEpeBoundDis;
        QTest::newRow("accurate") << int(FlowMethod::Accurate) << kEpeBoundAccurate;
    }
    void rubberWhaleEndPointError() {
        QFETCH(int, method);
        QFETCH(double, bound);
        if (!dataAvailable("middlebury-rubberwhale/RubberWhale.flo")) WAFT_SKIP("shared data not found");
        const cv::Mat a = cv::imread(dataPath("middlebury-rubberwhale/RubberWhale1.png"));
        const cv::Mat b = cv::imread(dataPath("middlebury-rubberwhale/RubberWhale2.png"));
        auto gt = readFlo(dataPath("middlebury-rubberwhale/RubberWhale.flo"));
        QVERIFY(gt.hasValue());
        FlowEstimator estimator{static_cast<FlowMethod>(method)};
        auto flow = estimator.compute(a, b);
        QVERIFY(flow.hasValue());
        size_t known = 0;
        const double epe = endPointError(*flow, *gt, &known);
        QCOMPARE(known, size_t(584 * 388 - 3622));  // the README's count of unknown GT pixels
        qInfo("RubberWhale %s EPE %.4f px", flowMethodName(FlowMethod(method)), epe);
        QVERIFY2(epe < bound, qPrintable(QString::number(epe)));
        // Zero flow as a sanity floor: the estimate must be far better than doing nothing.
        const double zeroEpe = endPointError(cv::Mat::zeros(gt->size(), CV_32FC2), *gt);
        qInfo("RubberWhale zero-flow EPE %.4f px", zeroEpe);
        QVERIFY(epe < 0.5 * zeroEpe);
    }

    void floRoundTripAndRealFile() {
        if (!dataAvailable("middlebury-grove3/grove3.flo")) WAFT_SKIP("shared data not found");
        auto grove = readFlo(dataPath("middlebury-grove3/grove3.flo"));
        QVERIFY(grove.hasValue());
        QCOMPARE(grove->cols, 640);
        QCOMPARE(grove->rows, 480);
        double lo, hi;
        cv::minMaxLoc(grove->reshape(1), &lo, &hi);
        QVERIFY(std::abs(hi - 14.34) < 0.01 && std::abs(lo + 4.09) < 0.01);  // ranges stated in the data README
        const std::string path = waft::test::tempDir("flo") + "/g.flo";
        QVERIFY(writeFlo(path, *grove).isOk());
        auto back = readFlo(path);
        QVERIFY(back.hasValue());
        QCOMPARE(cv::norm(*back, *grove, cv::NORM_INF), 0.0);
        // Our reader agrees with OpenCV's.
        QCOMPARE(cv::norm(cv::readOpticalFlow(path), *grove, cv::NORM_INF), 0.0);
    }

    void rejectsBadFlowFiles() {
        const std::string dir = waft::test::tempDir("badflo");
        std::ofstream(dir + "/a.flo") << "PIEH";
        QVERIFY(!readFlo(dir + "/a.flo").hasValue());
        std::ofstream(dir + "/b.flo") << "not a flow file at all";
        QVERIFY(!readFlo(dir + "/b.flo").hasValue());
        QVERIFY(!readFlo(dir + "/missing.flo").hasValue());
        FlowEstimator estimator;
        QVERIFY(!estimator.compute(cv::Mat(8, 8, CV_8UC3), cv::Mat(8, 8, CV_8UC3)).hasValue());
        QVERIFY(!estimator.compute(cv::Mat(32, 32, CV_8UC3), cv::Mat(32, 31, CV_8UC3)).hasValue());
    }
};

WAFT_TEST_MAIN(tst_OpticalFlow)
#include "tst_OpticalFlow.moc"
