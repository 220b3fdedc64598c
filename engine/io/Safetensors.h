#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/Status.h"

namespace waft::engine {

// Element types of the safetensors format (https://github.com/huggingface/safetensors, "dtype").
enum class DType { Bool, U8, I8, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64 };

const char* dtypeName(DType dtype);
bool parseDType(const std::string& name, DType& out);
size_t dtypeSize(DType dtype);

// One tensor's header entry; offsets are relative to the start of the data buffer.
struct TensorInfo {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0;
    uint64_t end = 0;
    int64_t numel() const;
};

// Largest header we accept (the reference implementation's limit).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull << 20;

}  // namespace waft::engine
