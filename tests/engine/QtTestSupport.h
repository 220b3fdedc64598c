#pragma once
// QtTest glue for honest skips (TestSupport.h): WAFT_SKIP notes the skip before QSKIP, and WAFT_TEST_MAIN
// returns kSkipExitCode when every test that ran passed but some were skipped.
#include <QtTest>

#include "TestSupport.h"

#define WAFT_SKIP(reason)         \
    do {                          \
        ::waft::test::noteSkip(); \
        QSKIP(reason);            \
    } while (0)

#define WAFT_TEST_MAIN_WITH(TestObject, AppType)                                             \
    int main(int argc, char** argv) {                                                        \
        AppType app(argc, argv);                                                             \
        app.setAttribute(Qt::AA_Use96Dpi, true);                                             \
        TestObject tc;                                                                       \
        QTEST_SET_MAIN_SOURCE_PATH                                                           \
        const int rc = QTest::qExec(&tc, argc, argv);                                        \
        return rc == 0 && ::waft::test::skipsNoted() > 0 ? ::waft::test::kSkipExitCode : rc; \
    }

#define WAFT_TEST_MAIN(TestObject)                                                           \
    int main(int argc, char** argv) {                                                        \
        TestObject tc;                                                                       \
        QTEST_SET_MAIN_SOURCE_PATH                                                           \
        const int rc = QTest::qExec(&tc, argc, argv);                                        \
        return rc == 0 && ::waft::test::skipsNoted() > 0 ? ::waft::test::kSkipExitCode : rc; \
    }
