#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/Status.h"
#include "io/Safetensors.h"

namespace waft::engine {

// Builds a safetensors file: tensors in insertion order, a `__metadata__` map of strings, header padded
// with spaces to 8-byte alignment. save() is atomic (temp file in the same folder, fsync, rename), so a
// failed save never damages an existing file. Single-threaded use.
class SafetensorsWriter {
public:
    Status addTensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape, const void* data,
                     size_t byteSize);
    // Stores float data as F32 or F16 (converted here).
    Status addFloat(const std::string& name, const std::vector<int64_t>& shape, const float* data,
                    DType storage = DType::F32);
    void setMetadata(const std::string& key, const std::string& value) { m_metadata[key] = value; }

    std::vector<uint8_t> serialize() const;
    Status save(const std::string& path) const;

private:
    struct Entry {
        std::string name;
        TensorInfo info;
        std::vector<uint8_t> bytes;
    };
    std::vector<Entry> m_entries;
    std::map<std::string, std::string> m_metadata;
};

// Writes bytes to path atomically (temp file beside it, fsync, rename).
Status writeFileAtomic(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace waft::engine
