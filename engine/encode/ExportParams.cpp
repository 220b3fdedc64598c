#include "encode/ExportParams.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace fs = std::filesystem;

namespace waft::engine {

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
    if (ext == ".webp") return ExportFormat::WebP;
    if (ext == ".apng") return ExportFormat::Apng;
    if (ext == ".gif") return ExportFormat::Gif;
    return Status::invalid("cannot tell the export format of '" + path +
                           "': use .mp4, .webm, .webp, .apng, .gif or a folder path ending in '/'");
}

const char* exportFormatName(ExportFormat format) {
    switch (format) {
        case ExportFormat::Mp4: return "mp4";
        case ExportFormat::WebM: return "webm";
        case ExportFormat::WebP: return "webp";
        case ExportFormat::Apng: return "apng";
        case ExportFormat::Gif: return "gif";
        case ExportFormat::PngSequence: return "png";
    }
    return "?";
}

Expected<ExportQuality> parseExportQuality(const std::string& name) {
    if (name == "draft") return ExportQuality::Draft;
    if (name == "good") return ExportQuality::Good;
    if (name == "best") return ExportQuality::Best;
    if (name == "lossless") return ExportQuality::Lossless;
    return Status::invalid("unknown quality '" + name + "': use draft, good, best or lossless");
}

const char* exportQualityName(ExportQuality quality) {
    switch (quality) {
        case ExportQuality::Draft: return "draft";
        case ExportQuality::Good: return "good";
        case ExportQuality::Best: return "best";
        case ExportQuality::Lossless: return "lossless";
    }
    return "?";
}

Expected<VideoCodec> parseVideoCodec(const std::string& name) {
    if (name == "auto") return VideoCodec::Auto;
    if (name == "h264") return VideoCodec::H264;
    if (name == "h265" || name == "hevc") return VideoCodec::H265;
    return Status::invalid("unknown codec '" + name + "': use h264 or h265");
}

std::int64_t estimateExportBytes(ExportFormat format, const ExportParams& params, int width, int height, int frames,
                                 float fps) {
    // Bits per pixel per frame at 640x480 [draft, good, best, lossless], measured on the bundled sample
    // (docs/BENCHMARKS.md, export table). MP4 has H.264 and H.265 rows.
    static constexpr double kBpp[7][4] = {
        {0.0076, 0.041, 0.083, 2.23},    // mp4 H.264 (without the closing ramp, added below)
        {0.0060, 0.0103, 0.0168, 2.78},  // webm VP9
        {0.073, 0.164, 0.412, 5.39},     // webp (closing ramp included)
        {9.78, 9.78, 9.78, 9.78},        // apng (always lossless; the preset is zlib effort)
        {0.81, 0.81, 0.81, 0.81},        // gif (changed rectangles only after frame 0)
        {12.5, 12.5, 12.5, 12.5},        // png frames
        {0.008, 0.016, 0.038, 2.2},      // mp4 H.265
    };
    // Extra bits per pixel of each frame of H.264's closing ramp (the keyframe and the last 0.8 s at QP -> 1).
    static constexpr double kRampBpp[4] = {0.51, 0.60, 0.63, 0.0};
    const int q = int(params.quality);
    const bool h265 = format == ExportFormat::Mp4 && params.codec == VideoCodec::H265;
    double bpp = kBpp[h265 ? 6 : int(format)][q];
    const bool lossy = params.quality != ExportQuality::Lossless && format != ExportFormat::Apng &&
                       format != ExportFormat::Gif && format != ExportFormat::PngSequence;
    if (params.crf >= 0 && (format == ExportFormat::Mp4 || format == ExportFormat::WebM)) {
        // The rate roughly halves every 6 CRF steps from the Good preset's CRF.
        const int reference = format == ExportFormat::WebM ? 31 : h265 ? 22 : 20;
        bpp = kBpp[h265 ? 6 : int(format)][1] * std::pow(2.0, double(reference - params.crf) / 6.0);
    }
    // Smaller frames carry more detail per pixel: lossy rates scale with about 1/sqrt(pixels), lossless and
    // palette ones far less (fitted on 640x480 and 320x240).
    const double pixels = double(std::max(width, 1)) * double(std::max(height, 1));
    const double density = std::pow(307200.0 / pixels, lossy ? 0.5 : 0.2);
    double bits = bpp * density * pixels * double(std::max(frames, 0));
    if (format == ExportFormat::Mp4 && !h265 && lossy && params.loopFrames > 0) {
        const int ramp = std::min(int(std::lround(0.8 * double(fps))), frames / 4);
        if (ramp >= 2) bits += kRampBpp[q] * density * pixels * double(ramp + 1);
    }
    return std::int64_t(bits / 8.0) + 1024;
}

}  // namespace waft::engine
