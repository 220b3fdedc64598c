#pragma once

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

#include "Status.h"

namespace waft::engine {

enum class ExportFormat { Mp4, WebM, Gif, PngSequence };

// .mp4 -> H.264, .webm -> VP8, .gif -> GIF89a, a path ending in '/' or naming a folder -> PNG sequence
// (DIR/0000.png, DIR/0001.png, ...).
Expected<ExportFormat> exportFormatForPath(const std::string& path);
const char* exportFormatName(ExportFormat format);

// Writes a frame sequence to one of the export formats. Everything is written to a temporary sibling
// (file or folder) first and only commit() moves it into place, so a cancelled or failed export leaves no
// partial output, and an existing file is replaced only by a complete one. Odd sizes are cropped to even
// for the video codecs (4:2:0 chroma). One thread.
class VideoExporter {
public:
    VideoExporter();
    ~VideoExporter();  // aborts if not committed
    VideoExporter(const VideoExporter&) = delete;
    VideoExporter& operator=(const VideoExporter&) = delete;

    Status open(const std::string& path, int width, int height, float fps, bool loop);
    Status write(const cv::Mat& bgr8);
    Status commit();
    void abort();
    int framesWritten() const { return m_frames; }

private:
    struct Sinks;
    std::unique_ptr<Sinks> m_sinks;
    std::string m_path;
    std::string m_tempPath;
    ExportFormat m_format = ExportFormat::Mp4;
    cv::Size m_size;
    int m_frames = 0;
    bool m_open = false;
};

}  // namespace waft::engine
