// engine::readImage: what an image header claims is checked before decoding, in each format it reads.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "TestSupport.h"
#include "io/ImageFile.h"

using namespace waft;

namespace {

std::string write(const std::string& dir, const std::string& name, const std::string& bytes) {
    const std::string path = dir + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

std::string le32(uint32_t v) { return {char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; }

}  // namespace

TEST(ImageFile, RealImagesDecodeAndReportTheirSize) {
    const std::string dir = test::tempDir("image-file");
    const cv::Mat image = test::texturedImage(40, 30);
    for (const char* ext : {".png", ".jpg", ".bmp", ".webp"}) {
        const std::string path = dir + "/t" + ext;
        ASSERT_TRUE(cv::imwrite(path, image)) << ext;
        const auto size = engine::imageHeaderSize(path);
        ASSERT_TRUE(size.hasValue()) << ext;
        EXPECT_EQ(*size, cv::Size(40, 30)) << ext;
        const auto read = engine::readImage(path);
        ASSERT_TRUE(read.hasValue()) << ext << ": " << read.status().message();
        EXPECT_EQ(read->size(), cv::Size(40, 30));
        EXPECT_EQ(read->type(), CV_8UC3);
    }
}

// Headers claiming too many pixels are refused before any decoder allocates them, in every format read.
TEST(ImageFile, HugeClaimsAreRefusedBeforeDecoding) {
    const std::string dir = test::tempDir("image-claims");
    const std::string bmp = std::string("BM") + le32(0) + le32(0) + le32(54) + le32(40) + le32(100000) +
                            le32(uint32_t(-100000)) + std::string(28, '\0');  // top-down: a negative height
    const std::string bmpMin = std::string("BM") + le32(0) + le32(0) + le32(54) + le32(40) + le32(1) +
                               le32(0x80000000u) + std::string(28, '\0');  // INT32_MIN rows
    const std::string vp8x = std::string("RIFF") + le32(100) + "WEBPVP8X" + le32(10) + le32(0) +
                             std::string("\xff\xff\xff\xff\xff\xff", 6) + std::string(16, '\0');  // 2^24 x 2^24
    const std::string jpeg =
        std::string("\xff\xd8\xff\xc0\x00\x11\x08\xff\xff\xff\xff\x03", 12) + std::string(64, '\0');
    for (const auto& [name, bytes] : {std::pair<const char*, std::string>{"huge.bmp", bmp},
                                      {"min.bmp", bmpMin},
                                      {"huge.webp", vp8x},
                                      {"huge.jpg", jpeg}}) {
        const auto read = engine::readImage(write(dir, name, bytes));
        ASSERT_FALSE(read.hasValue()) << name;
        EXPECT_NE(read.status().message().find("the image claims"), std::string::npos) << read.status().message();
        EXPECT_EQ(read.status().message().find('\n'), std::string::npos);
    }
}

// Malformed headers end the header walk (a JPEG segment of length 0, 1 or past the end) and fail as one line.
TEST(ImageFile, MalformedHeadersAreOneLine) {
    const std::string dir = test::tempDir("image-bad");
    for (const auto& [name, bytes] : {std::pair<const char*, std::string>{"zero.png", ""},
                                      {"len0.jpg", std::string("\xff\xd8\xff\xe0\x00\x00", 6) + std::string(32, 'x')},
                                      {"len1.jpg", std::string("\xff\xd8\xff\xe0\x00\x01", 6) + std::string(32, 'x')},
                                      {"past.jpg", std::string("\xff\xd8\xff\xe0\xff\xff", 6) + std::string(32, 'x')},
                                      {"short.webp", std::string("RIFF\x10\0\0\0WEBPVP8X", 16)}}) {
        const auto size = engine::imageHeaderSize(write(dir, name, bytes));
        ASSERT_TRUE(size.hasValue()) << name;  // nothing claimed: the decoder decides
        const auto read = engine::readImage(dir + "/" + name);
        ASSERT_FALSE(read.hasValue()) << name;
        EXPECT_EQ(read.status().message().find('\n'), std::string::npos);
    }
    EXPECT_FALSE(engine::readImage(dir + "/absent.png").hasValue());
}
