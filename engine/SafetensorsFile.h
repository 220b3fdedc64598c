#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "Safetensors.h"
#include "Status.h"

namespace waft::engine {

// A parsed, fully validated safetensors file held in memory. Validation happens once in parse(): a header
// that is truncated, oversized, not JSON, has unknown dtypes, bad shapes, offsets out of range, overlapping
// or leaving holes, duplicate names or non-string metadata is rejected with a one-line error, so every
// accessor afterwards is safe. Never executes anything from the file. Immutable after construction, so any
// thread may read it.
class SafetensorsFile {
public:
    static Expected<SafetensorsFile> open(const std::string& path);
    static Expected<SafetensorsFile> parse(std::vector<uint8_t> bytes);

    const std::map<std::string, std::string>& metadata() const { return m_metadata; }
    const std::map<std::string, TensorInfo>& tensors() const { return m_tensors; }
    const TensorInfo* find(const std::string& name) const;

    // Raw bytes of a tensor (little-endian, as stored).
    const uint8_t* data(const TensorInfo& info) const { return m_bytes.data() + m_dataStart + info.begin; }

    // Reads a floating tensor (F16, BF16, F32, F64) as float32. Checks the shape if one is given
    // (-1 matches any extent).
    Expected<std::vector<float>> readFloat(const std::string& name,
                                           const std::vector<int64_t>& expectedShape = {}) const;
    // Reads a U8 tensor, checking the shape as above.
    Expected<std::vector<uint8_t>> readU8(const std::string& name,
                                          const std::vector<int64_t>& expectedShape = {}) const;

private:
    Status checkShape(const std::string& name, const TensorInfo& info,
                      const std::vector<int64_t>& expectedShape) const;

    std::vector<uint8_t> m_bytes;
    uint64_t m_dataStart = 0;
    std::map<std::string, std::string> m_metadata;
    std::map<std::string, TensorInfo> m_tensors;
};

}  // namespace waft::engine
