// Motion-brush stroke files.
#include <string>

#include "dynamics/MotionStrokes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto strokes = waft::engine::strokesFromJson(std::string(reinterpret_cast<const char*>(data), size));
    if (strokes) (void)strokes->scaledTo(64, 48);
    return 0;
}
