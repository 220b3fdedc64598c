// Optical flow on real Middlebury data and .flo files: plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/video/tracking.hpp>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "analysis/OpticalFlow.h"

using namespace waft::engine;
using waft::test::dataAvailable;
using waft::test::dataPath;

namespace {
constexpr double kEpeBoundDis = 0.25;        // measured 0.2216 px
constexpr double kEpeBoundAccurate = 0.125;  // measured 0.1101 px
}  // namespace

// Middlebury RubberWhale (real scene, GT flow): mean end-point error over known pixels.
// Bounds are the values measured on this data (docs/BENCHMARKS.md) plus ~10% headroom.
struct FlowCase {
    const char* name;
    FlowMethod method;
    double bound;
};

class OpticalFlowRubberWhale : public ::testing::TestWithParam<FlowCase> {};

TEST_P(OpticalFlowRubberWhale, EndPointError) {
    const FlowMethod method = GetParam().method;
    const double bound = GetParam().bound;
    if (!dataAvailable("middlebury-rubberwhale/RubberWhale.flo"))
        GTEST_SKIP() << "shared data not found: " << dataPath("middlebury-rubberwhale/RubberWhale.flo");
    const cv::Mat a = cv::imread(dataPath("middlebury-rubberwhale/RubberWhale1.png"));
    const cv::Mat b = cv::imread(dataPath("middlebury-rubberwhale/RubberWhale2.png"));
    auto gt = readFlo(dataPath("middlebury-rubberwhale/RubberWhale.flo"));
    ASSERT_TRUE(gt.hasValue());
    FlowEstimator estimator{method};
    auto flow = estimator.compute(a, b);
    ASSERT_TRUE(flow.hasValue());
    size_t known = 0;
    const double epe = endPointError(*flow, *gt, &known);
    EXPECT_EQ(known, size_t(584 * 388 - 3622));  // the README's count of unknown GT pixels
    std::printf("RubberWhale %s EPE %.4f px\n", flowMethodName(method), epe);
    EXPECT_LT(epe, bound);
    // Zero flow as a sanity floor: the estimate must be far better than doing nothing.
    const double zeroEpe = endPointError(cv::Mat::zeros(gt->size(), CV_32FC2), *gt);
    std::printf("RubberWhale zero-flow EPE %.4f px\n", zeroEpe);
    EXPECT_LT(epe, 0.5 * zeroEpe);
}

INSTANTIATE_TEST_SUITE_P(OpticalFlow, OpticalFlowRubberWhale,
                         ::testing::Values(FlowCase{"dis", FlowMethod::Dis, kEpeBoundDis},
                                           FlowCase{"accurate", FlowMethod::Accurate, kEpeBoundAccurate}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(OpticalFlow, FloRoundTripAndRealFile) {
    if (!dataAvailable("middlebury-grove3/grove3.flo"))
        GTEST_SKIP() << "shared data not found: " << dataPath("middlebury-grove3/grove3.flo");
    auto grove = readFlo(dataPath("middlebury-grove3/grove3.flo"));
    ASSERT_TRUE(grove.hasValue());
    EXPECT_EQ(grove->cols, 640);
    EXPECT_EQ(grove->rows, 480);
    double lo, hi;
    cv::minMaxLoc(grove->reshape(1), &lo, &hi);
    EXPECT_TRUE(std::abs(hi - 14.34) < 0.01 && std::abs(lo + 4.09) < 0.01)  // ranges stated in the data README
        << "range " << lo << " .. " << hi;
    const std::string path = waft::test::tempDir("flo") + "/g.flo";
    ASSERT_TRUE(writeFlo(path, *grove).isOk());
    auto back = readFlo(path);
    ASSERT_TRUE(back.hasValue());
    EXPECT_FUZZY_EQ(cv::norm(*back, *grove, cv::NORM_INF), 0.0);
    // Our reader agrees with OpenCV's.
    EXPECT_FUZZY_EQ(cv::norm(cv::readOpticalFlow(path), *grove, cv::NORM_INF), 0.0);
}

TEST(OpticalFlow, RejectsBadFlowFiles) {
    const std::string dir = waft::test::tempDir("badflo");
    std::ofstream(dir + "/a.flo") << "PIEH";
    EXPECT_FALSE(readFlo(dir + "/a.flo").hasValue());
    std::ofstream(dir + "/b.flo") << "not a flow file at all";
    EXPECT_FALSE(readFlo(dir + "/b.flo").hasValue());
    EXPECT_FALSE(readFlo(dir + "/missing.flo").hasValue());
    FlowEstimator estimator;
    EXPECT_FALSE(estimator.compute(cv::Mat(8, 8, CV_8UC3), cv::Mat(8, 8, CV_8UC3)).hasValue());
    EXPECT_FALSE(estimator.compute(cv::Mat(32, 32, CV_8UC3), cv::Mat(32, 31, CV_8UC3)).hasValue());
}
