#pragma once

#include <opencv2/core/mat.hpp>
#include <string>

#include "core/Status.h"

namespace waft::engine {

// The one way the engine reads a photo or a PNG frame from a path, as untrusted: the size a PNG, JPEG, BMP or
// WebP header claims is checked against the caps *before* decoding (a 100-byte PNG can claim 10^10 pixels,
// and OpenCV would first try to allocate them), the decoder's own complaints stay off stderr, and anything
// the decoder throws becomes one line. 8-bit BGR out. Any thread.
inline constexpr int64_t kMaxImagePixels = int64_t(1) << 28;  // 268 M pixels (16384 x 16384)
Expected<cv::Mat> readImage(const std::string& path);

// What the header claims, without decoding: {width, height}, {0, 0} for a format it does not know. For tests
// and the check above.
Expected<cv::Size> imageHeaderSize(const std::string& path);

}  // namespace waft::engine
