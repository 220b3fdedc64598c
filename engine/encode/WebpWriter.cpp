#include "encode/WebpWriter.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <webp/encode.h>
#include <webp/mux.h>

namespace waft::engine {

namespace {
float presetQuality(ExportQuality quality) {
    return quality == ExportQuality::Draft ? 60.0f : quality == ExportQuality::Best ? 95.0f : 82.0f;
}
}  // namespace

struct WebpWriter::State {
    WebPAnimEncoder* encoder = nullptr;
    std::string path;
    int width = 0;
    int height = 0;
    double fps = 30.0;
    bool lossless = false;
    float quality = 82.0f;
    int loopFrames = 0;
    int rampFrames = 0;
    int frames = 0;
    ~State() {
        if (encoder) WebPAnimEncoderDelete(encoder);
    }
    int timestampMs(int n) const { return int(std::lround(n * 1000.0 / fps)); }
    // Closing ramp: quality 100 at the keyframe, rising linearly to 100 over the loop's last rampFrames.
    float frameQuality(int n) const {
        if (loopFrames <= 0 || rampFrames <= 0) return quality;
        if (n == 0) return 100.0f;
        const int intoRamp = n - (loopFrames - rampFrames) + 1;
        if (intoRamp <= 0) return quality;
        return quality + (100.0f - quality) * float(std::min(intoRamp, rampFrames)) / float(rampFrames);
    }
};

WebpWriter::WebpWriter() = default;
WebpWriter::~WebpWriter() { close(); }

Status WebpWriter::open(const std::string& path, int width, int height, float fps, const ExportParams& params) {
    close();
    if (width < 1 || height < 1 || width > WEBP_MAX_DIMENSION || height > WEBP_MAX_DIMENSION)
        return Status::invalid("WebP frames must be within 1.." + std::to_string(WEBP_MAX_DIMENSION) +
                               " pixels a side");
    if (!(fps > 0.0f && fps <= 240.0f)) return Status::invalid("export fps must be in (0, 240]");
    auto state = std::make_unique<State>();
    state->path = path;
    state->width = width;
    state->height = height;
    state->fps = fps;
    state->lossless = params.quality == ExportQuality::Lossless;
    state->quality = presetQuality(params.quality);
    state->loopFrames = params.loopFrames;
    if (!state->lossless && params.loopFrames > 0)
        state->rampFrames = std::min(int(std::lround(0.8 * double(fps))), params.loopFrames / 4);

    WebPAnimEncoderOptions options;
    if (!WebPAnimEncoderOptionsInit(&options)) return Status::io("libwebp version mismatch");
    options.anim_params.loop_count = params.loopFrames > 0 ? 0 : 1;
    options.allow_mixed = 0;
    if (params.keyframeInterval > 0) {
        options.kmax = params.keyframeInterval;
        options.kmin = params.keyframeInterval / 2 + 1;
    } else if (params.loopFrames > 0) {
        options.kmax = 0;  // no keyframes inside the loop
        options.kmin = 0;
    }
    state->encoder = WebPAnimEncoderNew(width, height, &options);
    if (!state->encoder) return Status::io("cannot create a WebP animation encoder");
    m_description = state->lossless ? "libwebp lossless"
                                    : "libwebp quality " + std::to_string(int(state->quality)) +
                                          (state->rampFrames > 0 ? " closing ramp" : "");
    if (options.kmax > 0) m_description += " keyint " + std::to_string(options.kmax);
    m_state = std::move(state);
    return Status::ok();
}

Status WebpWriter::write(const cv::Mat& bgr8) {
    if (!m_state) return Status::invalid("WebP writer is not open");
    State& s = *m_state;
    if (bgr8.type() != CV_8UC3 || bgr8.cols != s.width || bgr8.rows != s.height)
        return Status::invalid("WebP frame has the wrong size or type");
    WebPConfig config;
    if (!WebPConfigInit(&config)) return Status::io("libwebp version mismatch");
    config.lossless = s.lossless ? 1 : 0;
    config.quality = s.lossless ? 75.0f : s.frameQuality(s.frames);
    config.method = 4;
    if (!WebPValidateConfig(&config)) return Status::error(StatusCode::Internal, "invalid WebP configuration");
    WebPPicture picture;
    if (!WebPPictureInit(&picture)) return Status::io("libwebp version mismatch");
    picture.width = s.width;
    picture.height = s.height;
    picture.use_argb = 1;
    const bool imported = WebPPictureImportBGR(&picture, bgr8.data, int(bgr8.step[0])) != 0;
    const bool added = imported && WebPAnimEncoderAdd(s.encoder, &picture, s.timestampMs(s.frames), &config) != 0;
    WebPPictureFree(&picture);
    if (!added) return Status::io(std::string("WebP encoding failed: ") + WebPAnimEncoderGetError(s.encoder));
    ++s.frames;
    return Status::ok();
}

Status WebpWriter::finish() {
    if (!m_state) return Status::invalid("WebP writer is not open");
    State& s = *m_state;
    if (!WebPAnimEncoderAdd(s.encoder, nullptr, s.timestampMs(s.frames), nullptr))
        return Status::io(std::string("WebP encoding failed: ") + WebPAnimEncoderGetError(s.encoder));
    WebPData data;
    WebPDataInit(&data);
    if (!WebPAnimEncoderAssemble(s.encoder, &data))
        return Status::io(std::string("WebP encoding failed: ") + WebPAnimEncoderGetError(s.encoder));
    std::FILE* file = std::fopen(s.path.c_str(), "wb");
    const bool written = file && std::fwrite(data.bytes, 1, data.size, file) == data.size;
    const int writeError = errno;
    const bool closed = file && std::fclose(file) == 0;
    const int error = written ? errno : writeError;
    WebPDataClear(&data);
    if (!written || !closed) return Status::io("cannot write " + s.path + ": " + std::strerror(error));
    m_state.reset();
    return Status::ok();
}

void WebpWriter::close() { m_state.reset(); }

}  // namespace waft::engine
