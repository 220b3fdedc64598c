#pragma once

#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "core/Status.h"
#include "dynamics/MotionBrush.h"

namespace waft::engine {

struct FreezeRect {
    float x = 0, y = 0, width = 0, height = 0;  // a region that must not move
};

// What the user painted for the motion brush, in the pixels of an image of width x height (the photo as the
// app shows it, or as the user measured it). A value type; any thread.
struct MotionStrokes {
    int width = 0;  // size of the image the coordinates refer to
    int height = 0;
    std::vector<MotionArrow> arrows;
    std::vector<MotionAnchor> anchors;
    std::vector<FreezeRect> freeze;

    // The same strokes in the pixels of an image of another size.
    MotionStrokes scaledTo(int targetWidth, int targetHeight) const;
    // The freeze regions as a mask of the strokes' size (empty when there are none).
    cv::Mat freezeMask() const;
};

// Stroke files (JSON), the one the app saves and `waft-cli brush --strokes` reads:
//   {"format": "waft-strokes", "version": 1, "width": W, "height": H,
//    "arrows": [[x, y, dx, dy], ...], "anchors": [[x, y], ...], "freeze": [[x, y, w, h], ...]}
// Reading is strict: at most 16 MiB, 10000 strokes of each kind, finite coordinates within ten image
// sizes of the image, positive sizes up to 16384.
constexpr int kMaxStrokes = 10000;
std::string strokesToJson(const MotionStrokes& strokes);
Expected<MotionStrokes> strokesFromJson(const std::string& text);
Status saveStrokes(const std::string& path, const MotionStrokes& strokes);
Expected<MotionStrokes> loadStrokes(const std::string& path);

}  // namespace waft::engine
