#include "VideoExporter.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <random>

#include "GifWriter.h"

namespace fs = std::filesystem;

namespace waft::engine {

struct VideoExporter::Sinks {
    cv::VideoWriter video;
    GifWriter gif;
};

namespace {
std::string lowerExtension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}
}  // namespace

Expected<ExportFormat> exportFormatForPath(const std::string& path) {
    std::error_code ec;
    if (!path.empty() && (path.back() == '/' || fs::is_directory(path, ec))) return ExportFormat::PngSequence;
    const std::string ext = lowerExtension(path);
    if (ext == ".mp4") return ExportFormat::Mp4;
    if (ext == ".webm") return ExportFormat::WebM;
    if (ext == ".gif") return ExportFormat::Gif;
    return Status::invalid("cannot tell the export format of '" + path +
                           "': use .mp4, .webm, .gif or a folder path ending in '/'");
}

const char* exportFormatName(ExportFormat format) {
    switch (format) {
        case ExportFormat::Mp4: return "mp4";
        case ExportFormat::WebM: return "webm";
        case ExportFormat::Gif: return "gif";
        case ExportFormat::PngSequence: return "png";
    }
    return "?";
}

VideoExporter::VideoExporter() : m_sinks(std::make_unique<Sinks>()) {}

VideoExporter::~VideoExporter() { abort(); }

Status VideoExporter::open(const std::string& path, int width, int height, float fps, bool loop) {
    abort();
    auto format = exportFormatForPath(path);
    if (!format) return format.status();
    m_format = *format;
    if (width < 2 || height < 2 || width > 16384 || height > 16384)
        return Status::invalid("export size " + std::to_string(width) + "x" + std::to_string(height) + " is out of range");
    if (!(fps > 0.0f && fps <= 240.0f)) return Status::invalid("export fps must be in (0, 240]");
    m_size = {width, height};
    if (m_format == ExportFormat::Mp4 || m_format == ExportFormat::WebM) m_size = {width & ~1, height & ~1};

    std::error_code ec;
    std::string target = path;
    while (target.size() > 1 && target.back() == '/') target.pop_back();
    m_path = target;
    const fs::path parent = fs::path(target).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec)) return Status::io("folder " + parent.string() + " does not exist");
    const std::string tag = ".tmp-" + std::to_string(std::random_device{}());
    if (m_format == ExportFormat::PngSequence) {
        if (fs::exists(target, ec) && (!fs::is_directory(target, ec) || !fs::is_empty(target, ec)))
            return Status::io(target + " exists and is not an empty folder");
        m_tempPath = target + tag;
        if (!fs::create_directory(m_tempPath, ec)) return Status::io("cannot create " + m_tempPath);
    } else {
        const fs::path p(target);
        m_tempPath = (p.parent_path() / (p.stem().string() + tag + p.extension().string())).string();
        if (m_format == ExportFormat::Gif) {
            WAFT_RETURN_IF_ERROR(m_sinks->gif.open(m_tempPath, m_size.width, m_size.height, fps, loop));
        } else {
            const int fourcc = m_format == ExportFormat::Mp4 ? cv::VideoWriter::fourcc('a', 'v', 'c', '1')
                                                             : cv::VideoWriter::fourcc('V', 'P', '8', '0');
            if (!m_sinks->video.open(m_tempPath, cv::CAP_FFMPEG, fourcc, double(fps), m_size, true)) {
                std::remove(m_tempPath.c_str());
                return Status::io(std::string("cannot open a ") + exportFormatName(m_format) + " encoder for " + path);
            }
        }
    }
    m_frames = 0;
    m_open = true;
    return Status::ok();
}

Status VideoExporter::write(const cv::Mat& bgr8) {
    if (!m_open) return Status::invalid("exporter is not open");
    if (bgr8.type() != CV_8UC3 || bgr8.cols < m_size.width || bgr8.rows < m_size.height)
        return Status::invalid("export frame has the wrong size or type");
    const cv::Mat frame = bgr8(cv::Rect(0, 0, m_size.width, m_size.height));
    switch (m_format) {
        case ExportFormat::PngSequence: {
            char name[32];
            std::snprintf(name, sizeof name, "%04d.png", m_frames);
            if (!cv::imwrite((fs::path(m_tempPath) / name).string(), frame))
                return Status::io("cannot write PNG frame " + std::to_string(m_frames));
            break;
        }
        case ExportFormat::Gif: WAFT_RETURN_IF_ERROR(m_sinks->gif.write(frame.clone())); break;
        default: m_sinks->video.write(frame); break;
    }
    ++m_frames;
    return Status::ok();
}

Status VideoExporter::commit() {
    if (!m_open) return Status::invalid("exporter is not open");
    if (m_frames == 0) {
        abort();
        return Status::invalid("nothing to export: no frames");
    }
    if (m_format == ExportFormat::Gif) WAFT_RETURN_IF_ERROR(m_sinks->gif.close());
    if (m_format == ExportFormat::Mp4 || m_format == ExportFormat::WebM) m_sinks->video.release();
    std::error_code ec;
    if (m_format == ExportFormat::PngSequence && fs::is_directory(m_path, ec)) fs::remove(m_path, ec);  // empty
    fs::rename(m_tempPath, m_path, ec);
    if (ec) {
        const std::string reason = ec.message();
        abort();
        return Status::io("cannot move the export into place at " + m_path + ": " + reason);
    }
    m_open = false;
    m_tempPath.clear();
    return Status::ok();
}

void VideoExporter::abort() {
    if (!m_open) return;
    m_sinks->video.release();
    m_sinks->gif.close();
    std::error_code ec;
    fs::remove_all(m_tempPath, ec);
    m_open = false;
    m_tempPath.clear();
}

}  // namespace waft::engine
