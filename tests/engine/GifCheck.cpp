#include "GifCheck.h"

#include <fstream>
#include <iterator>
#include <opencv2/core.hpp>

#include "encode/GifWriter.h"

namespace {

struct Malformed {
    const char* why;
};
[[noreturn]] void malformed(const char* why) { throw Malformed{why}; }

// Decodes one image's LZW stream (GIF89a appendix F); returns the number of indices it yields.
size_t lzwPixels(const std::vector<uint8_t>& data, int minCodeSize) {
    if (minCodeSize < 2 || minCodeSize > 8) malformed("LZW minimum code size");
    const int clear = 1 << minCodeSize, end = clear + 1;
    std::vector<int> prefix(4096, -1), length(4096, 0);
    for (int i = 0; i < clear; ++i) length[size_t(i)] = 1;
    int next = end + 1, width = minCodeSize + 1, previous = -1;
    size_t pixels = 0, bit = 0;
    while (bit + size_t(width) <= data.size() * 8) {
        int code = 0;
        for (int b = 0; b < width; ++b, ++bit) code |= ((data[bit / 8] >> (bit % 8)) & 1) << b;
        if (code == clear) {
            next = end + 1;
            width = minCodeSize + 1;
            previous = -1;
            continue;
        }
        if (code == end) return pixels;
        if (code > next || (code == next && previous < 0)) malformed("LZW code out of range");
        if (previous >= 0 && next < 4096) {
            prefix[size_t(next)] = previous;
            length[size_t(next)] = length[size_t(previous)] + 1;
            ++next;
            if (next == (1 << width) && width < 12) ++width;
        }
        pixels += size_t(length[size_t(code)]);
        previous = code;
    }
    malformed("LZW stream without end code");
}

// Walks the file: header, logical screen, colour table, extensions, images, trailer. Returns the image count.
int walk(const std::vector<uint8_t>& gif, int width, int height) {
    size_t at = 0;
    auto need = [&](size_t n) {
        if (at + n > gif.size()) malformed("block runs past the end");
    };
    auto u16 = [&](size_t i) { return int(gif[i] | (gif[i + 1] << 8)); };
    need(13);
    if (std::string(gif.begin(), gif.begin() + 6) != "GIF89a") malformed("signature");
    if (u16(6) != width || u16(8) != height) malformed("screen size");
    const uint8_t flags = gif[10];
    at = 13;
    if (flags & 0x80) at += 3u << ((flags & 7) + 1);
    int images = 0;
    for (;;) {
        need(1);
        const uint8_t block = gif[at++];
        if (block == 0x3b) break;
        if (block == 0x21) {  // extension: label, then sub-blocks
            need(1);
            ++at;
            for (;;) {
                need(1);
                const size_t n = gif[at++];
                if (n == 0) break;
                need(n);
                at += n;
            }
        } else if (block == 0x2c) {  // image descriptor
            need(9);
            const int x = u16(at), y = u16(at + 2), w = u16(at + 4), h = u16(at + 6);
            const uint8_t imageFlags = gif[at + 8];
            at += 9;
            if (w <= 0 || h <= 0 || x + w > width || y + h > height) malformed("image outside the screen");
            if (imageFlags & 0x80) at += 3u << ((imageFlags & 7) + 1);
            need(1);
            const int minCodeSize = gif[at++];
            std::vector<uint8_t> data;
            for (;;) {
                need(1);
                const size_t n = gif[at++];
                if (n == 0) break;
                need(n);
                data.insert(data.end(), gif.begin() + long(at), gif.begin() + long(at + n));
                at += n;
            }
            if (lzwPixels(data, minCodeSize) != size_t(w) * size_t(h)) malformed("pixel count");
            ++images;
        } else {
            malformed("unknown block");
        }
    }
    if (at != gif.size()) malformed("bytes after the trailer");
    return images;
}

}  // namespace

std::string checkGif(const std::vector<uint8_t>& gif, int width, int height, int* images) {
    try {
        const int count = walk(gif, width, height);
        if (images) *images = count;
        return {};
    } catch (const Malformed& m) {
        return m.why;
    }
}

std::string gifFromFuzzBytes(const uint8_t* data, size_t size, const std::string& path) {
    if (size < 6) return {};
    const int width = 1 + data[0] % 48, height = 1 + data[1] % 48, frames = 1 + data[2] % 4;
    const float fps = float(int(data[3] % 64) - 4);  // some out of (0, 50]
    const bool loop = data[4] & 1, oddFrames = data[5] & 0x80;
    const uint8_t* pixels = data + 6;
    const size_t available = size - 6;
    waft::engine::GifWriter writer;
    if (!writer.open(path, width, height, fps, loop)) return {};
    int accepted = 0;
    for (int f = 0; f < frames; ++f) {
        // Now and then a frame of the wrong size or type, which the writer must refuse.
        const bool wrongSize = oddFrames && f == 1, wrongType = oddFrames && f == 2;
        cv::Mat frame(height + (wrongSize ? 1 : 0), width, wrongType ? CV_8UC1 : CV_8UC3);
        for (size_t i = 0; i < frame.total() * frame.elemSize(); ++i)
            frame.data[i] = available ? pixels[(i + size_t(f) * 7) % available] : uint8_t(i * 31);
        const bool written = bool(writer.write(frame));
        if (written && (wrongSize || wrongType)) return "a frame of the wrong size or type was accepted";
        if (!written && !wrongSize && !wrongType) return "a well-formed frame was refused";
        accepted += written ? 1 : 0;
    }
    if (!writer.close()) return {};
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> gif((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (accepted == 0) return {};
    int images = 0;
    if (std::string error = checkGif(gif, width, height, &images); !error.empty()) return error;
    return images == accepted ? std::string() : "image count";
}
