#include "io/VideoReader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace waft::engine {

Expected<VideoFrames> decodeVideo(const std::string& path, const DecodeParams& params, Progress::Range progress,
                                  const CancelToken& cancel) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return Status::io("cannot open " + path + ": no such file");
    cv::VideoCapture capture(path, cv::CAP_FFMPEG);
    if (!capture.isOpened()) return Status::corrupt(path + ": not a video OpenCV can decode");
    capture.set(cv::CAP_PROP_ORIENTATION_AUTO, 1.0);  // phone clips: upright as their rotation metadata says
    const double nominalFps = capture.get(cv::CAP_PROP_FPS);
    const double announced = capture.get(cv::CAP_PROP_FRAME_COUNT);
    const int limit = params.maxFrames > 0 ? params.maxFrames : 100000;

    VideoFrames out;
    cv::Mat frame;
    int decoded = 0;
    bool anyTimestamp = false;
    while (int(out.frames.size()) < limit && capture.read(frame)) {
        if (cancel.isCancelled()) return Status::cancelled();
        if (frame.empty() || frame.depth() != CV_8U) continue;
        double t = capture.get(cv::CAP_PROP_POS_MSEC) / 1000.0;
        // The frames FFmpeg drains at the end of a stream with B-frames (the last two of an x264 file) report 0:
        // they follow the last one at the stream's pace.
        if (anyTimestamp && t == 0.0 && !out.timesSec.empty()) {
            const size_t n = out.timesSec.size();
            const double step = n >= 2           ? out.timesSec[n - 1] - out.timesSec[n - 2]
                                : nominalFps > 0 ? 1.0 / nominalFps
                                                 : 0.0;
            if (step > 0.0) t = out.timesSec.back() + step;
        }
        anyTimestamp = anyTimestamp || t > 0.0;
        if (!anyTimestamp && decoded > 0 && nominalFps > 0) t = decoded / nominalFps;
        ++decoded;
        if (!std::isfinite(t) || t + 1e-9 < params.startSec) continue;
        if (!out.timesSec.empty() && t <= out.timesSec.back()) continue;
        if (frame.channels() == 1) cv::cvtColor(frame, frame, cv::COLOR_GRAY2BGR);
        if (frame.channels() == 4) cv::cvtColor(frame, frame, cv::COLOR_BGRA2BGR);
        const int longSide = std::max(frame.cols, frame.rows);
        if (params.maxLongSide > 0 && longSide > params.maxLongSide) {
            const double scale = double(params.maxLongSide) / longSide;
            cv::resize(frame, frame, cv::Size(), scale, scale, cv::INTER_AREA);
        }
        out.frames.push_back(frame.clone());
        out.timesSec.push_back(t);
        if (announced > 0)
            progress.report(float(std::min(1.0, decoded / std::min(announced, double(limit)))), "decoding");
    }
    if (out.frames.empty())
        return Status::corrupt(path + ": no decodable frames after " + std::to_string(params.startSec) + " s");
    progress.report(1.0f, "decoding");
    return out;
}

}  // namespace waft::engine
