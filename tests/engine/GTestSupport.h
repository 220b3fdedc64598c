#pragma once
// GoogleTest glue shared by the engine suites (Qt-free): the fuzzy float comparison their checks were written
// against, the engine's runtime set-up, and readable names for parameterised rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "TestSupport.h"
#include "core/Runtime.h"

namespace waft::test {

namespace detail {
// QCOMPARE's rule for floating point (Qt 6 QTest::qCompare -> qFuzzyCompare): infinities and NaN must match in
// kind; an expected value that is zero or fuzzily zero is met by |actual| <= nullBound; otherwise
// |actual - expected| * scale <= min(|actual|, |expected|), a relative tolerance of 1 / scale.
template <typename T>
::testing::AssertionResult fuzzyEqual(const char* actualExpr, const char* expectedExpr, T actual, T expected, T scale,
                                      T nullBound) {
    bool same = false;
    if (std::isnan(expected))
        same = std::isnan(actual);
    else if (std::isinf(expected))
        same = std::isinf(actual) && (actual < 0) == (expected < 0);
    else if (std::abs(expected) <= nullBound)
        same = std::abs(actual) <= nullBound;
    else
        same = std::abs(actual - expected) * scale <= std::min(std::abs(actual), std::abs(expected));
    if (same) return ::testing::AssertionSuccess();
    std::ostringstream values;
    values.precision(std::numeric_limits<T>::max_digits10);
    values << actualExpr << " = " << actual << " is not fuzzily equal to " << expectedExpr << " = " << expected
           << " (relative tolerance " << T(1) / scale << ")";
    return ::testing::AssertionFailure() << values.str();
}
}  // namespace detail

// Float: relative 1e-5, an expected zero within 1e-5. Double: relative 1e-12, an expected zero within 1e-12.
inline ::testing::AssertionResult fuzzyEqual(const char* a, const char* e, float actual, float expected) {
    return detail::fuzzyEqual(a, e, actual, expected, 100000.0f, 0.00001f);
}
inline ::testing::AssertionResult fuzzyEqual(const char* a, const char* e, double actual, double expected) {
    return detail::fuzzyEqual(a, e, actual, expected, 1000000000000.0, 0.000000000001);
}

// The engine's process settings (thread counts, quiet library logs) before the first test, as the app and the
// CLI start. Register once per suite that needs them:
//   const auto* const kRuntime = ::testing::AddGlobalTestEnvironment(new waft::test::RuntimeEnvironment);
class RuntimeEnvironment : public ::testing::Environment {
public:
    void SetUp() override { engine::initRuntime(); }
};

// Whether text contains part; a failure shows the whole text.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

// A row label as a GoogleTest parameter name: every character outside [A-Za-z0-9] becomes '_'.
inline std::string paramName(std::string label) {
    for (char& c : label)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return label;
}

}  // namespace waft::test

// What QCOMPARE(actual, expected) checked for float or double (both arguments of the same type).
#define EXPECT_FUZZY_EQ(actual, expected) EXPECT_PRED_FORMAT2(::waft::test::fuzzyEqual, actual, expected)
#define ASSERT_FUZZY_EQ(actual, expected) ASSERT_PRED_FORMAT2(::waft::test::fuzzyEqual, actual, expected)
