#pragma once

#include <cstdint>
#include <string>

#include "core/Status.h"

namespace waft::engine {

enum class ExportFormat { Mp4, WebM, WebP, Apng, Gif, PngSequence };

// Quality presets. Lossless keeps every pixel: RGB-coded H.264/H.265/VP9 (not playable in browsers), lossless
// WebP; APNG, PNG frames and GIF ignore the preset (the first two are always lossless, GIF is palette-limited).
enum class ExportQuality { Draft, Good, Best, Lossless };

enum class VideoCodec { Auto, H264, H265 };  // for MP4; WebM is always VP9

// How an export is encoded. Plain value type; any thread.
struct ExportParams {
    ExportQuality quality = ExportQuality::Good;
    int crf = -1;  // >= 0 overrides the preset's CRF (x264/x265 0..51, VP9 0..63)
    VideoCodec codec = VideoCodec::Auto;
    bool chroma444 = false;    // yuv444p instead of yuv420p for the lossy video codecs (not for players)
    int keyframeInterval = 0;  // frames between keyframes; 0 = the loop-aware choice (VideoExporter.h)
    int loopFrames = 0;        // > 0: the frames are one period of a seamless loop; looping formats loop forever
};

// .mp4 -> H.264 (or H.265), .webm -> VP9, .webp -> animated WebP, .apng -> APNG, .gif -> GIF89a, a path ending
// in '/' or naming a folder -> PNG sequence (DIR/0000.png, DIR/0001.png, ...).
Expected<ExportFormat> exportFormatForPath(const std::string& path);
const char* exportFormatName(ExportFormat format);  // "mp4", "webm", "webp", "apng", "gif", "png"

Expected<ExportQuality> parseExportQuality(const std::string& name);  // draft|good|best|lossless
const char* exportQualityName(ExportQuality quality);
Expected<VideoCodec> parseVideoCodec(const std::string& name);  // auto|h264|h265

// Expected file size of an export, from bits per pixel per frame measured on the bundled sample for each
// format and preset (docs/BENCHMARKS.md, export table), plus H.264's closing ramp for loops. A guide for the
// export dialog, not a promise: footage with more texture or motion encodes larger.
std::int64_t estimateExportBytes(ExportFormat format, const ExportParams& params, int width, int height, int frames,
                                 float fps);

}  // namespace waft::engine
