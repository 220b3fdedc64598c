#pragma once

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "core/Status.h"
#include "encode/ExportParams.h"

namespace waft::engine {

// Encodes BGR frames into MP4 (H.264/H.265), WebM (VP9) or APNG through FFmpeg's own libraries
// (libavformat, libavcodec, libswscale): explicit codec, pixel format, CRF and preset per quality, keyframe
// interval, BT.709 colour metadata with the range stated (limited for YUV, full for the RGB-coded lossless
// preset), exact timestamps (frame n at n / fps, fps kept as a rational), `+faststart` for MP4, "loop
// forever" for APNG when the frames are a loop, and the closing ramp for H.264 loops (see the .cpp). Writes straight to
// the given path; the caller (VideoExporter) provides atomicity. One thread. libav types stay in the .cpp.
class FfmpegEncoder {
public:
    FfmpegEncoder();
    ~FfmpegEncoder();
    FfmpegEncoder(const FfmpegEncoder&) = delete;
    FfmpegEncoder& operator=(const FfmpegEncoder&) = delete;

    // width and height must already suit the format (even for 4:2:0).
    Status open(const std::string& path, ExportFormat format, int width, int height, float fps,
                const ExportParams& params);
    Status write(const cv::Mat& bgr8);
    Status finish();  // flushes the encoder and writes the trailer; the file is complete after an ok finish()
    void close();     // releases everything (an unfinished file is left for the caller to delete)

    // What was chosen, e.g. "libx264 crf 20 preset medium yuv420p keyint 240" (valid after open()).
    const std::string& description() const { return m_description; }

    // Name of the encoder a format and codec choice use ("libx264", "libvpx-vp9", ...), and whether this
    // system's FFmpeg has it.
    static const char* encoderName(ExportFormat format, const ExportParams& params);
    static bool hasEncoder(const char* name);

private:
    struct State;
    std::unique_ptr<State> m_state;
    std::string m_description;
};

// Frames (BGR8, one size) as an MP4 at `fps` with the default parameters, written beside `path` and renamed onto
// it: a failure leaves no partial file and an existing one untouched. The video jobs' and `waft-cli invert`'s
// results.
Status writeMp4Atomically(const std::string& path, const std::vector<cv::Mat>& frames, float fps);

}  // namespace waft::engine
