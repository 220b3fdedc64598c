// Photos from anywhere: the header size check that runs before decoding (PNG, JPEG, BMP, WebP headers, a JPEG's
// segment walk), then OpenCV's decoder behind it, capped by what the header may claim.
#include "FuzzFile.h"
#include "io/ImageFile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = writeFuzzInput(data, size, ".img");
    (void)waft::engine::imageHeaderSize(path);
    (void)waft::engine::readImage(path);
    return 0;
}
