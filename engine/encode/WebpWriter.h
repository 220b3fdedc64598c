#pragma once

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

#include "core/Status.h"
#include "encode/ExportParams.h"

namespace waft::engine {

// Animated WebP through libwebp's own animation encoder (not FFmpeg's wrapper, which exposes neither
// keyframe placement nor per-frame quality). Lossless, or lossy at the preset's quality; loops forever when
// the frames are a loop. Loop-aware like the H.264 path: no keyframes inside the loop (each would pop), and
// a closing ramp that raises the quality of the keyframe and the last ~0.8 s to 100, so both sides of the
// wrap sit on the source (docs/BENCHMARKS.md). Frame timestamps are whole milliseconds (the format's unit),
// rounded from n / fps so they never drift. The animation is assembled in memory and written by close().
// Writes straight to the given path; the caller provides atomicity. One thread.
class WebpWriter {
public:
    WebpWriter();
    ~WebpWriter();
    WebpWriter(const WebpWriter&) = delete;
    WebpWriter& operator=(const WebpWriter&) = delete;

    Status open(const std::string& path, int width, int height, float fps, const ExportParams& params);
    Status write(const cv::Mat& bgr8);
    Status finish();
    void close();
    const std::string& description() const { return m_description; }

private:
    struct State;
    std::unique_ptr<State> m_state;
    std::string m_description;
};

}  // namespace waft::engine
