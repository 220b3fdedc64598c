#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "core/Status.h"

namespace waft::engine {

// Animated GIF89a encoder (OpenCV 4.6 has none): one global 255-colour palette chosen by median cut over
// the first frame (the frames of a loop share their colours), 4x4 ordered dithering, LZW compression,
// NETSCAPE2.0 looping; after the first frame only the changed rectangle is stored, unchanged pixels
// transparent. Writes straight to the given path; the caller provides atomicity. One thread.
class GifWriter {
public:
    ~GifWriter();
    // fps in (0, 50]: GIF delays are whole centiseconds and browsers slow delays under 2.
    Status open(const std::string& path, int width, int height, float fps, bool loop);
    Status write(const cv::Mat& bgr8);
    Status close();

private:
    void buildPalette(const cv::Mat& bgr8);
    void writeLzw(const std::vector<uint8_t>& indices);
    uint8_t nearestColour(int key) const;  // 5-bit-per-channel RGB key -> palette index

    std::FILE* m_file = nullptr;
    int m_width = 0;
    int m_height = 0;
    float m_fps = 25.0f;
    int m_frameIndex = 0;
    bool m_loop = true;
    bool m_headerWritten = false;
    std::vector<std::array<uint8_t, 3>> m_palette;  // RGB
    size_t m_paletteSize = 1;                       // colours in use
    std::vector<uint8_t> m_lookup;                  // 5-bit-per-channel RGB -> palette index (255: not yet)
    std::vector<uint8_t> m_previous;                // the previous frame's indices (empty before the first)
};

}  // namespace waft::engine
