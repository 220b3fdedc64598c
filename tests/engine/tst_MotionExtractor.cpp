// Motion extraction (video -> spectral volume): plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "core/Runtime.h"
#include "jobs/ExtractMotionJob.h"
#include "motion/DisplacementSynth.h"
#include "raster/FrameRenderer.h"

using namespace waft::engine;

namespace {

// Regions of tree.avi (320x240): dense foliage right of centre, and the dark window frame at the left edge.
// Amplitudes are sqrt(sum_j |S_j|^2) over the 16 bands. Measured with DIS (docs/BENCHMARKS.md): foliage 2.97 px,
// window frame 0.75 px, which is a flat ~0.15 px per band: the flow noise floor of this Cinepak clip, not motion.
const cv::Rect kFoliage(150, 60, 100, 100);
const cv::Rect kWindowFrame(6, 40, 14, 160);
constexpr double kFoliageMinPx = 2.5;
constexpr double kFrameMaxPx = 0.9;

double regionMeanAmplitude(const SpectralVolume& v, cv::Rect r) {
    double sum = 0.0;
    for (int y = r.y; y < r.y + r.height; ++y)
        for (int x = r.x; x < r.x + r.width; ++x) {
            const size_t i = size_t(y) * v.width + x;
            double a = 0.0;
            for (int j = 0; j < v.bands; ++j)
                for (int c = 0; c < 4; ++c) a += double(v.plane(j, c)[i]) * v.plane(j, c)[i];
            sum += std::sqrt(a);
        }
    return sum / r.area();
}

const auto* const kRuntime = ::testing::AddGlobalTestEnvironment(new waft::test::RuntimeEnvironment);

}  // namespace

// Closed loop: known sinusoidal motion -> rendered with the splatter -> lossless video -> extract ->
// the same band, frequency and amplitude come back.
TEST(MotionExtractor, ClosedLoopRecoversBandsAndAmplitudes) {
    const int w = 192, h = 128;
    const float fps = 30.0f, seconds = 3.0f;
    // Bin 3 of a 90-frame clip at 30 fps is exactly 1 Hz; amplitude 0.6..3.6 px across the image.
    SpectralVolume truth = waft::test::sinusoidalVolume(w, h, 4, 1.0f, 0, 2.0f);
    SpectralVolume second = waft::test::sinusoidalVolume(w, h, 4, 1.0f, 1, 1.0f, true);  // 2 Hz in y, 0.2..1.8 px
    std::copy(second.plane(1, 0), second.plane(1, 0) + 4 * truth.planeSize(), truth.plane(1, 0));

    const std::string video = waft::test::tempDir("closedloop") + "/synthetic.avi";
    {
        cv::VideoWriter writer(video, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('F', 'F', 'V', '1'), fps, cv::Size(w, h));
        ASSERT_TRUE(writer.isOpened());
        FrameRenderer renderer(truth);
        cv::Mat frame;
        for (int n = 0; n < int(fps * seconds); ++n) {
            ASSERT_TRUE(renderer.render(playbackPhasors(truth.frequenciesHz, n / fps), frame).isOk()) << "frame " << n;
            writer.write(frame);
        }
    }
    ExtractParams params;
    params.bands = 8;
    params.decode.maxFrames = 0;
    ExtractMotionJob extractor(video, params);
    Progress progress;
    ASSERT_TRUE(extractor.run(progress, CancelToken()).isOk());
    EXPECT_FUZZY_EQ(progress.fraction(), 1.0f);
    const SpectralVolume& got = extractor.result();
    ASSERT_EQ(got.bands, 8);
    EXPECT_LT(std::abs(got.sourceFps - fps), 0.01f);
    EXPECT_LT(std::abs(got.frequenciesHz[2] - 1.0f), 1e-3f);  // bin 3 = 1 Hz
    EXPECT_LT(std::abs(got.frequenciesHz[5] - 2.0f), 1e-3f);  // bin 6 = 2 Hz

    // Compare amplitudes in the interior (away from borders where holes and flow boundaries live).
    double errX = 0, errY = 0, sumX = 0, sumY = 0, leak = 0;
    int count = 0;
    for (int yy = 16; yy < h - 16; ++yy)
        for (int xx = 16; xx < w - 16; ++xx) {
            const size_t i = size_t(yy) * w + xx;
            const double ax = std::hypot(got.plane(2, 0)[i], got.plane(2, 1)[i]);
            const double ay = std::hypot(got.plane(5, 2)[i], got.plane(5, 3)[i]);
            errX += std::abs(ax - truth.plane(0, 0)[i]);
            errY += std::abs(ay - truth.plane(1, 2)[i]);
            sumX += truth.plane(0, 0)[i];
            sumY += truth.plane(1, 2)[i];
            for (int j : {0, 1, 3, 4, 6, 7})
                for (int c = 0; c < 4; ++c) leak += std::abs(got.plane(j, c)[i]);
            ++count;
        }
    const double relX = errX / sumX, relY = errY / sumY;
    std::printf("closed loop: x-band amplitude error %.1f%%, y-band %.1f%%, mean leak %.4f px\n", 100 * relX,
                100 * relY, leak / count / 24);
    EXPECT_LT(relX, 0.08);
    EXPECT_LT(relY, 0.12);
    EXPECT_LT(leak / count / 24, 0.05);
}

// The shared tree.avi: 68 decodable frames with irregular timestamps; the foliage moves, the window
// frame at the left edge does not.
TEST(MotionExtractor, TreeVideoHasMotionInFoliageNotInWindowFrame) {
    const std::string tree = waft::test::dataPath("opencv-samples/tree.avi");
    if (!waft::test::dataAvailable("opencv-samples/tree.avi")) GTEST_SKIP() << "shared data not found: " << tree;
    DecodeParams decode;
    decode.maxFrames = 0;
    Progress progress;
    auto video = decodeVideo(tree, decode, Progress::Range(progress, 0, 1), CancelToken());
    ASSERT_TRUE(video.hasValue());
    EXPECT_EQ(int(video->frames.size()), 68);
    double minGap = 1e9, maxGap = 0;
    for (size_t i = 1; i < video->timesSec.size(); ++i) {
        minGap = std::min(minGap, video->timesSec[i] - video->timesSec[i - 1]);
        maxGap = std::max(maxGap, video->timesSec[i] - video->timesSec[i - 1]);
    }
    EXPECT_TRUE(minGap > 0.3 && maxGap < 0.8 && maxGap > 1.5 * minGap)  // irregular, as the README says
        << "gaps " << minGap << " .. " << maxGap << " s";

    ExtractParams params;
    params.decode.maxFrames = 0;
    auto volume = MotionExtractor::extract(*video, params, Progress::Range(progress, 0, 1), CancelToken());
    ASSERT_TRUE(volume.hasValue());
    ASSERT_EQ(volume->bands, 16);
    const double foliage = regionMeanAmplitude(*volume, kFoliage);
    const double frame = regionMeanAmplitude(*volume, kWindowFrame);
    std::printf("tree.avi: foliage %.3f px, window frame %.3f px\n", foliage, frame);
    EXPECT_GT(foliage, kFoliageMinPx);
    EXPECT_LT(frame, kFrameMaxPx);
    EXPECT_GT(foliage, 3.5 * frame);
}

TEST(MotionExtractor, CancelStopsExtraction) {
    if (!waft::test::dataAvailable("opencv-samples/tree.avi"))
        GTEST_SKIP() << "shared data not found: " << waft::test::dataPath("opencv-samples/tree.avi");
    CancelToken cancel;
    cancel.cancel();
    ExtractMotionJob extractor(waft::test::dataPath("opencv-samples/tree.avi"), {});
    Progress progress;
    EXPECT_EQ(extractor.run(progress, cancel).code(), StatusCode::Cancelled);
}

TEST(MotionExtractor, BadVideosGiveOneLineErrors) {
    const std::string dir = waft::test::tempDir("badvideo");
    std::ofstream(dir + "/corrupt.mp4") << "definitely not an mp4 file";
    for (const std::string& path : {dir + "/corrupt.mp4", dir + "/missing.mp4"}) {
        SCOPED_TRACE(path);
        ExtractMotionJob extractor(path, {});
        Progress progress;
        const Status s = extractor.run(progress, CancelToken());
        EXPECT_FALSE(s.isOk());
        EXPECT_TRUE(!s.message().empty() && s.message().find('\n') == std::string::npos) << s.message();
    }
    VideoFrames tooShort;
    tooShort.frames.assign(3, cv::Mat(32, 32, CV_8UC3, cv::Scalar::all(9)));
    tooShort.timesSec = {0, 0.1, 0.2};
    Progress progress;
    EXPECT_FALSE(MotionExtractor::extract(tooShort, {}, Progress::Range(progress, 0, 1), CancelToken()).hasValue());
}
