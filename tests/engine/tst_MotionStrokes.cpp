// Painted motion strokes and their file: plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "dynamics/MotionStrokes.h"

using namespace waft::engine;

namespace {

// One hostile stroke file's text.
struct HostileStrokes {
    std::string name;
    std::string text;
};

std::vector<HostileStrokes> hostileStrokes() {
    const std::string head = R"({"format": "waft-strokes", "width": 100, "height": 100, )";
    std::string many = head + R"("anchors": [)";
    for (int i = 0; i <= kMaxStrokes; ++i) many += "[1, 1],";
    many.pop_back();
    return {
        {"not json", "hello"},
        {"wrong format", R"({"format": "other", "width": 1, "height": 1})"},
        {"no size", R"({"format": "waft-strokes", "arrows": []})"},
        {"huge size", R"({"format": "waft-strokes", "width": 99999999, "height": 1})"},
        {"negative size", R"({"format": "waft-strokes", "width": -5, "height": 10})"},
        {"size wraps int", R"({"format": "waft-strokes", "width": 4294967297, "height": 10})"},
        {"fractional size", R"({"format": "waft-strokes", "width": 10.5, "height": 10})"},
        {"short arrow", head + R"("arrows": [[1, 2, 3]]})"},
        {"string in arrow", head + R"("arrows": [[1, 2, "x", 4]]})"},
        {"huge coordinate", head + R"("arrows": [[1e30, 2, 3, 4]]})"},
        {"arrows not a list", head + R"("arrows": 7})"},
        {"negative freeze", head + R"("freeze": [[0, 0, -10, 5]]})"},
        {"deep nesting", std::string(100000, '[') + std::string(100000, ']')},
        {"too many anchors", many + "]}"},
    };
}

}  // namespace

TEST(MotionStrokes, RoundTripsThroughAFile) {
    MotionStrokes s;
    s.width = 640;
    s.height = 480;
    s.arrows = {{10.5f, 20.0f, 3.0f, -4.0f}, {100, 200, 0, 7}};
    s.anchors = {{5, 6, 0}};
    s.freeze = {{1, 2, 30, 40}};
    const std::string path = waft::test::tempDir("strokes") + "/s.json";
    ASSERT_TRUE(saveStrokes(path, s).isOk());
    auto back = loadStrokes(path);
    ASSERT_TRUE(back.hasValue()) << back.status().message();
    EXPECT_EQ(back->width, 640);
    EXPECT_EQ(back->height, 480);
    ASSERT_EQ(int(back->arrows.size()), 2);
    EXPECT_FUZZY_EQ(back->arrows[0].x, 10.5f);
    EXPECT_FUZZY_EQ(back->arrows[0].dy, -4.0f);
    EXPECT_EQ(int(back->anchors.size()), 1);
    ASSERT_FALSE(back->freeze.empty());
    EXPECT_FUZZY_EQ(back->freeze[0].height, 40.0f);
}

TEST(MotionStrokes, ScalesToAnotherImageSize) {
    MotionStrokes s;
    s.width = 200;
    s.height = 100;
    s.arrows = {{100, 50, 10, 20}};
    s.freeze = {{20, 10, 40, 20}};
    const MotionStrokes t = s.scaledTo(400, 50);
    ASSERT_EQ(t.arrows.size(), size_t(1));
    ASSERT_EQ(t.freeze.size(), size_t(1));
    EXPECT_FUZZY_EQ(t.arrows[0].x, 200.0f);
    EXPECT_FUZZY_EQ(t.arrows[0].y, 25.0f);
    EXPECT_FUZZY_EQ(t.arrows[0].dx, 20.0f);
    EXPECT_FUZZY_EQ(t.arrows[0].dy, 10.0f);
    EXPECT_FUZZY_EQ(t.freeze[0].width, 80.0f);
    const cv::Mat mask = t.freezeMask();
    ASSERT_EQ(mask.cols, 400);
    ASSERT_EQ(mask.rows, 50);
    EXPECT_EQ(int(mask.at<uint8_t>(10, 50)), 255);
    EXPECT_EQ(int(mask.at<uint8_t>(40, 300)), 0);
}

// Hostile stroke files: each gives one line and no strokes.
class MotionStrokesHostile : public ::testing::TestWithParam<HostileStrokes> {};

TEST_P(MotionStrokesHostile, GiveOneLineAndNoStrokes) {
    auto strokes = strokesFromJson(GetParam().text);
    ASSERT_FALSE(strokes.hasValue());
    EXPECT_FALSE(strokes.status().message().empty());
    EXPECT_EQ(strokes.status().message().find('\n'), std::string::npos) << strokes.status().message();
}

INSTANTIATE_TEST_SUITE_P(MotionStrokes, MotionStrokesHostile, ::testing::ValuesIn(hostileStrokes()),
                         [](const auto& info) { return waft::test::paramName(info.param.name); });

TEST(MotionStrokes, RejectsOversizedAndMissingFiles) {
    const std::string dir = waft::test::tempDir("bigstrokes");
    {
        std::ofstream out(dir + "/big.json");
        out << std::string(17u << 20, ' ');
    }
    EXPECT_FALSE(loadStrokes(dir + "/big.json").hasValue());
    EXPECT_FALSE(loadStrokes(dir + "/none.json").hasValue());
}
