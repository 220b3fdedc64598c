#include "io/Safetensors.h"

#include <limits>

namespace waft::engine {

namespace {
struct DTypeRow {
    DType dtype;
    const char* name;
    size_t size;
};
constexpr DTypeRow kDTypes[] = {
    {DType::Bool, "BOOL", 1}, {DType::U8, "U8", 1},   {DType::I8, "I8", 1},     {DType::I16, "I16", 2},
    {DType::U16, "U16", 2},   {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2}, {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},   {DType::F32, "F32", 4}, {DType::I64, "I64", 8},   {DType::U64, "U64", 8},
    {DType::F64, "F64", 8},
};
}  // namespace

const char* dtypeName(DType dtype) {
    for (const auto& row : kDTypes)
        if (row.dtype == dtype) return row.name;
    return "?";
}

bool parseDType(const std::string& name, DType& out) {
    for (const auto& row : kDTypes) {
        if (name == row.name) {
            out = row.dtype;
            return true;
        }
    }
    return false;
}

size_t dtypeSize(DType dtype) {
    for (const auto& row : kDTypes)
        if (row.dtype == dtype) return row.size;
    return 0;
}

int64_t TensorInfo::numel() const {
    int64_t n = 1;
    for (int64_t extent : shape) n *= extent;
    return n;
}

}  // namespace waft::engine
