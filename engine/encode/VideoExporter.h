#pragma once

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

#include "core/Status.h"
#include "encode/ExportParams.h"

namespace waft::engine {

// Keyframe interval for an export. Loop-aware: a loop is encoded as one group of pictures, so the wrap from
// the last frame back to the first is a step from a P-frame to the keyframe that every frame of the loop was
// predicted from: static areas are then bit-identical across the wrap and only the motion differs
// (docs/BENCHMARKS.md measures this against shorter intervals). Non-loops get a keyframe every 2 s for seeking.
int exportKeyframeInterval(const ExportParams& params, float fps);

// Writes a frame sequence to one of the export formats: MP4/WebM/WebP/APNG through FfmpegEncoder, GIF through
// GifWriter, PNG frames through OpenCV. Everything is written to a temporary sibling (file or folder) first
// and only commit() moves it into place, so a cancelled or failed export leaves no partial output, and an
// existing file is replaced only by a complete one. Odd sizes are cropped to even for 4:2:0 video. One thread.
class VideoExporter {
public:
    VideoExporter();
    ~VideoExporter();  // aborts if not committed
    VideoExporter(const VideoExporter&) = delete;
    VideoExporter& operator=(const VideoExporter&) = delete;

    Status open(const std::string& path, int width, int height, float fps, const ExportParams& params = {});
    Status write(const cv::Mat& bgr8);
    Status commit();
    void abort();
    int framesWritten() const { return m_frames; }
    ExportFormat format() const { return m_format; }
    // The encoder and settings chosen ("libx264 crf 20 preset medium yuv420p keyint 240"), after open().
    const std::string& description() const { return m_description; }

private:
    struct Sinks;
    std::unique_ptr<Sinks> m_sinks;
    std::string m_path;
    std::string m_tempPath;
    std::string m_description;
    ExportFormat m_format = ExportFormat::Mp4;
    cv::Size m_size;
    int m_frames = 0;
    bool m_open = false;
};

}  // namespace waft::engine
