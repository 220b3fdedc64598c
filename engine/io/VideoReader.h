#pragma once

#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "core/Job.h"
#include "core/Status.h"

namespace waft::engine {

struct DecodeParams {
    double startSec = 0.0;  // skip frames before this time
    int maxFrames = 150;    // GID analyses 150-frame windows; 0 = all
    int maxLongSide = 640;  // frames are downscaled so the longer side is at most this; 0 = keep
};

// Decoded frames (8-bit BGR) and their presentation times in seconds, strictly increasing.
struct VideoFrames {
    std::vector<cv::Mat> frames;
    std::vector<double> timesSec;
};

// Decodes a video with OpenCV, honouring the real per-frame timestamps (CAP_PROP_POS_MSEC): containers whose
// header frame count or nominal rate lie (tree.avi: 444 frames announced, 68 decode, 0.33-0.73 s apart) are
// read as they are. Frames with a non-increasing timestamp are dropped. Falls back to the nominal rate only
// if the backend reports no timestamps at all.
Expected<VideoFrames> decodeVideo(const std::string& path, const DecodeParams& params, Progress::Range progress,
                                  const CancelToken& cancel);

}  // namespace waft::engine
