#include "QtTestSupport.h"
#include <QtTest>
#include <fstream>

#include "TestSupport.h"
#include "dynamics/MotionStrokes.h"

using namespace waft::engine;

class tst_MotionStrokes : public QObject {
    Q_OBJECT
private slots:
    void roundTripsThroughAFile() {
        MotionStrokes s;
        s.width = 640;
        s.height = 480;
        s.arrows = {{10.5f, 20.0f, 3.0f, -4.0f}, {100, 200, 0, 7}};
        s.anchors = {{5, 6, 0}};
        s.freeze = {{1, 2, 30, 40}};
        const std::string path = waft::test::tempDir("strokes") + "/s.json";
        QVERIFY(saveStrokes(path, s).isOk());
        auto back = loadStrokes(path);
        QVERIFY2(back.hasValue(), back.status().message().c_str());
        QCOMPARE(back->width, 640);
        QCOMPARE(back->height, 480);
        QCOMPARE(int(back->arrows.size()), 2);
        QCOMPARE(back->arrows[0].x, 10.5f);
        QCOMPARE(back->arrows[0].dy, -4.0f);
        QCOMPARE(int(back->anchors.size()), 1);
        QCOMPARE(back->freeze[0].height, 40.0f);
    }

    void scalesToAnotherImageSize() {
        MotionStrokes s;
        s.width = 200;
        s.height = 100;
        s.arrows = {{100, 50, 10, 20}};
        s.freeze = {{20, 10, 40, 20}};
        const MotionStrokes t = s.scaledTo(400, 50);
        QCOMPARE(t.arrows[0].x, 200.0f);
        QCOMPARE(t.arrows[0].y, 25.0f);
        QCOMPARE(t.arrows[0].dx, 20.0f);
        QCOMPARE(t.arrows[0].dy, 10.0f);
        QCOMPARE(t.freeze[0].width, 80.0f);
        const cv::Mat mask = t.freezeMask();
        QCOMPARE(mask.cols, 400);
        QCOMPARE(mask.rows, 50);
        QCOMPARE(int(mask.at<uint8_t>(10, 50)), 255);
        QCOMPARE(int(mask.at<uint8_t>(40, 300)), 0);
    }

    // Hostile stroke files: each gives one line and no strokes.
    void rejectsHostileFiles_data() {
        QTest::addColumn<QString>("text");
        const QString head = R"({"format": "waft-strokes", "width": 100, "height": 100, )";
        QTest::newRow("not json") << "hello";
        QTest::newRow("wrong format") << R"({"format": "other", "width": 1, "height": 1})";
        QTest::newRow("no size") << R"({"format": "waft-strokes", "arrows": []})";
        QTest::newRow("huge size") << R"({"format": "waft-strokes", "width": 99999999, "height": 1})";
        QTest::newRow("negative size") << R"({"format": "waft-strokes", "width": -5, "height": 10})";
        QTest::newRow("size wraps int") << R"({"format": "waft-strokes", "width": 4294967297, "height": 10})";
        QTest::newRow("fractional size") << R"({"format": "waft-strokes", "width": 10.5, "height": 10})";
        QTest::newRow("short arrow") << head + R"("arrows": [[1, 2, 3]]})";
        QTest::newRow("string in arrow") << head + R"("arrows": [[1, 2, "x", 4]]})";
        QTest::newRow("huge coordinate") << head + R"("arrows": [[1e30, 2, 3, 4]]})";
        QTest::newRow("arrows not a list") << head + R"("arrows": 7})";
        QTest::newRow("negative freeze") << head + R"("freeze": [[0, 0, -10, 5]]})";
        QTest::newRow("deep nesting") << QString(100000, '[') + QString(100000, ']');
        QString many = head + R"("anchors": [)";
        for (int i = 0; i <= kMaxStrokes; ++i) many += QStringLiteral("[1, 1],");
        many.chop(1);
        QTest::newRow("too many anchors") << many + "]}";
    }
    void rejectsHostileFiles() {
        QFETCH(QString, text);
        auto strokes = strokesFromJson(text.toStdString());
        QVERIFY(!strokes.hasValue());
        QVERIFY(!strokes.status().message().empty());
        QVERIFY(strokes.status().message().find('\n') == std::string::npos);
    }

    void rejectsOversizedAndMissingFiles() {
        const std::string dir = waft::test::tempDir("bigstrokes");
        {
            std::ofstream out(dir + "/big.json");
            out << std::string(17u << 20, ' ');
        }
        QVERIFY(!loadStrokes(dir + "/big.json").hasValue());
        QVERIFY(!loadStrokes(dir + "/none.json").hasValue());
    }
};

WAFT_TEST_MAIN(tst_MotionStrokes)
#include "tst_MotionStrokes.moc"
