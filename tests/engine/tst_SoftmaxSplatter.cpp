#include "QtTestSupport.h"
#include <QtTest>
#include <cmath>
#include <opencv2/core.hpp>
#include <random>

#include "TestSupport.h"
#include "baseline/SplatBaseline.h"
#include "raster/SoftmaxSplatter.h"

using namespace waft::engine;

namespace {

cv::Mat randomImage(int w, int h, int channels, unsigned seed) {
    cv::Mat image(h, w, CV_MAKETYPE(CV_32F, channels));
    cv::RNG rng(seed);
    rng.fill(image, cv::RNG::UNIFORM, 0.0, 1.0);
    return image;
}

DisplacementField constantField(int w, int h, float dx, float dy) {
    DisplacementField f;
    f.resize(w, h);
    std::fill(f.dx.begin(), f.dx.end(), dx);
    std::fill(f.dy.begin(), f.dy.end(), dy);
    return f;
}

}  // namespace

class tst_SoftmaxSplatter : public QObject {
    Q_OBJECT
private slots:
    void zeroMotionIsIdentity() {
        const cv::Mat image = randomImage(37, 23, 3, 1);
        SoftmaxSplatter splatter;
        cv::Mat out;
        const std::vector<float> weights(37 * 23, 0.37f);
        QVERIFY(splatter.splat(image, constantField(37, 23, 0, 0), weights, out).isOk());
        QVERIFY(cv::norm(out, image, cv::NORM_INF) < 1e-6);
        QCOMPARE(splatter.lastHoleCount(), size_t(0));
    }

    void integerShiftIsExact() {
        const cv::Mat image = randomImage(40, 30, 3, 2);
        SoftmaxSplatter splatter;
        cv::Mat out;
        QVERIFY(splatter.splat(image, constantField(40, 30, 3.0f, -2.0f), {}, out).isOk());
        QCOMPARE(splatter.lastHoleCount(), size_t(3 * 30 + 2 * 40 - 3 * 2));  // the uncovered L-shaped border
        const cv::Rect src(0, 2, 37, 28), dst(3, 0, 37, 28);
        QVERIFY(cv::norm(out(dst), image(src), cv::NORM_INF) < 1e-6);
        // Holes were filled by push-pull: finite, inside the image's value range.
        double lo, hi;
        cv::minMaxLoc(out.reshape(1), &lo, &hi);
        QVERIFY(lo >= 0.0 && hi <= 1.0);
    }

    // Two pixels land on the same spot: the one with the larger mean motion (softmax weight) wins.
    void occlusionResolvesTowardLargerMotion() {
        const int w = 32, h = 8;
        cv::Mat image(h, w, CV_32FC3, cv::Scalar(0, 0, 1));      // red background (BGR)
        image(cv::Rect(4, 0, 8, h)).setTo(cv::Scalar(1, 0, 0));  // blue strip x in [4, 12)
        DisplacementField field;
        field.resize(w, h);
        std::vector<float> magnitude(size_t(w * h), 0.0f);
        for (int y = 0; y < h; ++y)
            for (int x = 4; x < 12; ++x) {
                field.dx[size_t(y * w + x)] = 8.0f;  // the strip moves onto the red pixels at [12, 20)
                magnitude[size_t(y * w + x)] = 8.0f;
            }
        SoftmaxSplatter splatter;
        cv::Mat out;
        QVERIFY(splatter.splat(image, field, SoftmaxSplatter::splatWeights(magnitude), out).isOk());
        for (int x = 12; x < 20; ++x) {
            const cv::Vec3f px = out.at<cv::Vec3f>(3, x);
            QVERIFY2(px[0] > 0.999f && px[2] < 0.001f,
                     qPrintable(QString("x=%1 b=%2 r=%3").arg(x).arg(px[0]).arg(px[2])));
        }
        // Reverse the weights: the still pixels are now "in front" and stay red.
        for (float& m : magnitude) m = m > 0 ? 0.0f : 8.0f;
        QVERIFY(splatter.splat(image, field, SoftmaxSplatter::splatWeights(magnitude), out).isOk());
        QVERIFY(out.at<cv::Vec3f>(3, 15)[2] > 0.999f);
    }

    // Independent check: the LibTorch index_add_ formulation gives the same numbers on random motion.
    void matchesIndexAddBaseline() {
        const int w = 64, h = 48;
        const cv::Mat image = randomImage(w, h, 3, 3);
        DisplacementField field;
        field.resize(w, h);
        std::mt19937 rng(4);
        std::normal_distribution<float> n(0.0f, 2.5f);
        for (size_t i = 0; i < field.size(); ++i) {
            field.dx[i] = n(rng);
            field.dy[i] = n(rng);
        }
        std::vector<float> magnitude(field.size());
        for (size_t i = 0; i < field.size(); ++i) magnitude[i] = std::abs(n(rng));
        const auto weights = SoftmaxSplatter::splatWeights(magnitude);
        SoftmaxSplatter splatter;
        splatter.setFillHoles(false);
        cv::Mat ours, baseline;
        QVERIFY(splatter.splat(image, field, weights, ours).isOk());
        QVERIFY(splatIndexAddBaseline(image, field, weights, baseline).isOk());
        const double diff = cv::norm(ours, baseline, cv::NORM_INF);
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    }

    void arbitraryChannelCountsAndDeterminism() {
        const cv::Mat features = randomImage(33, 17, 7, 5);
        DisplacementField field = constantField(33, 17, 0.5f, 0.25f);
        SoftmaxSplatter a, b;
        cv::Mat outA, outB;
        QVERIFY(a.splat(features, field, {}, outA).isOk());
        QVERIFY(b.splat(features, field, {}, outB).isOk());
        QCOMPARE(outA.channels(), 7);
        QCOMPARE(cv::norm(outA, outB, cv::NORM_INF), 0.0);
    }

    void nonFiniteMotionIsDroppedNotCrashed() {
        const cv::Mat image = randomImage(16, 16, 3, 6);
        DisplacementField field = constantField(16, 16, 0, 0);
        field.dx[5] = std::nanf("");
        field.dy[9] = INFINITY;
        field.dx[20] = 1e30f;
        SoftmaxSplatter splatter;
        cv::Mat out;
        QVERIFY(splatter.splat(image, field, {}, out).isOk());
        QVERIFY(cv::checkRange(out));
    }

    void rejectsMismatchedInputs() {
        SoftmaxSplatter splatter;
        cv::Mat out;
        QVERIFY(!splatter.splat(randomImage(8, 8, 3, 1), constantField(9, 8, 0, 0), {}, out).isOk());
        QVERIFY(!splatter.splat(randomImage(8, 8, 3, 1), constantField(8, 8, 0, 0), std::vector<float>(3), out).isOk());
        cv::Mat bytes(8, 8, CV_8UC3);
        QVERIFY(!splatter.splat(bytes, constantField(8, 8, 0, 0), {}, out).isOk());
    }

    void weightsFollowMeanMagnitude() {
        const auto w = SoftmaxSplatter::splatWeights({0.0f, 1.0f, 2.0f, 100.0f});
        QVERIFY(w[0] < w[1] && w[1] < w[2] && w[2] <= w[3]);
        // m_ref is the 99th percentile (here 100): Z = 10 m / m_ref, so the largest motion gets e^10 the weight.
        QVERIFY(std::abs(w[3] / w[0] - std::exp(10.0f)) < 1e-3f * std::exp(10.0f));
        std::vector<float> mostlyStill(1000, 1.0f);
        mostlyStill[17] = 1e6f;
        QCOMPARE(SoftmaxSplatter::splatWeights(mostlyStill)[17], 1.0f);  // far beyond m_ref: clipped at kMaxZ
        for (float v : w) QVERIFY(v > 0.0f && v <= 1.0f);
    }
};

WAFT_TEST_MAIN(tst_SoftmaxSplatter)
#include "tst_SoftmaxSplatter.moc"
