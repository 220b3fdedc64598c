// Video export (every format, decoded back the way a viewer reads it): plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "core/Runtime.h"
#include "encode/ExportCheck.h"
#include "encode/FfmpegEncoder.h"
#include "encode/VideoExporter.h"
#include "io/VideoReader.h"
#include "jobs/ExtractMotionJob.h"
#include "jobs/SceneAnimator.h"

using namespace waft::engine;
namespace fs = std::filesystem;

namespace {

std::vector<cv::Mat> testFrames(int w, int h, int count) {
    std::vector<cv::Mat> frames;
    const cv::Mat base = waft::test::texturedImage(w, h);
    for (int n = 0; n < count; ++n) {
        cv::Mat f = base.clone();
        cv::rectangle(f, cv::Rect(2 + 3 * n, 5, 12, 12), cv::Scalar(20 * n, 255 - 20 * n, 128), cv::FILLED);
        frames.push_back(f);
    }
    return frames;
}

int countFiles(const std::string& dir) { return int(std::distance(fs::directory_iterator(dir), {})); }

Status exportFrames(const std::string& path, const std::vector<cv::Mat>& frames, float fps, ExportParams params) {
    VideoExporter exporter;
    WAFT_RETURN_IF_ERROR(exporter.open(path, frames[0].cols, frames[0].rows, fps, params));
    for (const cv::Mat& f : frames) WAFT_RETURN_IF_ERROR(exporter.write(f));
    return exporter.commit();
}

// The bundled sample as the sample command makes it: tree.avi, 30 frames (a 12 s window).
const Scene& sampleScene() {
    static Scene scene = [] {
        Scene s;
        ExtractParams params;
        params.decode.maxFrames = 30;
        ExtractMotionJob extractor(waft::test::dataPath("opencv-samples/tree.avi"), params);
        Progress progress;
        CancelToken cancel;
        if (extractor.run(progress, cancel)) s.volume = extractor.takeResult();
        return s;
    }();
    return scene;
}

const auto* const kRuntime = ::testing::AddGlobalTestEnvironment(new waft::test::RuntimeEnvironment);

bool endsWithSlash(const std::string& name) { return !name.empty() && name.back() == '/'; }

// One format of writesPlayableFiles: what the decoded file must say and how close it must be.
struct PlayableCase {
    const char* label;
    const char* name;
    VideoCodec codec;
    const char* codecName;
    int width;  // expected decoded size (4:2:0 video crops odd sizes to even)
    int height;
    double maxError;  // mean absolute error vs the source frames, levels
    int loopCount;    // what the file states; -1: the format cannot say
};

// One export of the bundled sample for exportedLoopsWrapSeamlessly.
struct WrapCase {
    const char* label;
    const char* name;
    float seconds;
    float fps;
    int width;
    ExportQuality quality;
    VideoCodec codec;
    bool knownMiss;  // documented in docs/BENCHMARKS.md: the wrap is still above 1.5x
};

}  // namespace

// Every format decodes back (the way a viewer reads it) to the frames written, at the right times, and
// the looping formats say "forever".
class VideoExporterPlayable : public ::testing::TestWithParam<PlayableCase> {};

TEST_P(VideoExporterPlayable, WritesPlayableFiles) {
    const PlayableCase& row = GetParam();
    const std::string dir = waft::test::tempDir("export");
    const std::string path = dir + "/" + row.name;
    const auto frames = testFrames(65, 49, 12);
    ExportParams params;
    params.codec = row.codec;
    params.loopFrames = 12;
    ASSERT_TRUE(exportFrames(path, frames, 24.0f, params).isOk());
    EXPECT_EQ(countFiles(dir), 1);

    auto decoded = decodeAnimation(path);
    ASSERT_TRUE(decoded.hasValue()) << decoded.status().message();
    EXPECT_EQ(decoded->loopCount, row.loopCount);
    EXPECT_EQ(decoded->codec, std::string(row.codecName));
    const std::vector<cv::Mat> shown = framesAtRate(*decoded, 24.0);  // undoes WebP's frame merging
    ASSERT_EQ(int(shown.size()), 12);
    double error = 0.0;
    for (size_t n = 0; n < shown.size(); ++n) {
        ASSERT_EQ(shown[n].cols, row.width) << "frame " << n;
        ASSERT_EQ(shown[n].rows, row.height) << "frame " << n;
        const cv::Rect roi(0, 0, row.width, row.height);
        error += cv::norm(shown[n], frames[n](roi), cv::NORM_L1) / double(row.width * row.height * 3);
    }
    std::printf("%s: mean error %.2f levels\n", row.name, error / 12);
    EXPECT_LE(error / 12, row.maxError);
}

INSTANTIATE_TEST_SUITE_P(VideoExporter, VideoExporterPlayable,
                         ::testing::Values(PlayableCase{"mp4 h264", "a.mp4", VideoCodec::H264, "h264", 64, 48, 6.0, -1},
                                           PlayableCase{"mp4 h265", "b.mp4", VideoCodec::H265, "hevc", 64, 48, 6.0, -1},
                                           PlayableCase{"webm vp9", "a.webm", VideoCodec::Auto, "vp9", 64, 48, 6.0, -1},
                                           PlayableCase{"webp", "a.webp", VideoCodec::Auto, "", 65, 49, 6.0, 0},
                                           PlayableCase{"apng", "a.apng", VideoCodec::Auto, "apng", 65, 49, 0.0, 0},
                                           PlayableCase{"gif", "a.gif", VideoCodec::Auto, "gif", 65, 49, 10.0, 0}),
                         [](const auto& info) { return waft::test::paramName(info.param.label); });

// The lossless preset keeps every pixel in every format that offers it.
class VideoExporterLossless : public ::testing::TestWithParam<const char*> {};

TEST_P(VideoExporterLossless, LosslessIsExact) {
    const std::string name = GetParam();
    const std::string path = waft::test::tempDir("lossless") + "/" + name;
    const auto frames = testFrames(65, 49, 6);
    ExportParams params;
    params.quality = ExportQuality::Lossless;
    params.loopFrames = 6;
    ASSERT_TRUE(exportFrames(path, frames, 12.0f, params).isOk());
    auto decoded = decodeAnimation(path);
    ASSERT_TRUE(decoded.hasValue()) << decoded.status().message();
    const auto shown = endsWithSlash(name) ? decoded->frames : framesAtRate(*decoded, 12.0);
    ASSERT_EQ(int(shown.size()), 6);
    for (size_t n = 0; n < shown.size(); ++n)
        ASSERT_FUZZY_EQ(cv::norm(shown[n], frames[n], cv::NORM_INF), 0.0) << "frame " << n;
}

INSTANTIATE_TEST_SUITE_P(VideoExporter, VideoExporterLossless,
                         ::testing::Values("l.mp4", "l.webm", "l.webp", "l.apng", "frames/"),
                         [](const auto& info) { return waft::test::paramName(info.param); });

// Players get what they need: 4:2:0, BT.709 stated with its range, exact timestamps, one keyframe per
// loop and a keyframe every 2 s otherwise.
TEST(VideoExporter, VideoStreamsStateWhatTheyAre) {
    const std::string dir = waft::test::tempDir("meta");
    const auto frames = testFrames(64, 48, 48);
    ExportParams loop;
    loop.loopFrames = 48;
    ASSERT_TRUE(exportFrames(dir + "/loop.mp4", frames, 12.0f, loop).isOk());
    auto decoded = decodeAnimation(dir + "/loop.mp4");
    ASSERT_TRUE(decoded.hasValue());
    EXPECT_EQ(decoded->pixelFormat, std::string("yuv420p"));
    EXPECT_EQ(decoded->colorMatrix, std::string("bt709"));
    EXPECT_EQ(decoded->colorRange, std::string("tv"));
    EXPECT_EQ(decoded->keyframes, 1);
    EXPECT_EQ(int(decoded->timesSec.size()), 48);
    for (size_t n = 0; n < decoded->timesSec.size(); ++n)
        EXPECT_LT(std::abs(decoded->timesSec[n] - n / 12.0), 1e-6) << "frame " << n;

    ASSERT_TRUE(exportFrames(dir + "/clip.mp4", frames, 12.0f, ExportParams{}).isOk());
    decoded = decodeAnimation(dir + "/clip.mp4");
    ASSERT_TRUE(decoded.hasValue());
    EXPECT_EQ(decoded->keyframes, 2);  // 48 frames at 12 fps: keyframes at 0 s and 2 s

    // NTSC rate: kept exactly, so frame n is at n * 1001 / 30000 s, not drifting.
    ASSERT_TRUE(exportFrames(dir + "/ntsc.webm", frames, 29.97f, ExportParams{}).isOk());
    decoded = decodeAnimation(dir + "/ntsc.webm");
    ASSERT_TRUE(decoded.hasValue());
    ASSERT_EQ(int(decoded->timesSec.size()), 48);
    EXPECT_LT(std::abs(decoded->timesSec.back() - 47 * 1001.0 / 30000.0), 1e-3);

    ExportParams lossless;
    lossless.quality = ExportQuality::Lossless;
    ASSERT_TRUE(exportFrames(dir + "/rgb.webm", frames, 12.0f, lossless).isOk());
    decoded = decodeAnimation(dir + "/rgb.webm");
    ASSERT_TRUE(decoded.hasValue());
    EXPECT_EQ(decoded->colorMatrix, std::string("gbr"));
    EXPECT_EQ(decoded->colorRange, std::string("pc"));
}

// The product's promise, checked on what the user gets: the bundled sample, exported, decoded back, wraps
// from its last frame to its first no harder than 1.5x its median frame step.
class VideoExporterWrap : public ::testing::TestWithParam<WrapCase> {};

TEST_P(VideoExporterWrap, ExportedLoopsWrapSeamlessly) {
    const WrapCase& row = GetParam();
    if (!waft::test::dataAvailable("opencv-samples/tree.avi"))
        GTEST_SKIP() << "shared data not found: " << waft::test::dataPath("opencv-samples/tree.avi");
    Scene scene = sampleScene();
    ASSERT_TRUE(scene.validate().isOk());
    scene.settings.speed = 2.0f;
    AnimateParams params;
    params.seconds = row.seconds;
    params.fps = row.fps;
    params.width = row.width;
    params.encode.quality = row.quality;
    params.encode.codec = row.codec;
    const std::string name = row.name;
    const std::string path = waft::test::tempDir("wrap") + "/" + name;
    AnimateJob job(scene, path, params);
    Progress progress;
    CancelToken cancel;
    ASSERT_TRUE(job.run(progress, cancel).isOk());
    auto decoded = decodeAnimation(path);
    ASSERT_TRUE(decoded.hasValue());
    const auto frames = endsWithSlash(name) ? decoded->frames : framesAtRate(*decoded, row.fps);
    ASSERT_EQ(int(frames.size()), int(std::lround(row.seconds * row.fps)));
    const FrameSeam seam = measureFrameSeam(frames);
    std::printf("%s: wrap %.3f, median step %.3f, ratio %.2f (%s)\n", name.c_str(), seam.wrapStep, seam.medianStep,
                seam.ratio(), job.encoding().c_str());
    ASSERT_GT(seam.medianStep, 0.0);
    if (row.knownMiss) {
        std::printf("%s: a documented miss (docs/BENCHMARKS.md), expected above 1.5\n", name.c_str());
        // Still a miss, as documented: this fails the day the miss disappears, so the row becomes a normal check.
        EXPECT_GT(seam.ratio(), 1.5) << row.label
                                     << " now wraps within 1.5x its median step: this documented miss "
                                        "(docs/BENCHMARKS.md) is fixed; make the row a normal check and update the "
                                        "benchmarks";
    } else {
        EXPECT_LE(seam.ratio(), 1.5);
    }
}

// The sample command's settings (8 s, 30 fps, speed 2, 640 wide) and 4 s at 24 fps. Known misses
// (docs/BENCHMARKS.md): x265 takes no per-frame quantiser under CRF, and lossy WebP's sub-frame patches drift
// from its keyframe.
INSTANTIATE_TEST_SUITE_P(
    VideoExporter, VideoExporterWrap,
    ::testing::Values(
        WrapCase{"mp4 sample command", "s.mp4", 8.0f, 30.0f, 640, ExportQuality::Good, VideoCodec::H264, false},
        WrapCase{"mp4 4s 24fps", "a.mp4", 4.0f, 24.0f, 640, ExportQuality::Good, VideoCodec::H264, false},
        WrapCase{"webm 4s 24fps", "a.webm", 4.0f, 24.0f, 320, ExportQuality::Good, VideoCodec::Auto, false},
        WrapCase{"apng 4s 24fps", "a.apng", 4.0f, 24.0f, 320, ExportQuality::Good, VideoCodec::Auto, false},
        WrapCase{"gif 4s 24fps", "a.gif", 4.0f, 24.0f, 320, ExportQuality::Good, VideoCodec::Auto, false},
        WrapCase{"png 4s 24fps", "frames/", 4.0f, 24.0f, 320, ExportQuality::Good, VideoCodec::Auto, false},
        WrapCase{"webp lossless 4s 24fps", "l.webp", 4.0f, 24.0f, 320, ExportQuality::Lossless, VideoCodec::Auto,
                 false},
        WrapCase{"mp4 h265 4s 24fps", "b.mp4", 4.0f, 24.0f, 640, ExportQuality::Good, VideoCodec::H265, true},
        WrapCase{"webp lossy 4s 24fps", "a.webp", 4.0f, 24.0f, 320, ExportQuality::Good, VideoCodec::Auto, true}),
    [](const auto& info) { return waft::test::paramName(info.param.label); });

TEST(VideoExporter, EstimateIsInTheRightRange) {
    if (!waft::test::dataAvailable("opencv-samples/tree.avi"))
        GTEST_SKIP() << "shared data not found: " << waft::test::dataPath("opencv-samples/tree.avi");
    Scene scene = sampleScene();
    scene.settings.speed = 2.0f;
    const std::string dir = waft::test::tempDir("estimate");
    for (const char* name : {"e.mp4", "e.gif"}) {
        SCOPED_TRACE(name);
        AnimateParams params;
        params.seconds = 4.0f;
        params.fps = 24.0f;
        AnimateJob job(scene, dir + "/" + name, params);
        Progress progress;
        CancelToken cancel;
        ASSERT_TRUE(job.run(progress, cancel).isOk());
        const double actual = double(fs::file_size(dir + "/" + name));
        ExportParams encode = params.encode;
        encode.loopFrames = 96;
        const double estimate = double(estimateExportBytes(*exportFormatForPath(name), encode, scene.volume.width,
                                                           scene.volume.height, 96, 24.0f));
        std::printf("%s: %.0f bytes, estimated %.0f\n", name, actual, estimate);
        EXPECT_TRUE(estimate > 0.4 * actual && estimate < 2.5 * actual)
            << "estimated " << estimate << " bytes for " << actual;
    }
}

TEST(VideoExporter, WritesPngSequence) {
    const std::string dir = waft::test::tempDir("png") + "/frames/";
    const auto frames = testFrames(40, 30, 5);
    ASSERT_TRUE(exportFrames(dir, frames, 24.0f, ExportParams{}).isOk());
    EXPECT_EQ(countFiles(dir), 5);
    EXPECT_FUZZY_EQ(cv::norm(cv::imread(dir + "0004.png"), frames[4], cv::NORM_INF), 0.0);  // lossless
}

// A cancelled export leaves nothing behind: no output file, no temporary file.
TEST(VideoExporter, CancelledExportLeavesNoFile) {
    Scene scene;
    scene.volume = waft::test::sinusoidalVolume(64, 48, 2, 0.5f, 0, 2.0f);
    for (const char* name : {"c.mp4", "c.webm", "c.webp", "c.apng", "c.gif", "frames/"}) {
        SCOPED_TRACE(name);
        const std::string dir = waft::test::tempDir("cancel");
        CancelToken cancel;
        Progress progress([&](float fraction, const std::string&) {
            if (fraction > 0.3f) cancel.cancel();
        });
        AnimateParams params;
        params.seconds = 2.0f;
        AnimateJob job(scene, dir + "/" + name, params);
        EXPECT_EQ(job.run(progress, cancel).code(), StatusCode::Cancelled);
        EXPECT_LT(progress.fraction(), 0.5f);
        EXPECT_EQ(countFiles(dir), 0);
    }
}

TEST(VideoExporter, FailedExportKeepsTheExistingFile) {
    const std::string dir = waft::test::tempDir("keep");
    const std::string path = dir + "/a.mp4";
    std::ofstream(path) << "previous export";
    VideoExporter exporter;
    ASSERT_TRUE(exporter.open(path, 32, 32, 24.0f).isOk());
    ASSERT_TRUE(exporter.write(cv::Mat(32, 32, CV_8UC3, cv::Scalar::all(1))).isOk());
    exporter.abort();
    std::ifstream in(path);
    std::string text;
    std::getline(in, text);
    EXPECT_EQ(text, std::string("previous export"));
    EXPECT_EQ(countFiles(dir), 1);
}

// An encoder this system lacks: one line naming it and what is there, and no file.
TEST(VideoExporter, MissingEncoderNamesTheAlternatives) {
    const std::string dir = waft::test::tempDir("missing");
    setenv("WAFT_HIDE_ENCODERS", "libx265,libvpx-vp9", /*overwrite=*/1);
    ExportParams params;
    params.codec = VideoCodec::H265;
    VideoExporter exporter;
    const Status status = exporter.open(dir + "/a.mp4", 32, 32, 24.0f, params);
    unsetenv("WAFT_HIDE_ENCODERS");
    EXPECT_EQ(status.code(), StatusCode::Unsupported);
    std::printf("%s\n", status.message().c_str());
    EXPECT_NE(status.message().find("libx265"), std::string::npos);
    EXPECT_NE(status.message().find("libx264"), std::string::npos);
    EXPECT_EQ(status.message().find("libvpx-vp9"), std::string::npos);
    EXPECT_EQ(status.message().find('\n'), std::string::npos);
    EXPECT_EQ(countFiles(dir), 0);
}

TEST(VideoExporter, RejectsBadTargets) {
    const std::string dir = waft::test::tempDir("badtarget");
    VideoExporter exporter;
    EXPECT_FALSE(exporter.open(dir + "/a.avi", 32, 32, 24.0f).isOk());          // unknown format
    EXPECT_FALSE(exporter.open(dir + "/no/such/a.mp4", 32, 32, 24.0f).isOk());  // missing folder
    EXPECT_FALSE(exporter.open(dir + "/a.mp4", 0, 32, 24.0f).isOk());           // absurd size
    EXPECT_FALSE(exporter.open(dir + "/a.mp4", 32, 32, 0.0f).isOk());           // absurd fps
    ExportParams badCrf;
    badCrf.crf = 99;
    EXPECT_FALSE(exporter.open(dir + "/a.mp4", 32, 32, 24.0f, badCrf).isOk());  // absurd CRF
    badCrf.crf = 20;
    EXPECT_FALSE(exporter.open(dir + "/a.webp", 32, 32, 24.0f, badCrf).isOk());  // CRF means nothing to WebP
    fs::create_directories(dir + "/full");
    std::ofstream(dir + "/full/x.txt") << "x";
    EXPECT_FALSE(exporter.open(dir + "/full/", 32, 32, 24.0f).isOk());  // non-empty folder
    EXPECT_FALSE(exporter.commit().isOk());
    EXPECT_EQ(countFiles(dir), 1);  // only the folder made above
    EXPECT_FALSE(parseExportQuality("ultra").hasValue());
    EXPECT_FALSE(parseVideoCodec("mpeg2").hasValue());
}

// The checker itself: a corrupt file is an error, not a crash.
TEST(VideoExporter, DecoderRejectsCorruptFiles) {
    const std::string dir = waft::test::tempDir("corrupt");
    for (const char* name : {"x.mp4", "x.webp", "x.gif", "x.apng"}) {
        std::ofstream(dir + "/" + name) << "not a video at all";
        EXPECT_FALSE(decodeAnimation(dir + "/" + name).hasValue()) << name;
    }
    // A playlist posing as a video must not make the checker open other files or URLs.
    const auto frames = testFrames(64, 48, 4);
    ASSERT_TRUE(exportFrames(dir + "/real.webm", frames, 12.0f, ExportParams{}).isOk());
    std::ofstream(dir + "/list.mp4") << "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile://" << dir
                                     << "/real.webm\n#EXT-X-ENDLIST\n";
    EXPECT_FALSE(decodeAnimation(dir + "/list.mp4").hasValue());
    // The caller's memory budget holds whatever the file says.
    EXPECT_TRUE(decodeAnimation(dir + "/real.webm").hasValue());
    const auto tooBig = decodeAnimation(dir + "/real.webm", 4000, 3 * 64 * 48 * 3);
    ASSERT_FALSE(tooBig.hasValue());
    EXPECT_NE(tooBig.status().message().find("too large to check"), std::string::npos) << tooBig.status().message();
}

// An mp4 with B-frames read back by the engine's reader: every frame, at its own time. (OpenCV reports 0 ms for
// the frames FFmpeg drains at the end of such a stream; the reader once dropped them: a 4-frame result came
// back as 2.)
TEST(VideoReader, ShortMp4sDecodeEveryFrame) {
    for (int count : {4, 10}) {
        const std::string path = waft::test::tempDir("reader") + "/short-" + std::to_string(count) + ".mp4";
        FfmpegEncoder encoder;
        ASSERT_TRUE(encoder.open(path, ExportFormat::Mp4, 32, 32, 8.0f, {}).isOk());
        const cv::Mat texture = waft::test::texturedImage(64, 32);
        for (int i = 0; i < count; ++i) ASSERT_TRUE(encoder.write(texture(cv::Rect(i, 0, 32, 32)).clone()).isOk());
        ASSERT_TRUE(encoder.finish().isOk());
        encoder.close();
        Progress progress;
        auto decoded = decodeVideo(path, {}, Progress::Range(progress, 0, 1), CancelToken());
        ASSERT_TRUE(decoded.hasValue()) << decoded.status().message();
        ASSERT_EQ(int(decoded->frames.size()), count);
        for (int i = 0; i < count; ++i) EXPECT_NEAR(decoded->timesSec[size_t(i)], i / 8.0, 1e-3) << i;
    }
}
