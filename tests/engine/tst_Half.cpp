// Half-precision conversion: plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <opencv2/core.hpp>

#include "GTestSupport.h"
#include "core/Half.h"

using namespace waft::engine;

// Every finite half survives half -> float -> half bit-exactly (NaN payloads stay NaN).
TEST(Half, EveryHalfRoundTrips) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = halfToFloat(uint16_t(h));
        if (std::isnan(f)) {
            ASSERT_TRUE(std::isnan(halfToFloat(floatToHalf(f)))) << "half 0x" << std::hex << h;
            continue;
        }
        ASSERT_EQ(floatToHalf(f), uint16_t(h)) << "half 0x" << std::hex << h;
    }
}

TEST(Half, KnownEncodings) {
    EXPECT_EQ(floatToHalf(1.0f), uint16_t(0x3c00));
    EXPECT_EQ(floatToHalf(-2.0f), uint16_t(0xc000));
    EXPECT_EQ(floatToHalf(65504.0f), uint16_t(0x7bff));
    EXPECT_EQ(floatToHalf(1e6f), uint16_t(0x7c00));                   // overflow -> inf
    EXPECT_EQ(floatToHalf(5.9604645e-8f), uint16_t(0x0001));          // smallest subnormal
    EXPECT_EQ(floatToHalf(1.0f + 1.0f / 2048.0f), uint16_t(0x3c00));  // tie rounds to even
    EXPECT_FUZZY_EQ(halfToFloat(0x3555), 0.333251953125f);
}
