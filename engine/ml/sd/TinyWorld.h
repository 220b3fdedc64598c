#pragma once
// A text-to-video world small enough to learn on two CPU cores, where what a sample shows can be checked:
// one coloured shape (ball, square, triangle) moving along a path (left, right, up, down, circle, zig-zag,
// bounce) over a textured background, captioned from that vocabulary ("a red ball moving left over grass").
// The backgrounds are desaturated and the shapes saturated, so TinyWorldJudge can segment them. Torch-free;
// every clip is a pure function of its spec and seed.

#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

namespace waft::engine::sd {

enum class WorldColour { Red, Green, Blue, Yellow, Magenta };
enum class WorldShape { Ball, Square, Triangle };
enum class WorldPath { Left, Right, Up, Down, Circle, ZigZag, Bounce };
enum class WorldGround { Grass, Sand, Stone, Water };

constexpr int kWorldColours = 5, kWorldShapes = 3, kWorldPaths = 7, kWorldGrounds = 4;

const char* worldColourName(WorldColour c);
const char* worldShapeName(WorldShape s);
const char* worldPathName(WorldPath p);  // "moving left", "circling", "zig-zagging", "bouncing", ...
const char* worldGroundName(WorldGround g);

struct WorldSpec {
    WorldColour colour = WorldColour::Red;
    WorldShape shape = WorldShape::Ball;
    WorldPath path = WorldPath::Left;
    WorldGround ground = WorldGround::Grass;
    std::string caption() const;  // "a red ball moving left over grass"
};

struct WorldClipParams {
    int width = 32, height = 32;
    int frames = 8;
};

// The clip of `spec` (8-bit BGR frames); `seed` varies the start, speed, size and the ground's texture.
std::vector<cv::Mat> renderWorldClip(const WorldSpec& spec, const WorldClipParams& params, unsigned seed);

// Every combination (5 x 3 x 7 x 4 = 420), in a fixed order; `heldOut` splits them deterministically into
// about 1 in 6 for testing captions never trained on.
std::vector<WorldSpec> allWorldSpecs();
bool isHeldOutWorldSpec(const WorldSpec& spec);

}  // namespace waft::engine::sd
