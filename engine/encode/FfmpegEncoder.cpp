#include "encode/FfmpegEncoder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace waft::engine {

namespace {

std::string avError(int code) {
    char buffer[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buffer, sizeof buffer);
    return buffer;
}

// One encoder configuration: which libav encoder, its input pixel format and its private options.
struct Recipe {
    const char* encoder = nullptr;
    AVPixelFormat pixelFormat = AV_PIX_FMT_YUV420P;
    bool rgb = false;  // RGB-coded (full range, identity matrix): the lossless presets
    std::vector<std::pair<std::string, std::string>> options;
    int compressionLevel = -1;
    std::string summary;
};

int presetCrf(const char* encoder, ExportQuality quality) {
    const bool vp9 = std::string(encoder) == "libvpx-vp9";
    const bool x265 = std::string(encoder) == "libx265";
    switch (quality) {
        case ExportQuality::Draft: return vp9 ? 40 : x265 ? 30 : 28;
        case ExportQuality::Good: return vp9 ? 31 : x265 ? 22 : 20;
        case ExportQuality::Best: return vp9 ? 22 : x265 ? 18 : 16;
        case ExportQuality::Lossless: return 0;
    }
    return 20;
}

// Loop-aware encoding for H.264 (docs/BENCHMARKS.md, "loop-aware encoding"). A lossy P-frame chain
// drifts away from its keyframe: by the end of a loop the decoded last frame carries coding error that is
// unrelated to the keyframe's, so the wrap back to frame 0 pops (measured: 7.6x the median frame step at CRF 20,
// still 3.3x at CRF 8). The closing ramp lands both sides of the wrap on the source: the keyframe is coded
// at QP 1 and the quantiser of the last ~0.8 s falls linearly from the preset's to QP 1, so the error fades
// out over many small steps instead of jumping at the wrap (measured: 1.02x on the sample, ~2.5x the bytes).
// x265 3.5 honours neither zones nor qpfile QPs under CRF (and its ROI path crashes inside FFmpeg 5.1), so
// H.265 loops get no ramp; their wrap is reported in the benchmark table.
// Returns the target QP of every frame, -1 where rate control decides; empty for loops too short to ramp.
std::vector<int> closingRamp(int loopFrames, float fps, int startQp) {
    constexpr int kEndQp = 1;
    const int ramp = std::min(int(std::lround(0.8 * double(fps))), loopFrames / 4);
    if (ramp < 2) return {};
    std::vector<int> qp(size_t(loopFrames), -1);
    qp[0] = kEndQp;
    for (int i = 0; i < ramp; ++i)
        qp[size_t(loopFrames - ramp + i)] = int(std::lround(startQp - double(startQp - kEndQp) * (i + 1) / ramp));
    return qp;
}

// The ramp as x264 zones ("0,0,q=1/216,216,q=22/...").
std::string x264Zones(const std::vector<int>& qp) {
    std::string zones;
    for (size_t n = 0; n < qp.size(); ++n)
        if (qp[n] >= 0)
            zones += (zones.empty() ? "" : "/") + std::to_string(n) + "," + std::to_string(n) +
                     ",q=" + std::to_string(qp[n]);
    return zones;
}

const char* x26xPreset(ExportQuality quality) {
    return quality == ExportQuality::Draft ? "veryfast" : quality == ExportQuality::Best ? "slow" : "medium";
}

Recipe recipeFor(ExportFormat format, const ExportParams& p, float fps) {
    Recipe r;
    r.encoder = FfmpegEncoder::encoderName(format, p);
    const std::string enc = r.encoder;
    const bool lossless = p.quality == ExportQuality::Lossless;
    const AVPixelFormat yuv = p.chroma444 ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P;
    const int crfValue = p.crf >= 0 ? p.crf : presetCrf(r.encoder, p.quality);
    const std::string crf = std::to_string(crfValue);
    const int startQp = std::min(51, crfValue + 3);  // about the P-frame quantiser at this CRF
    const std::vector<int> ramp =
        p.loopFrames > 0 && !lossless ? closingRamp(p.loopFrames, fps, startQp) : std::vector<int>();
    const std::string zones = x264Zones(ramp);
    const std::string keyint = p.keyframeInterval > 0 ? std::to_string(p.keyframeInterval) : std::string("250");
    if (enc == "libx264rgb") {  // lossless H.264: RGB, qp 0
        r.pixelFormat = AV_PIX_FMT_BGR24;
        r.rgb = true;
        r.options = {{"qp", "0"}, {"preset", "medium"}, {"x264-params", "scenecut=0:keyint=" + keyint}};
        r.summary = "qp 0 (lossless) bgr24";
    } else if (enc == "libx264") {
        r.pixelFormat = yuv;
        r.options = {{"crf", crf},
                     {"preset", x26xPreset(p.quality)},
                     {"x264-params", "scenecut=0:keyint=" + keyint + (zones.empty() ? "" : ":zones=" + zones)}};
        r.summary = "crf " + crf + " preset " + x26xPreset(p.quality) + (zones.empty() ? "" : " closing ramp");
    } else if (enc == "libx265") {
        r.pixelFormat = lossless ? AV_PIX_FMT_GBRP : yuv;
        r.rgb = lossless;
        std::string params = "log-level=error:scenecut=0:keyint=" + keyint + ":min-keyint=" + keyint;
        if (lossless) params += ":lossless=1";
        r.options = {{"preset", x26xPreset(p.quality)}, {"x265-params", params}};
        if (!lossless) r.options.emplace_back("crf", crf);
        r.summary = lossless ? "lossless gbrp" : "crf " + crf + " preset " + x26xPreset(p.quality);
    } else if (enc == "libvpx-vp9") {
        r.pixelFormat = lossless ? AV_PIX_FMT_GBRP : yuv;
        r.rgb = lossless;
        const char* cpuUsed = p.quality == ExportQuality::Draft ? "5" : p.quality == ExportQuality::Best ? "1" : "2";
        r.options = {{"deadline", "good"}, {"cpu-used", cpuUsed}, {"row-mt", "1"}, {"b", "0"}};
        if (lossless)
            r.options.emplace_back("lossless", "1");
        else
            r.options.emplace_back("crf", crf);
        r.summary = lossless ? "lossless gbrp" : "crf " + crf + " cpu-used " + cpuUsed;
    } else {  // apng: always lossless; the preset picks the zlib effort
        r.pixelFormat = AV_PIX_FMT_RGB24;
        r.rgb = true;
        r.compressionLevel = p.quality == ExportQuality::Draft ? 3 : p.quality == ExportQuality::Good ? 6 : 9;
        r.options = {{"pred", "mixed"}};
        r.summary = "lossless, zlib " + std::to_string(r.compressionLevel);
    }
    if (!r.rgb) r.summary += std::string(" ") + av_get_pix_fmt_name(r.pixelFormat);
    return r;
}

const char* muxerFor(ExportFormat format) {
    switch (format) {
        case ExportFormat::Mp4: return "mp4";
        case ExportFormat::WebM: return "webm";
        case ExportFormat::Apng: return "apng";
        default: return nullptr;
    }
}

// The frame rate as a rational: whole rates exactly, NTSC-style ones (29.97, 23.976, 59.94) as N*1000/1001
// (the float 29.97f is 29.9699993, which av_d2q alone would turn into an odd timescale).
AVRational frameRate(float fps) {
    const double f = double(fps);
    if (std::abs(f - std::round(f)) < 1e-4) return {int(std::lround(f)), 1};
    const double ntsc = f * 1.001;
    if (std::abs(ntsc - std::round(ntsc)) < 1e-3) return {int(std::lround(ntsc)) * 1000, 1001};
    return av_d2q(f, 100000);
}

void quietLibav() {
    static std::once_flag once;
    std::call_once(once, [] { av_log_set_level(AV_LOG_ERROR); });
}

}  // namespace

struct FfmpegEncoder::State {
    AVFormatContext* format = nullptr;
    AVCodecContext* codec = nullptr;
    AVStream* stream = nullptr;
    AVFrame* frame = nullptr;
    AVPacket* packet = nullptr;
    SwsContext* sws = nullptr;
    int width = 0;
    int height = 0;
    int64_t nextPts = 0;
    bool headerWritten = false;

    ~State() {
        sws_freeContext(sws);
        av_packet_free(&packet);
        av_frame_free(&frame);
        avcodec_free_context(&codec);
        if (format) {
            if (format->pb) avio_closep(&format->pb);
            avformat_free_context(format);
        }
    }

    // Sends one frame (nullptr flushes) and writes every packet the encoder has ready.
    Status encode(AVFrame* input) {
        int rc = avcodec_send_frame(codec, input);
        if (rc < 0) return Status::io("encoding failed: " + avError(rc));
        for (;;) {
            rc = avcodec_receive_packet(codec, packet);
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return Status::ok();
            if (rc < 0) return Status::io("encoding failed: " + avError(rc));
            if (packet->duration == 0) packet->duration = 1;  // constant frame rate: one tick of the codec clock
            av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
            packet->stream_index = stream->index;
            rc = av_interleaved_write_frame(format, packet);  // takes the packet's reference
            if (rc < 0) return Status::io("writing the video failed: " + avError(rc));
        }
    }
};

FfmpegEncoder::FfmpegEncoder() = default;
FfmpegEncoder::~FfmpegEncoder() { close(); }

const char* FfmpegEncoder::encoderName(ExportFormat format, const ExportParams& params) {
    const bool lossless = params.quality == ExportQuality::Lossless;
    switch (format) {
        case ExportFormat::Mp4:
            if (params.codec == VideoCodec::H265) return "libx265";
            return lossless ? "libx264rgb" : "libx264";
        case ExportFormat::WebM: return "libvpx-vp9";
        case ExportFormat::Apng: return "apng";
        default: return "";
    }
}

bool FfmpegEncoder::hasEncoder(const char* name) {
    // WAFT_HIDE_ENCODERS=libx265,... makes encoders look absent (to try, and test, a system without them).
    if (const char* hidden = std::getenv("WAFT_HIDE_ENCODERS"))
        for (std::string_view rest = hidden; !rest.empty();) {
            const size_t cut = rest.find(',');
            if (rest.substr(0, cut) == name) return false;
            rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
        }
    return avcodec_find_encoder_by_name(name) != nullptr;
}

Status FfmpegEncoder::open(const std::string& path, ExportFormat format, int width, int height, float fps,
                           const ExportParams& params) {
    close();
    quietLibav();
    const char* muxer = muxerFor(format);
    if (!muxer) return Status::invalid(std::string(exportFormatName(format)) + " is not an FFmpeg format");
    if (!(fps > 0.0f && fps <= 240.0f)) return Status::invalid("export fps must be in (0, 240]");
    const Recipe recipe = recipeFor(format, params, fps);
    const AVCodec* codec = hasEncoder(recipe.encoder) ? avcodec_find_encoder_by_name(recipe.encoder) : nullptr;
    if (!codec) {
        std::string present;
        for (const char* name : {"libx264", "libx265", "libvpx-vp9", "apng"})
            if (hasEncoder(name)) present += std::string(present.empty() ? "" : ", ") + name;
        return Status::error(StatusCode::Unsupported,
                             std::string("this system's FFmpeg has no ") + recipe.encoder + " encoder for " +
                                 exportFormatName(format) +
                                 "; encoders present: " + (present.empty() ? "none" : present));
    }
    auto state = std::make_unique<State>();
    state->width = width;
    state->height = height;
    int rc = avformat_alloc_output_context2(&state->format, nullptr, muxer, path.c_str());
    if (rc < 0 || !state->format) return Status::io("cannot create a " + std::string(muxer) + " file: " + avError(rc));
    state->stream = avformat_new_stream(state->format, nullptr);
    state->codec = avcodec_alloc_context3(codec);
    state->frame = av_frame_alloc();
    state->packet = av_packet_alloc();
    if (!state->stream || !state->codec || !state->frame || !state->packet) return Status::io("out of memory");

    AVCodecContext* c = state->codec;
    const AVRational rate = frameRate(fps);
    c->width = width;
    c->height = height;
    c->framerate = rate;
    c->time_base = av_inv_q(rate);
    c->pix_fmt = recipe.pixelFormat;
    c->sample_aspect_ratio = {1, 1};
    c->thread_count = 0;
    if (recipe.compressionLevel >= 0) c->compression_level = recipe.compressionLevel;
    const int keyint = params.keyframeInterval > 0 ? params.keyframeInterval : 0;
    if (keyint > 0) {
        c->gop_size = keyint;
        c->keyint_min = keyint;
    }
    if (recipe.rgb) {
        c->color_range = AVCOL_RANGE_JPEG;
        c->colorspace = AVCOL_SPC_RGB;
    } else {
        c->color_range = AVCOL_RANGE_MPEG;
        c->colorspace = AVCOL_SPC_BT709;
    }
    c->color_primaries = AVCOL_PRI_BT709;
    c->color_trc = AVCOL_TRC_BT709;
    if (state->format->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

    AVDictionary* options = nullptr;
    for (const auto& [key, value] : recipe.options) av_dict_set(&options, key.c_str(), value.c_str(), 0);
    rc = avcodec_open2(c, codec, &options);
    av_dict_free(&options);
    if (rc < 0) return Status::io(std::string("cannot open the ") + recipe.encoder + " encoder: " + avError(rc));
    rc = avcodec_parameters_from_context(state->stream->codecpar, c);
    if (rc < 0) return Status::io("cannot set the stream parameters: " + avError(rc));
    state->stream->time_base = c->time_base;
    state->stream->avg_frame_rate = rate;
    if (format == ExportFormat::Mp4 && recipe.encoder == std::string("libx265"))
        state->stream->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');  // what Apple's players want

    state->frame->format = c->pix_fmt;
    state->frame->width = width;
    state->frame->height = height;
    rc = av_frame_get_buffer(state->frame, 0);
    if (rc < 0)
        return Status::io("out of memory for a " + std::to_string(width) + "x" + std::to_string(height) + " frame");
    state->sws = sws_getContext(width, height, AV_PIX_FMT_BGR24, width, height, c->pix_fmt,
                                SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr);
    if (!state->sws) return Status::io("cannot convert frames to " + std::string(av_get_pix_fmt_name(c->pix_fmt)));
    if (!recipe.rgb) {  // BT.709 matrix, limited range (swscale defaults to BT.601)
        const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
        sws_setColorspaceDetails(state->sws, bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16);
    }

    rc = avio_open(&state->format->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0) return Status::io("cannot write " + path + ": " + avError(rc));
    AVDictionary* muxOptions = nullptr;
    const bool loops = params.loopFrames > 0;
    if (format == ExportFormat::Mp4) av_dict_set(&muxOptions, "movflags", "+faststart", 0);
    if (format == ExportFormat::Apng) av_dict_set(&muxOptions, "plays", loops ? "0" : "1", 0);
    rc = avformat_write_header(state->format, &muxOptions);
    av_dict_free(&muxOptions);
    if (rc < 0) return Status::io("cannot write the " + std::string(muxer) + " header: " + avError(rc));
    state->headerWritten = true;

    m_description = std::string(recipe.encoder) + " " + recipe.summary;
    if (keyint > 0) m_description += " keyint " + std::to_string(keyint);
    m_state = std::move(state);
    return Status::ok();
}

Status FfmpegEncoder::write(const cv::Mat& bgr8) {
    if (!m_state) return Status::invalid("encoder is not open");
    State& s = *m_state;
    if (bgr8.type() != CV_8UC3 || bgr8.cols != s.width || bgr8.rows != s.height)
        return Status::invalid("encoder frame has the wrong size or type");
    int rc = av_frame_make_writable(s.frame);  // the encoder may still hold the previous frame's buffers
    if (rc < 0) return Status::io("out of memory: " + avError(rc));
    const uint8_t* src[1] = {bgr8.data};
    const int srcStride[1] = {int(bgr8.step[0])};
    sws_scale(s.sws, src, srcStride, 0, s.height, s.frame->data, s.frame->linesize);
    s.frame->pts = s.nextPts++;
    return s.encode(s.frame);
}

Status FfmpegEncoder::finish() {
    if (!m_state) return Status::invalid("encoder is not open");
    WAFT_RETURN_IF_ERROR(m_state->encode(nullptr));
    const int rc = av_write_trailer(m_state->format);
    if (rc < 0) return Status::io("cannot finish the video: " + avError(rc));
    if (m_state->format->pb && m_state->format->pb->error < 0)
        return Status::io("writing the video failed: " + avError(m_state->format->pb->error));
    m_state.reset();
    return Status::ok();
}

void FfmpegEncoder::close() { m_state.reset(); }

Status writeMp4Atomically(const std::string& path, const std::vector<cv::Mat>& frames, float fps) {
    if (frames.empty()) return Status::invalid(path + ": no frames to write");
    const std::string temporary = path + ".tmp.mp4";
    FfmpegEncoder encoder;
    Status s = encoder.open(temporary, ExportFormat::Mp4, frames[0].cols, frames[0].rows, fps, {});
    for (const cv::Mat& frame : frames)
        if (s) s = encoder.write(frame);
    if (s) s = encoder.finish();
    encoder.close();
    std::error_code ec;
    if (s) std::filesystem::rename(temporary, path, ec);
    if (!s || ec) {
        std::filesystem::remove(temporary, ec);
        return s ? Status::io(path + ": cannot write") : s.withContext(path);
    }
    return Status::ok();
}

}  // namespace waft::engine
