// waft-cli bench-export: every export format and preset on one rendered loop, decoded back the way a viewer
// reads it; file size, encode time, PSNR against the lossless frames and the loop's wrap ratio.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "CliArgs.h"
#include "Commands.h"
#include "encode/ExportCheck.h"
#include "encode/VideoExporter.h"
#include "jobs/SceneAnimator.h"

namespace fs = std::filesystem;

namespace waft::app {

namespace {

constexpr const char* kBenchExportUsage =
    "waft-cli bench-export SCENE.waft -o WORK_DIR [--seconds L] [--fps F] [--size WxH] [--speed S] [--keyint N]\n"
    "  renders one seamless loop to PNG frames, then encodes it in every format and preset (MP4 H.264/H.265,\n"
    "  WebM VP9, WebP, APNG, GIF), decodes each file back and prints a Markdown table: size, encode time,\n"
    "  PSNR against the PNG frames, wrap step (last -> first) over the median frame step, and loop flag.\n"
    "  --keyint overrides the loop-aware keyframe interval (to compare strategies).";

struct Variant {
    const char* label;
    const char* extension;
    engine::ExportQuality quality;
    engine::VideoCodec codec = engine::VideoCodec::Auto;
};

}  // namespace

int runBenchExport(const std::vector<std::string>& args) {
    CliArgs cli({"-o", "--seconds", "--fps", "--size", "--speed", "--keyint"}, {});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kBenchExportUsage);
    if (cli.helpRequested()) return std::puts(kBenchExportUsage), 0;
    if (cli.positionals().size() != 1 || !cli.has("-o"))
        return usageError("need SCENE.waft and -o WORK_DIR", kBenchExportUsage);
    const auto seconds = cli.real("--seconds", 8.0f, 0.1f, 60.0f);
    const auto fps = cli.real("--fps", 30.0f, 1.0f, 120.0f);
    const auto speed = cli.real("--speed", 1.0f, 0.01f, 100.0f);
    const auto keyint = cli.integer("--keyint", 0, 1, 100000);
    for (const engine::Status& s : {seconds.status(), fps.status(), speed.status(), keyint.status()})
        if (!s) return fail(s);
    engine::AnimateParams params;
    params.seconds = *seconds;
    params.fps = *fps;
    if (auto s = parseSize(cli, params.width, params.height); !s) return fail(s);
    auto scene = engine::loadScene(cli.positionals()[0]);
    if (!scene) return fail(scene.status());
    if (cli.has("--speed")) scene->settings.speed = *speed;
    const fs::path work = cli.string("-o", "");
    std::error_code ec;
    fs::create_directories(work, ec);
    if (ec) return fail(engine::Status::io("cannot create " + work.string()));

    const std::string framesDir = (work / "frames").string() + "/";
    fs::remove_all(framesDir, ec);
    engine::AnimateJob render(*scene, framesDir, params);
    if (auto s = runJobWithProgress(render); !s) return fail(s);
    auto reference = engine::decodeAnimation(framesDir);
    if (!reference) return fail(reference.status());
    const std::vector<cv::Mat>& frames = reference->frames;
    const engine::FrameSeam pngSeam = engine::measureFrameSeam(frames);
    std::printf("loop: %d frames of %dx%d at %.3g fps; PNG frames wrap %.3f vs median step %.3f (ratio %.2f)\n\n",
                int(frames.size()), frames[0].cols, frames[0].rows, double(*fps), pngSeam.wrapStep, pngSeam.medianStep,
                pngSeam.ratio());
    std::printf(
        "| format | preset | encoder settings | size (KiB) | estimate (KiB) | encode (s) | PSNR (dB) | "
        "wrap / median step | loops |\n|---|---|---|---|---|---|---|---|---|\n");

    using Q = engine::ExportQuality;
    const Variant variants[] = {
        {"MP4 H.264", "mp4", Q::Draft},
        {"MP4 H.264", "mp4", Q::Good},
        {"MP4 H.264", "mp4", Q::Best},
        {"MP4 H.264", "mp4", Q::Lossless},
        {"MP4 H.265", "mp4", Q::Good, engine::VideoCodec::H265},
        {"MP4 H.265", "mp4", Q::Best, engine::VideoCodec::H265},
        {"WebM VP9", "webm", Q::Draft},
        {"WebM VP9", "webm", Q::Good},
        {"WebM VP9", "webm", Q::Best},
        {"WebM VP9", "webm", Q::Lossless},
        {"WebP", "webp", Q::Draft},
        {"WebP", "webp", Q::Good},
        {"WebP", "webp", Q::Best},
        {"WebP", "webp", Q::Lossless},
        {"APNG", "apng", Q::Good},
        {"GIF", "gif", Q::Good},
    };
    int failures = 0;
    for (const Variant& v : variants) {
        engine::ExportParams encode;
        encode.quality = v.quality;
        encode.codec = v.codec;
        encode.keyframeInterval = *keyint;
        encode.loopFrames = int(frames.size());
        const std::string path = (work / (std::string("loop-") + engine::exportQualityName(v.quality) +
                                          (v.codec == engine::VideoCodec::H265 ? "-h265." : ".") + v.extension))
                                     .string();
        const auto start = std::chrono::steady_clock::now();
        engine::VideoExporter exporter;
        engine::Status status = exporter.open(path, frames[0].cols, frames[0].rows, *fps, encode);
        for (size_t n = 0; status && n < frames.size(); ++n) status = exporter.write(frames[n]);
        if (status) status = exporter.commit();
        const double encodeSec = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!status) {
            std::printf("| %s | %s | %s | – | – | – | – | – | – |\n", v.label, engine::exportQualityName(v.quality),
                        status.message().c_str());
            ++failures;
            continue;
        }
        auto decoded = engine::decodeAnimation(path);
        if (!decoded) return fail(decoded.status());
        const std::vector<cv::Mat> shown = engine::framesAtRate(*decoded, *fps, int(frames.size()));
        const engine::FrameSeam seam = engine::measureFrameSeam(shown);
        const double kib = double(fs::file_size(path, ec)) / 1024.0;
        const auto format = engine::exportFormatForPath(path);
        const double estimate = double(engine::estimateExportBytes(*format, encode, frames[0].cols, frames[0].rows,
                                                                   int(frames.size()), *fps)) /
                                1024.0;
        const char* loops = decoded->loopCount == 0 ? "forever" : decoded->loopCount < 0 ? "(player)" : "once";
        std::printf("| %s | %s | %s | %.0f | %.0f | %.2f | %.2f | %.3f / %.3f = **%.2f** | %s |\n", v.label,
                    engine::exportQualityName(v.quality), exporter.description().c_str(), kib, estimate, encodeSec,
                    engine::meanPsnr(shown, frames), seam.wrapStep, seam.medianStep, seam.ratio(), loops);
        if (std::abs(decoded->timesSec.back() - double(frames.size() - 1) / *fps) > 0.6 / *fps &&
            decoded->frames.size() == frames.size()) {
            std::printf("  ^ last frame at %.4f s, want %.4f s\n", decoded->timesSec.back(),
                        double(frames.size() - 1) / *fps);
            ++failures;
        }
    }
    return failures == 0 ? 0 : fail(engine::Status::io(std::to_string(failures) + " export(s) failed"));
}

constexpr const char* kCheckLoopUsage =
    "waft-cli check-loop FILE|DIR/ [--fps F]\n"
    "  decodes an exported loop the way a viewer does and prints its frame count, the wrap step (last -> first)\n"
    "  against the median frame step (grey levels, mean absolute difference), and the loop flag the file states.\n"
    "  --fps  sample the file at this rate by its timestamps (default: every decoded frame)";

int runCheckLoop(const std::vector<std::string>& args) {
    CliArgs cli({"--fps"}, {});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kCheckLoopUsage);
    if (cli.helpRequested()) return std::puts(kCheckLoopUsage), 0;
    if (cli.positionals().size() != 1) return usageError("need one FILE", kCheckLoopUsage);
    const auto fps = cli.real("--fps", 0.0f, 1.0f, 240.0f);
    if (!fps) return fail(fps.status());
    auto decoded = engine::decodeAnimation(cli.positionals()[0]);
    if (!decoded) return fail(decoded.status());
    const std::vector<cv::Mat> frames = cli.has("--fps") ? engine::framesAtRate(*decoded, *fps) : decoded->frames;
    if (frames.empty()) return fail(engine::Status::corrupt(cli.positionals()[0] + ": its timestamps do not advance"));
    const engine::FrameSeam seam = engine::measureFrameSeam(frames);
    std::printf("%zu frames of %dx%d; wrap %.3f vs median step %.3f (ratio %.2f), largest other step %.3f; loop: %s\n",
                frames.size(), frames[0].cols, frames[0].rows, seam.wrapStep, seam.medianStep, seam.ratio(),
                seam.maxStep,
                decoded->loopCount == 0  ? "forever"
                : decoded->loopCount < 0 ? "not stated (player decides)"
                                         : "no");
    return 0;
}

}  // namespace waft::app
