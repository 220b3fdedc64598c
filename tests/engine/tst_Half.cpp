#include "QtTestSupport.h"
#include <QtTest>
#include <cmath>
#include <cstring>
#include <opencv2/core.hpp>

#include "core/Half.h"

using namespace waft::engine;

class tst_Half : public QObject {
    Q_OBJECT
private slots:
    // Every finite half survives half -> float -> half bit-exactly (NaN payloads stay NaN).
    void everyHalfRoundTrips() {
        for (uint32_t h = 0; h < 0x10000; ++h) {
            const float f = halfToFloat(uint16_t(h));
            if (std::isnan(f)) {
                QVERIFY(std::isnan(halfToFloat(floatToHalf(f))));
                continue;
            }
            QCOMPARE(floatToHalf(f), uint16_t(h));
        }
    }
    void knownEncodings() {
        QCOMPARE(floatToHalf(1.0f), uint16_t(0x3c00));
        QCOMPARE(floatToHalf(-2.0f), uint16_t(0xc000));
        QCOMPARE(floatToHalf(65504.0f), uint16_t(0x7bff));
        QCOMPARE(floatToHalf(1e6f), uint16_t(0x7c00));                   // overflow -> inf
        QCOMPARE(floatToHalf(5.9604645e-8f), uint16_t(0x0001));          // smallest subnormal
        QCOMPARE(floatToHalf(1.0f + 1.0f / 2048.0f), uint16_t(0x3c00));  // tie rounds to even
        QCOMPARE(halfToFloat(0x3555), 0.333251953125f);
    }
};

WAFT_TEST_MAIN(tst_Half)
#include "tst_Half.moc"
