// The GIF writer's input path: frames of any size, type and content (from the fuzzer's bytes) go through
// open/write/close; whatever it accepts must come out as a well-formed GIF89a (GifCheck.h: one image per
// accepted frame, each LZW stream decoding to exactly its rectangle's pixels).
#include <cstdio>
#include <cstdlib>

#include "FuzzFile.h"
#include "GifCheck.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = writeFuzzInput(nullptr, 0, ".gif");
    if (const std::string error = gifFromFuzzBytes(data, size, path); !error.empty()) {
        std::fprintf(stderr, "malformed GIF: %s\n", error.c_str());
        std::abort();
    }
    return 0;
}
