#include "encode/GifWriter.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace waft::engine {

namespace {

constexpr uint8_t kTransparent = 255;  // the palette has 255 colours; index 255 is "keep the previous pixel"
constexpr int kBayer4[4][4] = {{0, 8, 2, 10}, {12, 4, 14, 6}, {3, 11, 1, 9}, {15, 7, 13, 5}};

// Packs variable-width LZW codes LSB-first into GIF data sub-blocks of at most 255 bytes.
class BitPacker {
public:
    explicit BitPacker(std::FILE* file) : m_file(file) {}
    void put(uint32_t code, int bits) {
        m_accumulator |= code << m_bitCount;
        m_bitCount += bits;
        while (m_bitCount >= 8) {
            pushByte(uint8_t(m_accumulator & 0xff));
            m_accumulator >>= 8;
            m_bitCount -= 8;
        }
    }
    void finish() {
        if (m_bitCount > 0) pushByte(uint8_t(m_accumulator & 0xff));
        flushBlock();
        std::fputc(0, m_file);  // block terminator
    }

private:
    void pushByte(uint8_t b) {
        m_block[m_blockSize++] = b;
        if (m_blockSize == 255) flushBlock();
    }
    void flushBlock() {
        if (m_blockSize == 0) return;
        std::fputc(m_blockSize, m_file);
        std::fwrite(m_block, 1, size_t(m_blockSize), m_file);
        m_blockSize = 0;
    }
    std::FILE* m_file;
    uint32_t m_accumulator = 0;
    int m_bitCount = 0;
    uint8_t m_block[255];
    int m_blockSize = 0;
};

void put16(std::FILE* f, int v) {
    std::fputc(v & 0xff, f);
    std::fputc((v >> 8) & 0xff, f);
}

}  // namespace

GifWriter::~GifWriter() {
    if (m_file) std::fclose(m_file);
}

Status GifWriter::open(const std::string& path, int width, int height, float fps, bool loop) {
    if (width <= 0 || height <= 0 || width > 65535 || height > 65535) return Status::invalid("GIF size out of range");
    close();
    if (!(fps > 0.0f && fps <= 50.0f))
        return Status::invalid(
            "a GIF plays at most 50 fps (browsers slow shorter delays to 0.1 s): lower --fps or "
            "use MP4, WebM, WebP or APNG");
    m_headerWritten = false;
    m_previous.clear();
    m_file = std::fopen(path.c_str(), "wb");
    if (!m_file) return Status::io("cannot write " + path);
    m_width = width;
    m_height = height;
    m_fps = fps;
    m_frameIndex = 0;
    m_loop = loop;
    return Status::ok();
}

void GifWriter::buildPalette(const cv::Mat& bgr8) {
    // Median cut over (a sample of) the first frame's pixels.
    struct Box {
        size_t begin, end;
        int range = 0;  // the widest channel's extent (0: cannot split)
        int axis = 0;   // that channel (the first of equals)
    };
    std::vector<std::array<uint8_t, 3>> pixels;
    const size_t total = bgr8.total();
    const size_t step = std::max<size_t>(1, total / 65536);
    for (size_t i = 0; i < total; i += step) {
        const uint8_t* p = bgr8.data + 3 * i;
        pixels.push_back({p[2], p[1], p[0]});
    }
    // Each box's extent is measured once, when it is made: the split loop then costs O(boxes), not O(pixels).
    const auto measured = [&pixels](size_t begin, size_t end) {
        Box box{begin, end};
        if (end - begin < 2) return box;
        uint8_t lo[3] = {255, 255, 255}, hi[3] = {0, 0, 0};
        for (size_t i = begin; i < end; ++i)
            for (int c = 0; c < 3; ++c) {
                lo[c] = std::min(lo[c], pixels[i][size_t(c)]);
                hi[c] = std::max(hi[c], pixels[i][size_t(c)]);
            }
        for (int c = 0; c < 3; ++c)
            if (hi[c] - lo[c] > box.range) box.range = hi[c] - lo[c], box.axis = c;
        return box;
    };
    std::vector<Box> boxes{measured(0, pixels.size())};
    while (boxes.size() < size_t(kTransparent)) {
        int bestBox = -1, bestRange = 0;
        for (size_t b = 0; b < boxes.size(); ++b)
            if (boxes[b].range > bestRange) bestRange = boxes[b].range, bestBox = int(b);
        if (bestBox < 0) break;
        const Box box = boxes[size_t(bestBox)];
        const size_t mid = (box.begin + box.end) / 2;
        const size_t axis = size_t(box.axis);
        std::nth_element(pixels.begin() + long(box.begin), pixels.begin() + long(mid), pixels.begin() + long(box.end),
                         [axis](const auto& a, const auto& b) { return a[axis] < b[axis]; });
        boxes[size_t(bestBox)] = measured(box.begin, mid);
        boxes.push_back(measured(mid, box.end));
    }
    m_palette.assign(256, {0, 0, 0});
    for (size_t b = 0; b < boxes.size(); ++b) {
        uint32_t sum[3] = {};
        for (size_t i = boxes[b].begin; i < boxes[b].end; ++i)
            for (int c = 0; c < 3; ++c) sum[c] += pixels[i][size_t(c)];
        const uint32_t n = uint32_t(std::max<size_t>(1, boxes[b].end - boxes[b].begin));
        for (int c = 0; c < 3; ++c) m_palette[b][size_t(c)] = uint8_t((sum[c] + n / 2) / n);
    }
    m_paletteSize = std::max<size_t>(1, boxes.size());
    // Filled on first use: a frame touches a small part of the 5-bit RGB cube, and the full table (32,768
    // nearest-colour searches over 255 entries) cost more than encoding a small GIF.
    m_lookup.assign(32768, kTransparent);
}

uint8_t GifWriter::nearestColour(int key) const {
    const int r = ((key >> 10) & 31) * 8 + 4, g = ((key >> 5) & 31) * 8 + 4, b = (key & 31) * 8 + 4;
    int best = 0, bestDistance = 1 << 30;
    for (size_t i = 0; i < m_paletteSize; ++i) {
        const int dr = r - m_palette[i][0], dg = g - m_palette[i][1], db = b - m_palette[i][2];
        const int d = dr * dr * 3 + dg * dg * 4 + db * db * 2;
        if (d < bestDistance) {
            bestDistance = d;
            best = int(i);
        }
    }
    return uint8_t(best);
}

Status GifWriter::write(const cv::Mat& bgr8) {
    if (!m_file) return Status::invalid("GIF writer is not open");
    if (bgr8.type() != CV_8UC3 || bgr8.cols != m_width || bgr8.rows != m_height)
        return Status::invalid("GIF frame must be 8-bit BGR of the animation's size");
    const cv::Mat frame = bgr8.isContinuous() ? bgr8 : bgr8.clone();
    if (!m_headerWritten) {
        buildPalette(frame);
        std::fwrite("GIF89a", 1, 6, m_file);
        put16(m_file, m_width);
        put16(m_file, m_height);
        std::fputc(0xf7, m_file);  // global colour table, 8 bits per colour, 256 entries
        std::fputc(0, m_file);
        std::fputc(0, m_file);
        for (const auto& c : m_palette) std::fwrite(c.data(), 1, 3, m_file);
        if (m_loop) {
            const uint8_t netscape[] = {0x21, 0xff, 0x0b, 'N', 'E',  'T',  'S',  'C',  'A', 'P',
                                        'E',  '2',  '.',  '0', 0x03, 0x01, 0x00, 0x00, 0x00};
            std::fwrite(netscape, 1, sizeof netscape, m_file);
        }
        m_headerWritten = true;
    }
    // GIF counts time in 1/100 s: each delay is the difference of rounded frame times, so the clip keeps its
    // length (24 fps: 4, 4, 5, 4, 4, 5, ...); at most 50 fps, so every delay is at least 2.
    const auto centisec = [this](int n) { return std::llround(n * 100.0 / double(m_fps)); };
    const int delay = int(std::clamp<long long>(centisec(m_frameIndex + 1) - centisec(m_frameIndex), 2, 65535));
    ++m_frameIndex;
    std::vector<uint8_t> indices(frame.total());
    for (int y = 0; y < m_height; ++y) {
        const uint8_t* row = frame.ptr<uint8_t>(y);
        for (int x = 0; x < m_width; ++x) {
            const int dither = (kBayer4[y & 3][x & 3] - 8);  // +-8 levels = one 5-bit step
            const auto q = [&](int v) { return std::clamp(v + dither / 2, 0, 255) >> 3; };
            const int key = (q(row[3 * x + 2]) << 10) | (q(row[3 * x + 1]) << 5) | q(row[3 * x]);
            uint8_t& colour = m_lookup[size_t(key)];
            if (colour == kTransparent) colour = nearestColour(key);  // the palette's indices are 0..254
            indices[size_t(y) * m_width + x] = colour;
        }
    }
    // Frames after the first store only the rectangle that changed, with unchanged pixels transparent (the
    // previous frame stays: disposal "do not dispose"). The ordered dither is fixed in space, so still areas
    // map to the same indices and cost next to nothing.
    int left = 0, top = 0, right = m_width, bottom = m_height;
    std::vector<uint8_t> patch;
    if (!m_previous.empty()) {
        left = m_width, top = m_height, right = 0, bottom = 0;
        for (int y = 0; y < m_height; ++y)
            for (int x = 0; x < m_width; ++x)
                if (indices[size_t(y) * m_width + x] != m_previous[size_t(y) * m_width + x]) {
                    left = std::min(left, x), right = std::max(right, x + 1);
                    top = std::min(top, y), bottom = std::max(bottom, y + 1);
                }
        if (right <= left) left = 0, top = 0, right = 1, bottom = 1;  // nothing changed: one transparent pixel
        patch.reserve(size_t(right - left) * size_t(bottom - top));
        for (int y = top; y < bottom; ++y)
            for (int x = left; x < right; ++x) {
                const size_t i = size_t(y) * m_width + x;
                patch.push_back(indices[i] == m_previous[i] ? kTransparent : indices[i]);
            }
    }
    const uint8_t packed = m_previous.empty() ? 0x04 : 0x05;  // disposal 1 (keep), transparency after frame 0
    const uint8_t control[] = {0x21,         0xf9, 0x04, packed, uint8_t(delay & 0xff), uint8_t(delay >> 8),
                               kTransparent, 0x00};
    std::fwrite(control, 1, sizeof control, m_file);
    std::fputc(0x2c, m_file);
    put16(m_file, left);
    put16(m_file, top);
    put16(m_file, right - left);
    put16(m_file, bottom - top);
    std::fputc(0, m_file);
    writeLzw(m_previous.empty() ? indices : patch);
    m_previous = std::move(indices);
    return std::ferror(m_file) ? Status::io(std::string("cannot write the GIF: ") + std::strerror(errno))
                               : Status::ok();
}

void GifWriter::writeLzw(const std::vector<uint8_t>& indices) {
    constexpr int kMinCodeSize = 8;
    constexpr uint32_t kClear = 256, kEnd = 257;
    constexpr size_t kTableSize = 8192;  // open addressing, load <= 0.5
    std::fputc(kMinCodeSize, m_file);
    BitPacker out(m_file);
    std::vector<int32_t> keys(kTableSize, -1);
    std::vector<uint16_t> codes(kTableSize);
    int codeSize = kMinCodeSize + 1;
    uint32_t lastCode = kEnd;  // highest code assigned so far
    out.put(kClear, codeSize);
    uint32_t current = indices.empty() ? 0 : indices[0];
    for (size_t i = 1; i < indices.size(); ++i) {
        const int32_t key = int32_t((current << 8) | indices[i]);
        size_t slot = (uint32_t(key) * 2654435761u) >> 19;  // top 13 bits
        while (keys[slot] != -1 && keys[slot] != key) slot = (slot + 1) & (kTableSize - 1);
        if (keys[slot] == key) {
            current = codes[slot];
            continue;
        }
        out.put(current, codeSize);
        keys[slot] = key;
        codes[slot] = uint16_t(++lastCode);
        if (lastCode >= (1u << codeSize)) ++codeSize;
        if (lastCode == 4095) {
            out.put(kClear, codeSize);
            std::fill(keys.begin(), keys.end(), -1);
            codeSize = kMinCodeSize + 1;
            lastCode = kEnd;
        }
        current = indices[i];
    }
    out.put(current, codeSize);
    // A decoder adds a table entry for this last code too (it cannot know it is the last), one after ours, and
    // widens its codes when that entry reaches the next power of two: the clear code must follow its width.
    if (lastCode > kEnd && lastCode + 1 >= (1u << codeSize) && codeSize < 12) ++codeSize;
    out.put(kClear, codeSize);
    out.put(kEnd, kMinCodeSize + 1);
    out.finish();
}

Status GifWriter::close() {
    if (!m_file) return Status::ok();
    std::fputc(0x3b, m_file);
    const bool failed = std::ferror(m_file) != 0;
    const bool closeFailed = std::fclose(m_file) != 0;
    m_file = nullptr;
    return failed || closeFailed ? Status::io(std::string("cannot write the GIF: ") + std::strerror(errno))
                                 : Status::ok();
}

}  // namespace waft::engine
