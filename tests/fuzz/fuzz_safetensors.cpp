// The safetensors container: header parse, bounds and tiling checks, then every tensor read as float and U8.
#include <cstdint>
#include <vector>

#include "io/SafetensorsFile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file = waft::engine::SafetensorsFile::parse(std::vector<uint8_t>(data, data + size));
    if (!file) return 0;
    for (const auto& [name, info] : file->tensors()) {
        (void)file->readFloat(name, info.shape);
        (void)file->readU8(name, info.shape);
    }
    return 0;
}
