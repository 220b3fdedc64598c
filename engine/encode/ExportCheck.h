#pragma once

#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "core/Status.h"

namespace waft::engine {

// Reading an exported file back the way a viewer would, to check what the user gets: every format Waft
// writes (MP4, WebM, APNG and GIF through libavformat/libavcodec with the stream's own colour matrix and
// range; animated WebP through libwebp's demuxer, since FFmpeg 5.1 cannot decode it; PNG frames from their
// folder). Bounded: at most maxFrames frames of at most 16384 pixels a side and maxBytes decoded in all, one
// (maxBytes) frame size throughout, local files in those containers only. Any thread.
struct DecodedAnimation {
    std::vector<cv::Mat> frames;   // BGR, 8 bit
    std::vector<double> timesSec;  // presentation time of each frame
    int loopCount = -1;            // as the file states it: 0 = forever, n = n plays; -1 = the format cannot say
    // What the stream states (libav formats only; empty/-1 otherwise).
    std::string codec;        // "h264", "hevc", "vp9", "apng", "gif"
    std::string pixelFormat;  // "yuv420p", "gbrp", ...
    std::string colorMatrix;  // "bt709", "gbr", "unknown", ...
    std::string colorRange;   // "tv" (limited) or "pc" (full)
    int keyframes = -1;       // packets flagged as keyframes
};
Expected<DecodedAnimation> decodeAnimation(const std::string& path, int maxFrames = 4000,
                                           size_t maxBytes = size_t(2) << 30);

// The frames a viewer shows at times n / fps, n = 0 .. count-1 (count 0: up to the end of the last frame, whose
// duration is taken as the previous one's). Undoes frame merging (libwebp merges identical frames into one
// longer frame) and checks timestamps: a wrongly timed file gives the wrong frames.
std::vector<cv::Mat> framesAtRate(const DecodedAnimation& animation, double fps, int count = 0);

// The loop seam of decoded frames in grey levels: mean absolute difference (all channels) of each step, the
// wrap-around step last -> first reported separately.
struct FrameSeam {
    double wrapStep = 0.0;
    double medianStep = 0.0;
    double maxStep = 0.0;  // largest step other than the wrap
    double ratio() const { return medianStep > 0.0 ? wrapStep / medianStep : 0.0; }
};
FrameSeam measureFrameSeam(const std::vector<cv::Mat>& frames);

// Mean PSNR (dB, 8-bit peak) of decoded frames against reference frames, over the shorter sequence and the
// common top-left area (video codecs crop odd sizes); identical frames count as 99 dB.
double meanPsnr(const std::vector<cv::Mat>& decoded, const std::vector<cv::Mat>& reference);

}  // namespace waft::engine
