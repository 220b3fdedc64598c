#include "io/ImageFile.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "core/QuietStderr.h"

namespace waft::engine {

namespace {

constexpr size_t kHeaderBytes = 1 << 20;  // a JPEG's frame header comes after its metadata segments

uint32_t be16(const std::vector<uint8_t>& b, size_t i) { return uint32_t(b[i] << 8 | b[i + 1]); }
uint32_t be32(const std::vector<uint8_t>& b, size_t i) { return be16(b, i) << 16 | be16(b, i + 2); }
uint32_t le16(const std::vector<uint8_t>& b, size_t i) { return uint32_t(b[i] | b[i + 1] << 8); }
uint32_t le24(const std::vector<uint8_t>& b, size_t i) { return le16(b, i) | uint32_t(b[i + 2]) << 16; }
uint32_t le32(const std::vector<uint8_t>& b, size_t i) { return le16(b, i) | le16(b, i + 2) << 16; }

// The first SOFn segment's size; each step moves past one whole segment, so the walk ends within the bytes.
cv::Size jpegSize(const std::vector<uint8_t>& b) {
    size_t at = 2;
    while (at + 9 <= b.size()) {
        if (b[at] != 0xff) return {};
        const uint8_t marker = b[at + 1];
        if (marker == 0xff) {  // fill byte
            ++at;
            continue;
        }
        const bool sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
        if (sof) return {int(be16(b, at + 7)), int(be16(b, at + 5))};
        if (marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01) {
            at += 2;
            continue;
        }
        const size_t length = be16(b, at + 2);
        if (length < 2) return {};
        at += 2 + length;
    }
    return {};
}

}  // namespace

Expected<cv::Size> imageHeaderSize(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::io("cannot open " + path);
    std::vector<uint8_t> b(kHeaderBytes);
    in.read(reinterpret_cast<char*>(b.data()), std::streamsize(b.size()));
    b.resize(size_t(in.gcount()));
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (b.size() >= 24 && std::equal(png, png + 8, b.begin()))
        return cv::Size(int(be32(b, 16) & 0x7fffffff), int(be32(b, 20) & 0x7fffffff));
    if (b.size() >= 4 && b[0] == 0xff && b[1] == 0xd8) return jpegSize(b);
    if (b.size() >= 26 && b[0] == 'B' && b[1] == 'M') {
        const int32_t h = int32_t(le32(b, 22));
        return cv::Size(int(le32(b, 18) & 0x7fffffff), h == INT32_MIN ? INT32_MAX : std::abs(h));
    }
    if (b.size() >= 30 && std::equal(b.begin(), b.begin() + 4, "RIFF") &&
        std::equal(b.begin() + 8, b.begin() + 12, "WEBP")) {
        if (std::equal(b.begin() + 12, b.begin() + 16, "VP8X"))
            return cv::Size(int(1 + le24(b, 24)), int(1 + le24(b, 27)));  // 24-bit fields: bytes 24..29
        if (std::equal(b.begin() + 12, b.begin() + 16, "VP8 "))
            return cv::Size(int(le16(b, 26) & 0x3fff), int(le16(b, 28) & 0x3fff));
        if (std::equal(b.begin() + 12, b.begin() + 16, "VP8L") && b.size() >= 25) {
            const uint32_t bits = le32(b, 21);
            return cv::Size(int(1 + (bits & 0x3fff)), int(1 + ((bits >> 14) & 0x3fff)));
        }
    }
    return cv::Size();
}

Expected<cv::Mat> readImage(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return Status::io("cannot open " + path + ": no such file");
    auto claimed = imageHeaderSize(path);
    if (!claimed) return claimed.status();
    if (claimed->width < 0 || claimed->height < 0 ||
        int64_t(claimed->width) * int64_t(claimed->height) > kMaxImagePixels)
        return Status::invalid(path + ": the image claims " + std::to_string(claimed->width) + " x " +
                               std::to_string(claimed->height) + " pixels, more than " +
                               std::to_string(kMaxImagePixels) + " (16384 x 16384)");
    cv::Mat image;
    try {
        QuietStderr quiet;  // libpng and libjpeg print their own complaints; ours is the one line
        image = cv::imread(path, cv::IMREAD_COLOR);
    } catch (const cv::Exception&) {  // OpenCV's own caps (formats whose header is not read above)
        return Status::corrupt(path + ": not an image OpenCV can read (too large or damaged)");
    }
    if (image.empty()) return Status::corrupt(path + ": not an image OpenCV can read");
    return image;
}

}  // namespace waft::engine
