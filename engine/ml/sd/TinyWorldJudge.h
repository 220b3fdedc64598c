#pragma once
// The procedural judge of TinyWorld clips: segments the saturated shape from the desaturated ground, names its
// colour (hue), its shape (how much of its bounding box it fills: square ~1, ball ~0.79, triangle ~0.5) and its
// path (from the centroid track: net displacement, ranges, path length and vertical turns). Torch-free. Its
// accuracy on rendered ground truth is tested; on samples it is the benchmark's score.

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>
#include <optional>
#include <vector>

#include "ml/sd/TinyWorld.h"

namespace waft::engine::sd {

struct WorldJudgement {
    bool found = false;  // a shape was segmented in at least half the frames
    WorldColour colour = WorldColour::Red;
    WorldShape shape = WorldShape::Ball;
    WorldPath path = WorldPath::Left;
    // The shape's centroid in every frame, in units of the frame's width and height (nullopt where none was
    // segmented).
    std::vector<std::optional<cv::Point2d>> track;
    // Each frame's own reading of the shape (nullopt where none was segmented).
    std::vector<std::optional<WorldColour>> frameColours;
    std::vector<std::optional<WorldShape>> frameShapes;
    // Frame consistency: the share of frames whose own colour and shape are the clip's (0 when none found).
    double consistency() const;
};

WorldJudgement judgeWorldClip(const std::vector<cv::Mat>& frames);

// Motion fidelity: the mean distance between two tracks over the frames the reference's shape was seen in, in
// frame units; a frame where the other's shape is missing counts 0.5 (half the frame). 0.5 when the reference
// was never seen.
double trackDistance(const WorldJudgement& reference, const WorldJudgement& other);

}  // namespace waft::engine::sd
