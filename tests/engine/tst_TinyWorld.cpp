// The tiny text-to-video world and its judge (torch-free): captions say what the clips show, clips are pure
// functions of spec and seed, and the judge reads colour, shape and path back from rendered ground truth (its
// accuracy bounds what the benchmark can measure).
#include <gtest/gtest.h>

#include <map>
#include <opencv2/core.hpp>

#include "ml/sd/TinyWorld.h"
#include "ml/sd/TinyWorldJudge.h"

using namespace waft::engine::sd;

TEST(TinyWorld, CaptionsAndSplitsCoverTheVocabulary) {
    const auto specs = allWorldSpecs();
    ASSERT_EQ(specs.size(), size_t(kWorldColours * kWorldShapes * kWorldPaths * kWorldGrounds));
    EXPECT_EQ(specs[0].caption(), "a red ball moving left over grass");
    WorldSpec s{WorldColour::Magenta, WorldShape::Triangle, WorldPath::ZigZag, WorldGround::Water};
    EXPECT_EQ(s.caption(), "a magenta triangle zig-zagging over water");
    int heldOut = 0;
    std::map<int, int> heldColours, heldPaths;
    for (const WorldSpec& spec : specs)
        if (isHeldOutWorldSpec(spec)) ++heldOut, ++heldColours[int(spec.colour)], ++heldPaths[int(spec.path)];
    EXPECT_NEAR(double(heldOut) / double(specs.size()), 1.0 / 6.0, 0.02);
    EXPECT_EQ(heldColours.size(), size_t(kWorldColours));  // every word still appears in both splits
    EXPECT_EQ(heldPaths.size(), size_t(kWorldPaths));
}

TEST(TinyWorld, ClipsArePureFunctionsOfSpecAndSeed) {
    const WorldSpec spec{WorldColour::Blue, WorldShape::Square, WorldPath::Right, WorldGround::Sand};
    const auto a = renderWorldClip(spec, {}, 7), b = renderWorldClip(spec, {}, 7), c = renderWorldClip(spec, {}, 8);
    ASSERT_EQ(a.size(), 8u);
    EXPECT_EQ(a[0].size(), cv::Size(32, 32));
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(cv::norm(a[i], b[i], cv::NORM_INF), 0.0);
    EXPECT_GT(cv::norm(a[0], c[0], cv::NORM_INF), 0.0);
    EXPECT_GT(cv::norm(a[0], a[7], cv::NORM_INF), 0.0);  // it moves
}

// On every spec with three seeds (1,260 clips) the judge reads back colour and shape, and the path: all but a
// few percent (it is the ceiling of the benchmark's scores), far above chance (1/15 and 1/7).
TEST(TinyWorld, JudgeReadsGroundTruthBack) {
    int total = 0, colourShape = 0, path = 0, found = 0;
    std::map<std::string, int> pathMisses;
    for (const WorldSpec& spec : allWorldSpecs())
        for (unsigned seed = 0; seed < 3; ++seed) {
            const WorldJudgement j = judgeWorldClip(renderWorldClip(spec, {}, seed));
            ++total;
            found += j.found;
            colourShape += j.found && j.colour == spec.colour && j.shape == spec.shape;
            path += j.found && j.path == spec.path;
            if (j.path != spec.path) ++pathMisses[worldPathName(spec.path)];
        }
    EXPECT_EQ(found, total);
    EXPECT_GE(double(colourShape) / total, 0.97) << colourShape << " of " << total;
    EXPECT_GE(double(path) / total, 0.95) << path << " of " << total;
    std::printf("judge on ground truth: colour and shape %d, path %d, of %d\n", colourShape, path, total);
    for (const auto& [name, misses] : pathMisses) std::printf("path misses: %s %d\n", name.c_str(), misses);
    // An empty frame sequence or plain ground is "not found", never a crash.
    EXPECT_FALSE(judgeWorldClip({}).found);
    EXPECT_FALSE(judgeWorldClip(std::vector<cv::Mat>(4, cv::Mat(32, 32, CV_8UC3, cv::Scalar(90, 100, 110)))).found);
}
