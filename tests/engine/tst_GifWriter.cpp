// The GIF writer's streams, read back by a strict decoder (GifCheck.h): any frame content and size, and the
// fuzzer's findings (tests/fuzz/regressions/gif-*.bin).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <opencv2/core.hpp>
#include <random>

#include "GifCheck.h"
#include "TestSupport.h"
#include "encode/GifWriter.h"

using namespace waft;

namespace {

std::vector<uint8_t> readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// Sizes from 1x1 up, content from flat to noise, 1-3 frames: each stream decodes to its pixels and ends cleanly.
// (Found by fuzz_gif: a stream's last code grows the decoder's table, and with it the code width, one entry
// after the encoder's; the clear code after it was written one bit too narrow.)
TEST(GifWriter, EveryStreamDecodesStrictly) {
    const std::string dir = test::tempDir("gif");
    std::mt19937 rng(7);
    int checked = 0;
    for (int w : {1, 2, 7, 16, 33, 48})
        for (int h : {1, 3, 16, 40})
            for (int levels : {1, 4, 64, 256}) {
                const std::string path = dir + "/t.gif";
                engine::GifWriter writer;
                ASSERT_TRUE(writer.open(path, w, h, 10.0f, true).isOk());
                const int frames = 1 + checked % 3;
                for (int f = 0; f < frames; ++f) {
                    cv::Mat frame(h, w, CV_8UC3);
                    for (size_t i = 0; i < frame.total() * 3; ++i)
                        frame.data[i] = uint8_t(rng() % levels * (256 / levels));
                    ASSERT_TRUE(writer.write(frame).isOk());
                }
                ASSERT_TRUE(writer.close().isOk());
                int images = 0;
                EXPECT_EQ(checkGif(readBytes(path), w, h, &images), "") << w << "x" << h << ", " << levels << " levels";
                EXPECT_EQ(images, frames);
                ++checked;
            }
}

// 1xN frames of noise end their LZW streams at every table size, among them the ones where the decoder's
// last entry reaches 512, 1024 or 2048 and widens its codes (what the fix is about; without it this fails).
TEST(GifWriter, StreamsEndingAtEveryTableSizeDecode) {
    const std::string path = test::tempDir("gif-widths") + "/w.gif";
    std::mt19937 rng(11);
    int failures = 0;
    for (int n = 200; n <= 2400; ++n) {
        engine::GifWriter writer;
        ASSERT_TRUE(writer.open(path, n, 1, 10.0f, false).isOk());
        cv::Mat frame(1, n, CV_8UC3);
        for (size_t i = 0; i < frame.total() * 3; ++i) frame.data[i] = uint8_t(rng());
        ASSERT_TRUE(writer.write(frame).isOk());
        ASSERT_TRUE(writer.close().isOk());
        if (!checkGif(readBytes(path), n, 1).empty()) ++failures;
    }
    EXPECT_EQ(failures, 0);
}

TEST(GifWriter, FuzzFindingsStayFixed) {
    const std::string dir = test::tempDir("gif-fuzz");
    for (const char* name : {"gif-lzw-width-at-end.bin"}) {
        const std::vector<uint8_t> input = readBytes(std::string(WAFT_FUZZ_REGRESSIONS) + "/" + name);
        ASSERT_FALSE(input.empty()) << name;
        EXPECT_EQ(gifFromFuzzBytes(input.data(), input.size(), dir + "/f.gif"), "") << name;
    }
}

TEST(GifWriter, RefusesFramesOfAnotherSizeOrType) {
    const std::string path = test::tempDir("gif-bad") + "/b.gif";
    engine::GifWriter writer;
    ASSERT_TRUE(writer.open(path, 8, 8, 10.0f, true).isOk());
    EXPECT_FALSE(writer.write(cv::Mat(9, 8, CV_8UC3, cv::Scalar::all(0))).isOk());
    EXPECT_FALSE(writer.write(cv::Mat(8, 8, CV_8UC1, cv::Scalar::all(0))).isOk());
    EXPECT_FALSE(writer.open(path, 8, 8, 60.0f, true).isOk());
    EXPECT_FALSE(writer.open(path, 0, 8, 10.0f, true).isOk());
}
