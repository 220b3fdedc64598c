#pragma once
// The procedural judge of TinyWorld clips: segments the saturated shape from the desaturated ground, names its
// colour (hue), its shape (how much of its bounding box it fills: square ~1, ball ~0.79, triangle ~0.5) and its
// path (from the centroid track: net displacement, ranges, path length and vertical turns). Torch-free. Its
// accuracy on rendered ground truth is tested; on samples it is the benchmark's score.

#include <opencv2/core/mat.hpp>
#include <optional>
#include <vector>

#include "ml/sd/TinyWorld.h"

namespace waft::engine::sd {

struct WorldJudgement {
    bool found = false;  // a shape was segmented in at least half the frames
    WorldColour colour = WorldColour::Red;
    WorldShape shape = WorldShape::Ball;
    WorldPath path = WorldPath::Left;
};

WorldJudgement judgeWorldClip(const std::vector<cv::Mat>& frames);

}  // namespace waft::engine::sd
