#include "encode/VideoExporter.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "core/QuietStderr.h"
#include "encode/FfmpegEncoder.h"
#include "encode/GifWriter.h"
#include "encode/WebpWriter.h"

namespace fs = std::filesystem;

namespace waft::engine {

struct VideoExporter::Sinks {
    FfmpegEncoder video;
    GifWriter gif;
    WebpWriter webp;
};

namespace {
bool usesFfmpeg(ExportFormat format) {
    return format == ExportFormat::Mp4 || format == ExportFormat::WebM || format == ExportFormat::Apng;
}
bool subsamplesChroma(ExportFormat format, const ExportParams& params) {
    return (format == ExportFormat::Mp4 || format == ExportFormat::WebM) && !params.chroma444 &&
           params.quality != ExportQuality::Lossless;
}
// The encoders name the temporary file they write; the user knows the target.
Status namedForUser(const Status& status, const std::string& temp, const std::string& target) {
    if (status || temp.empty()) return status;
    std::string message = status.message();
    for (size_t at = message.find(temp); at != std::string::npos; at = message.find(temp, at + target.size()))
        message.replace(at, temp.size(), target);
    return Status::error(status.code(), message);
}
}  // namespace

int exportKeyframeInterval(const ExportParams& params, float fps) {
    if (params.keyframeInterval > 0) return params.keyframeInterval;
    if (params.loopFrames > 0) return params.loopFrames;
    return std::max(1, int(std::lround(2.0 * double(fps))));
}

VideoExporter::VideoExporter() : m_sinks(std::make_unique<Sinks>()) {}

VideoExporter::~VideoExporter() { abort(); }

Status VideoExporter::open(const std::string& path, int width, int height, float fps, const ExportParams& params) {
    abort();
    auto format = exportFormatForPath(path);
    if (!format) return format.status();
    m_format = *format;
    if (width < 2 || height < 2 || width > 16384 || height > 16384)
        return Status::invalid("export size " + std::to_string(width) + "x" + std::to_string(height) +
                               " is out of range");
    if (!(fps > 0.0f && fps <= 240.0f)) return Status::invalid("export fps must be in (0, 240]");
    if (params.crf >= 0 && m_format != ExportFormat::Mp4 && m_format != ExportFormat::WebM)
        return Status::invalid(std::string("--crf applies to MP4 and WebM; ") + exportFormatName(m_format) +
                               " takes --quality");
    if (params.crf > (m_format == ExportFormat::WebM ? 63 : 51))
        return Status::invalid("--crf must be within 0..51 for MP4 (H.264/H.265) and 0..63 for WebM (VP9)");
    m_size = {width, height};
    if (subsamplesChroma(m_format, params)) m_size = {width & ~1, height & ~1};

    std::error_code ec;
    std::string target = path;
    while (target.size() > 1 && target.back() == '/') target.pop_back();
    m_path = target;
    const fs::path parent = fs::path(target).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec))
        return Status::io(fs::exists(parent, ec) ? parent.string() + " is not a folder"
                                                 : "folder " + parent.string() + " does not exist");
    const std::string tag = ".tmp-" + std::to_string(std::random_device{}());
    if (m_format == ExportFormat::PngSequence) {
        if (fs::exists(target, ec) && (!fs::is_directory(target, ec) || !fs::is_empty(target, ec)))
            return Status::io(target + " exists and is not an empty folder");
        m_tempPath = target + tag;
        if (!fs::create_directory(m_tempPath, ec)) return Status::io("cannot create " + m_tempPath);
        m_description = "PNG frames (lossless)";
    } else {
        const fs::path p(target);
        m_tempPath = (p.parent_path() / (p.stem().string() + tag + p.extension().string())).string();
        Status opened;
        if (m_format == ExportFormat::Gif) {
            opened = m_sinks->gif.open(m_tempPath, m_size.width, m_size.height, fps, params.loopFrames > 0);
            m_description = "GIF89a (255-colour palette, ordered dither, changed rectangles)";
        } else if (m_format == ExportFormat::WebP) {
            opened = m_sinks->webp.open(m_tempPath, m_size.width, m_size.height, fps, params);
            m_description = m_sinks->webp.description();
        } else {
            ExportParams encode = params;
            encode.keyframeInterval = exportKeyframeInterval(params, fps);
            opened = m_sinks->video.open(m_tempPath, m_format, m_size.width, m_size.height, fps, encode);
            m_description = m_sinks->video.description();
        }
        if (!opened) {
            m_sinks->video.close();
            m_sinks->gif.close();
            m_sinks->webp.close();
            fs::remove(m_tempPath, ec);
            return namedForUser(opened, m_tempPath, target);
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
            bool written = false;
            {
                QuietStderr quiet;  // libpng prints "libpng error: Write Error" itself
                written = cv::imwrite((fs::path(m_tempPath) / name).string(), frame);
            }
            if (!written)
                return Status::io("cannot write PNG frame " + std::to_string(m_frames) + " into " + m_path +
                                  " (disk full or a file size limit?)");
            break;
        }
        case ExportFormat::Gif:
            WAFT_RETURN_IF_ERROR(namedForUser(m_sinks->gif.write(frame.clone()), m_tempPath, m_path));
            break;
        case ExportFormat::WebP:
            WAFT_RETURN_IF_ERROR(namedForUser(m_sinks->webp.write(frame.clone()), m_tempPath, m_path));
            break;
        default:
            WAFT_RETURN_IF_ERROR(
                namedForUser(m_sinks->video.write(frame.isContinuous() ? frame : frame.clone()), m_tempPath, m_path));
            break;
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
    Status finished;
    if (m_format == ExportFormat::Gif) finished = m_sinks->gif.close();
    if (m_format == ExportFormat::WebP) finished = m_sinks->webp.finish();
    if (usesFfmpeg(m_format)) finished = m_sinks->video.finish();
    if (!finished) {
        const Status named = namedForUser(finished, m_tempPath, m_path);
        abort();
        return named;
    }
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
    m_sinks->video.close();
    m_sinks->gif.close();
    m_sinks->webp.close();
    std::error_code ec;
    fs::remove_all(m_tempPath, ec);
    m_open = false;
    m_tempPath.clear();
}

}  // namespace waft::engine
