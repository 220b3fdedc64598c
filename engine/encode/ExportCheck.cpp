#include "encode/ExportCheck.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "encode/ExportParams.h"
#include "io/ImageFile.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}
#include <webp/demux.h>

namespace fs = std::filesystem;

namespace waft::engine {

namespace {

constexpr int kMaxSide = 16384;
// Adds a decoded frame, refusing a size change mid-stream and more than maxBytes in all: a file alone never
// decides how much memory the check takes.
Status admit(DecodedAnimation& out, cv::Mat frame, double timeSec, const std::string& path, size_t maxBytes) {
    if (!out.frames.empty() && frame.size() != out.frames.front().size())
        return Status::corrupt(path + ": the frame size changes mid-stream");
    const size_t bytes = frame.total() * frame.elemSize();
    if ((out.frames.size() + 1) * bytes > maxBytes)
        return Status::invalid(path + ": too large to check (more than " + std::to_string(maxBytes >> 20) +
                               " MiB decoded)");
    out.frames.push_back(std::move(frame));
    out.timesSec.push_back(timeSec);
    return Status::ok();
}
constexpr std::uintmax_t kMaxWebpBytes = std::uintmax_t(1) << 30;

struct AvDeleter {
    void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
    void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
    void operator()(AVFrame* p) const { av_frame_free(&p); }
    void operator()(AVPacket* p) const { av_packet_free(&p); }
    void operator()(SwsContext* p) const { sws_freeContext(p); }
};
template <typename T>
using AvPtr = std::unique_ptr<T, AvDeleter>;

bool isRgbLike(AVPixelFormat format) {
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    return d && (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL));
}

// The loop count a GIF (NETSCAPE2.0 block) or APNG (acTL chunk) states, from the first 64 KiB.
int statedLoopCount(const std::string& path, ExportFormat format) {
    std::ifstream in(path, std::ios::binary);
    std::string head(65536, '\0');
    in.read(head.data(), std::streamsize(head.size()));
    head.resize(size_t(in.gcount()));
    const auto byte = [&](size_t i) { return int(static_cast<unsigned char>(head[i])); };
    if (format == ExportFormat::Gif) {
        const size_t at = head.find("NETSCAPE2.0");
        if (at == std::string::npos) return 1;  // no looping extension: plays once
        if (at + 15 >= head.size() || byte(at + 11) != 3 || byte(at + 12) != 1) return -1;
        return byte(at + 13) | (byte(at + 14) << 8);
    }
    const size_t at = head.find("acTL");
    if (at == std::string::npos || at + 12 > head.size()) return -1;
    const uint32_t plays = (uint32_t(byte(at + 8)) << 24) | (uint32_t(byte(at + 9)) << 16) |
                           (uint32_t(byte(at + 10)) << 8) | uint32_t(byte(at + 11));
    return plays > 65535u ? -1 : int(plays);
}

Expected<DecodedAnimation> decodeWebp(const std::string& path, int maxFrames, size_t maxBytes) {
    std::error_code ec;
    const std::uintmax_t bytes = fs::file_size(path, ec);
    if (ec || bytes == 0 || bytes > kMaxWebpBytes) return Status::io("cannot read " + path);
    std::string data(size_t(bytes), '\0');
    std::ifstream in(path, std::ios::binary);
    if (!in.read(data.data(), std::streamsize(bytes))) return Status::io("cannot read " + path);
    WebPData webp{reinterpret_cast<const uint8_t*>(data.data()), data.size()};
    WebPAnimDecoderOptions options;
    if (!WebPAnimDecoderOptionsInit(&options)) return Status::io("libwebp version mismatch");
    options.color_mode = MODE_BGRA;
    options.use_threads = 0;
    std::unique_ptr<WebPAnimDecoder, void (*)(WebPAnimDecoder*)> decoder(WebPAnimDecoderNew(&webp, &options),
                                                                         WebPAnimDecoderDelete);
    if (!decoder) return Status::corrupt(path + " is not a readable WebP file");
    WebPAnimInfo info;
    if (!WebPAnimDecoderGetInfo(decoder.get(), &info)) return Status::corrupt(path + ": bad WebP header");
    if (info.canvas_width == 0 || info.canvas_height == 0 || info.canvas_width > kMaxSide ||
        info.canvas_height > kMaxSide)
        return Status::corrupt(path + ": WebP canvas size out of range");
    DecodedAnimation out;
    out.loopCount = int(info.loop_count);
    int previousEndMs = 0;
    while (WebPAnimDecoderHasMoreFrames(decoder.get()) && int(out.frames.size()) < maxFrames) {
        uint8_t* pixels = nullptr;
        int endMs = 0;  // libwebp reports when the frame ends
        if (!WebPAnimDecoderGetNext(decoder.get(), &pixels, &endMs)) return Status::corrupt(path + ": bad WebP frame");
        const cv::Mat bgra(int(info.canvas_height), int(info.canvas_width), CV_8UC4, pixels);
        cv::Mat bgr;
        cv::cvtColor(bgra, bgr, cv::COLOR_BGRA2BGR);
        WAFT_RETURN_IF_ERROR(admit(out, std::move(bgr), previousEndMs / 1000.0, path, maxBytes));
        previousEndMs = endMs;
    }
    return out;
}

Expected<DecodedAnimation> decodePngFolder(const std::string& path, int maxFrames, size_t maxBytes) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
        if (entry.path().extension() == ".png") files.push_back(entry.path());
        if (int(files.size()) > maxFrames) break;
    }
    if (ec) return Status::io("cannot list " + path);
    std::sort(files.begin(), files.end());
    DecodedAnimation out;
    for (const fs::path& file : files) {
        if (int(out.frames.size()) == maxFrames) break;
        auto read = readImage(file.string());
        if (!read) return read.status();
        cv::Mat frame = std::move(read).value();
        WAFT_RETURN_IF_ERROR(admit(out, std::move(frame), double(out.timesSec.size()), path, maxBytes));
    }
    return out;
}

Expected<DecodedAnimation> decodeWithLibav(const std::string& path, ExportFormat format, int maxFrames,
                                           size_t maxBytes) {
    AVFormatContext* raw = nullptr;
    // Only local files in the containers Waft writes: a "video" that is really a playlist must not make the
    // checker open URLs or other files.
    AVDictionary* options = nullptr;
    av_dict_set(&options, "protocol_whitelist", "file", 0);
    av_dict_set(&options, "format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,apng,gif", 0);
    const int opened = avformat_open_input(&raw, path.c_str(), nullptr, &options);
    av_dict_free(&options);
    if (opened < 0) return Status::io("cannot open " + path + " as an MP4, WebM, APNG or GIF file");
    AvPtr<AVFormatContext> input(raw);
    if (avformat_find_stream_info(input.get(), nullptr) < 0) return Status::corrupt(path + ": no stream information");
    const AVCodec* codec = nullptr;
    const int index = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (index < 0 || !codec) return Status::corrupt(path + " has no decodable video stream");
    const AVStream* stream = input->streams[index];
    AvPtr<AVCodecContext> decoder(avcodec_alloc_context3(codec));
    if (!decoder || avcodec_parameters_to_context(decoder.get(), stream->codecpar) < 0 ||
        avcodec_open2(decoder.get(), codec, nullptr) < 0)
        return Status::corrupt(path + ": cannot open its decoder");
    AvPtr<AVPacket> packet(av_packet_alloc());
    AvPtr<AVFrame> frame(av_frame_alloc());
    AvPtr<SwsContext> sws;
    DecodedAnimation out;
    out.loopCount = format == ExportFormat::Gif || format == ExportFormat::Apng ? statedLoopCount(path, format) : -1;
    const auto drain = [&]() -> Status {
        while (avcodec_receive_frame(decoder.get(), frame.get()) == 0) {
            if (int(out.frames.size()) >= maxFrames) continue;
            if (frame->width <= 0 || frame->height <= 0 || frame->width > kMaxSide || frame->height > kMaxSide)
                return Status::corrupt(path + ": frame size out of range");
            const auto pixelFormat = AVPixelFormat(frame->format);
            sws.reset(sws_getCachedContext(
                sws.release(), frame->width, frame->height, pixelFormat, frame->width, frame->height, AV_PIX_FMT_BGR24,
                SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr));
            if (!sws) return Status::corrupt(path + ": cannot convert its pixel format");
            if (!isRgbLike(pixelFormat)) {  // the file's matrix and range, as a player would
                const int matrix = frame->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT;
                const bool full = frame->color_range == AVCOL_RANGE_JPEG;
                sws_setColorspaceDetails(sws.get(), sws_getCoefficients(matrix), full,
                                         sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
            }
            cv::Mat bgr(frame->height, frame->width, CV_8UC3);
            uint8_t* dst[1] = {bgr.data};
            const int dstStride[1] = {int(bgr.step[0])};
            sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, dst, dstStride);
            const int64_t pts = frame->best_effort_timestamp;
            const double time = pts == AV_NOPTS_VALUE ? double(out.timesSec.size()) : pts * av_q2d(stream->time_base);
            WAFT_RETURN_IF_ERROR(admit(out, std::move(bgr), time, path, maxBytes));
        }
        return Status::ok();
    };
    out.codec = avcodec_get_name(stream->codecpar->codec_id);
    const char* pixelFormat = av_get_pix_fmt_name(AVPixelFormat(stream->codecpar->format));
    out.pixelFormat = pixelFormat ? pixelFormat : "unknown";
    out.colorMatrix = av_color_space_name(stream->codecpar->color_space);
    out.colorRange = av_color_range_name(stream->codecpar->color_range);
    out.keyframes = 0;
    while (av_read_frame(input.get(), packet.get()) >= 0) {
        if (packet->stream_index == index) {
            if (packet->flags & AV_PKT_FLAG_KEY) ++out.keyframes;
            avcodec_send_packet(decoder.get(), packet.get());
        }
        av_packet_unref(packet.get());
        WAFT_RETURN_IF_ERROR(drain());
        if (int(out.frames.size()) >= maxFrames) break;
    }
    avcodec_send_packet(decoder.get(), nullptr);
    WAFT_RETURN_IF_ERROR(drain());
    return out;
}

}  // namespace

Expected<DecodedAnimation> decodeAnimation(const std::string& path, int maxFrames, size_t maxBytes) {
    if (maxFrames < 1) return Status::invalid("maxFrames must be positive");
    auto format = exportFormatForPath(path);
    Expected<DecodedAnimation> decoded = Status::invalid("");
    if (format && *format == ExportFormat::PngSequence)
        decoded = decodePngFolder(path, maxFrames, maxBytes);
    else if (format && *format == ExportFormat::WebP)
        decoded = decodeWebp(path, maxFrames, maxBytes);
    else
        decoded = decodeWithLibav(path, format ? *format : ExportFormat::Mp4, maxFrames, maxBytes);
    if (decoded && decoded->frames.empty()) return Status::corrupt(path + " has no frames");
    return decoded;
}

std::vector<cv::Mat> framesAtRate(const DecodedAnimation& animation, double fps, int count) {
    std::vector<cv::Mat> out;
    const std::vector<double>& t = animation.timesSec;
    if (t.empty() || !(fps > 0.0)) return out;
    if (count <= 0) {
        const double last = t.size() > 1 ? t.back() + (t.back() - t[t.size() - 2]) : t.back() + 1.0 / fps;
        count = int(std::lround((last - t.front()) * fps));
    }
    count = std::min(count, 100000);
    size_t shown = 0;
    for (int n = 0; n < count; ++n) {
        const double time = t.front() + (n + 0.5) / fps;  // mid-interval: robust to millisecond timestamps
        while (shown + 1 < t.size() && t[shown + 1] <= time) ++shown;
        out.push_back(animation.frames[shown]);
    }
    return out;
}

FrameSeam measureFrameSeam(const std::vector<cv::Mat>& frames) {
    FrameSeam seam;
    if (frames.size() < 2) return seam;
    const auto step = [](const cv::Mat& a, const cv::Mat& b) {
        return cv::norm(a, b, cv::NORM_L1) / double(a.total() * size_t(a.channels()));
    };
    std::vector<double> steps;
    for (size_t n = 0; n + 1 < frames.size(); ++n) steps.push_back(step(frames[n], frames[n + 1]));
    seam.wrapStep = step(frames.back(), frames.front());
    seam.maxStep = *std::max_element(steps.begin(), steps.end());
    std::nth_element(steps.begin(), steps.begin() + long(steps.size() / 2), steps.end());
    seam.medianStep = steps[steps.size() / 2];
    return seam;
}

double meanPsnr(const std::vector<cv::Mat>& decoded, const std::vector<cv::Mat>& reference) {
    const size_t n = std::min(decoded.size(), reference.size());
    if (n == 0) return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const cv::Rect roi(0, 0, std::min(decoded[i].cols, reference[i].cols),
                           std::min(decoded[i].rows, reference[i].rows));
        const double mse = std::pow(cv::norm(decoded[i](roi), reference[i](roi), cv::NORM_L2), 2.0) /
                           double(roi.area() * decoded[i].channels());
        sum += mse > 0.0 ? std::min(99.0, 10.0 * std::log10(255.0 * 255.0 / mse)) : 99.0;
    }
    return sum / double(n);
}

}  // namespace waft::engine
