#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/Status.h"
#include "io/Safetensors.h"

namespace waft::engine {

// A parsed, fully validated safetensors file. Validation happens once, on the header alone: a header that is
// truncated, oversized, not JSON, has unknown dtypes, bad shapes, offsets out of range, overlapping or
// leaving holes, duplicate names or non-string metadata, or a file whose size is not exactly header plus
// tensors, is rejected with a one-line error before any tensor byte is read, so every accessor afterwards
// is safe. open() reads the 8-byte size and the header, then memory-maps the file read-only: a multi-GB
// checkpoint costs resident memory only for the tensors actually read. openHeader() stops after the header
// (metadata and tensor list, nothing mapped). Never executes anything from the file. Immutable after
// construction and cheap to copy (copies share the mapping), so any thread may read it. The mapping assumes
// nobody truncates the file while it is open.
class SafetensorsFile {
public:
    static Expected<SafetensorsFile> open(const std::string& path);
    static Expected<SafetensorsFile> openHeader(const std::string& path);
    static Expected<SafetensorsFile> parse(std::vector<uint8_t> bytes);

    const std::map<std::string, std::string>& metadata() const { return m_metadata; }
    const std::map<std::string, TensorInfo>& tensors() const { return m_tensors; }
    const TensorInfo* find(const std::string& name) const;

    // Raw bytes of a tensor (little-endian, as stored); nullptr for a header-only file.
    const uint8_t* data(const TensorInfo& info) const {
        return m_storage ? m_storage->bytes() + m_dataStart + info.begin : nullptr;
    }
    bool hasData() const { return m_storage != nullptr; }

    // Reads a floating tensor (F16, BF16, F32, F64) as float32. Checks the shape if one is given
    // (-1 matches any extent).
    Expected<std::vector<float>> readFloat(const std::string& name,
                                           const std::vector<int64_t>& expectedShape = {}) const;
    // Reads a U8 tensor, checking the shape as above.
    Expected<std::vector<uint8_t>> readU8(const std::string& name,
                                          const std::vector<int64_t>& expectedShape = {}) const;

    // The file's bytes, however they are held (a mapping or a buffer).
    class Storage {
    public:
        virtual ~Storage() = default;
        virtual const uint8_t* bytes() const = 0;
    };

private:
    Status checkShape(const std::string& name, const TensorInfo& info, const std::vector<int64_t>& expectedShape) const;
    Expected<const uint8_t*> tensorBytes(const std::string& name, const TensorInfo& info) const;
    // Validates a header of headerSize bytes for a data buffer of dataBytes and fills the tensor list.
    static Expected<SafetensorsFile> fromHeader(const char* header, uint64_t headerSize, uint64_t dataBytes);

    std::shared_ptr<const Storage> m_storage;
    uint64_t m_dataStart = 0;
    std::map<std::string, std::string> m_metadata;
    std::map<std::string, TensorInfo> m_tensors;
};

}  // namespace waft::engine
