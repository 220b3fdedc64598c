#include "SafetensorsFile.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "Half.h"

namespace waft::engine {

namespace {

using Json = nlohmann::json;

uint64_t readLe64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

std::string shapeString(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
}

// Parses one header entry; on success fills info.
Status parseEntry(const std::string& name, const Json& entry, TensorInfo& info) {
    if (!entry.is_object()) return Status::corrupt("tensor '" + name + "' header entry is not an object");
    const auto dtypeIt = entry.find("dtype");
    const auto shapeIt = entry.find("shape");
    const auto offsetsIt = entry.find("data_offsets");
    if (dtypeIt == entry.end() || shapeIt == entry.end() || offsetsIt == entry.end())
        return Status::corrupt("tensor '" + name + "' lacks dtype, shape or data_offsets");
    if (!dtypeIt->is_string() || !parseDType(dtypeIt->get<std::string>(), info.dtype))
        return Status::corrupt("tensor '" + name + "' has unknown dtype " + dtypeIt->dump());
    if (!shapeIt->is_array() || shapeIt->size() > 16)
        return Status::corrupt("tensor '" + name + "' shape is not an array of at most 16 extents");
    // numel * element size must fit in 64 bits; extents are bounded to keep every product checkable.
    unsigned __int128 bytes = dtypeSize(info.dtype);
    for (const Json& extent : *shapeIt) {
        if (!extent.is_number_unsigned() || extent.get<uint64_t>() > (1ull << 40))
            return Status::corrupt("tensor '" + name + "' has a negative, non-integer or absurd extent");
        info.shape.push_back(int64_t(extent.get<uint64_t>()));
        bytes *= extent.get<uint64_t>();
        if (bytes > std::numeric_limits<uint64_t>::max())
            return Status::corrupt("tensor '" + name + "' is too large");
    }
    if (!offsetsIt->is_array() || offsetsIt->size() != 2 || !(*offsetsIt)[0].is_number_unsigned() ||
        !(*offsetsIt)[1].is_number_unsigned())
        return Status::corrupt("tensor '" + name + "' data_offsets is not two non-negative integers");
    info.begin = (*offsetsIt)[0].get<uint64_t>();
    info.end = (*offsetsIt)[1].get<uint64_t>();
    if (info.end < info.begin) return Status::corrupt("tensor '" + name + "' data_offsets end before begin");
    if (uint64_t(bytes) != info.end - info.begin)
        return Status::corrupt("tensor '" + name + "' " + dtypeName(info.dtype) + shapeString(info.shape) +
                               " needs " + std::to_string(uint64_t(bytes)) + " bytes but offsets span " +
                               std::to_string(info.end - info.begin));
    return Status::ok();
}

}  // namespace

Expected<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return Status::io("cannot open " + path);
    const std::streamoff size = in.tellg();
    if (size < 0) return Status::io("cannot read " + path);
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    in.seekg(0);
    if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) return Status::io("cannot read " + path);
    auto parsed = parse(std::move(bytes));
    if (!parsed) return parsed.status().withContext(path);
    return parsed;
}

Expected<SafetensorsFile> SafetensorsFile::parse(std::vector<uint8_t> bytes) {
    if (bytes.size() < 8) return Status::corrupt("not a safetensors file: shorter than its 8-byte header size");
    const uint64_t headerSize = readLe64(bytes.data());
    if (headerSize > kMaxSafetensorsHeaderBytes)
        return Status::corrupt("safetensors header of " + std::to_string(headerSize) + " bytes exceeds the " +
                               std::to_string(kMaxSafetensorsHeaderBytes) + "-byte limit");
    if (headerSize < 2) return Status::corrupt("safetensors header is empty");
    if (headerSize > bytes.size() - 8) return Status::corrupt("truncated safetensors file: header runs past the end");
    const char* headerBegin = reinterpret_cast<const char*>(bytes.data() + 8);
    if (headerBegin[0] != '{') return Status::corrupt("safetensors header does not start with '{'");

    // Duplicate keys are legal JSON but ambiguous here: count top-level keys during the parse.
    std::set<std::string> seenKeys;
    bool duplicate = false;
    const Json::parser_callback_t callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
        if (depth == 1 && event == Json::parse_event_t::key && !seenKeys.insert(parsed.get<std::string>()).second)
            duplicate = true;
        return true;
    };
    const Json header = Json::parse(headerBegin, headerBegin + headerSize, callback, /*allow_exceptions=*/false);
    if (header.is_discarded()) return Status::corrupt("safetensors header is not valid JSON");
    if (!header.is_object()) return Status::corrupt("safetensors header is not a JSON object");
    if (duplicate) return Status::corrupt("safetensors header repeats a tensor name");

    SafetensorsFile file;
    file.m_dataStart = 8 + headerSize;
    const uint64_t bufferSize = bytes.size() - file.m_dataStart;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) return Status::corrupt("safetensors __metadata__ is not an object");
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string()) return Status::corrupt("safetensors metadata '" + key + "' is not a string");
                file.m_metadata[key] = value.get<std::string>();
            }
            continue;
        }
        TensorInfo info;
        WAFT_RETURN_IF_ERROR(parseEntry(name, entry, info));
        if (info.end > bufferSize)
            return Status::corrupt("truncated safetensors file: tensor '" + name + "' ends at byte " +
                                   std::to_string(info.end) + " of a " + std::to_string(bufferSize) + "-byte buffer");
        file.m_tensors.emplace(name, std::move(info));
    }

    // The data buffer must be exactly tiled by the tensors: no overlap, no holes, nothing trailing.
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& [name, info] : file.m_tensors) ranges.emplace_back(info.begin, info.end);
    std::sort(ranges.begin(), ranges.end());
    uint64_t cursor = 0;
    for (const auto& [begin, end] : ranges) {
        if (begin < cursor) return Status::corrupt("safetensors tensors overlap at byte " + std::to_string(begin));
        if (begin > cursor) return Status::corrupt("safetensors data has a hole at byte " + std::to_string(cursor));
        cursor = end;
    }
    if (cursor != bufferSize)
        return Status::corrupt("safetensors data has " + std::to_string(bufferSize - cursor) +
                               " bytes not owned by any tensor");
    file.m_bytes = std::move(bytes);
    return file;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
    const auto it = m_tensors.find(name);
    return it == m_tensors.end() ? nullptr : &it->second;
}

Status SafetensorsFile::checkShape(const std::string& name, const TensorInfo& info,
                                   const std::vector<int64_t>& expectedShape) const {
    if (expectedShape.empty()) return Status::ok();
    bool match = expectedShape.size() == info.shape.size();
    for (size_t i = 0; match && i < expectedShape.size(); ++i)
        match = expectedShape[i] < 0 || expectedShape[i] == info.shape[i];
    if (!match)
        return Status::corrupt("tensor '" + name + "' has shape " + shapeString(info.shape) + ", expected " +
                               shapeString(expectedShape));
    return Status::ok();
}

Expected<std::vector<float>> SafetensorsFile::readFloat(const std::string& name,
                                                        const std::vector<int64_t>& expectedShape) const {
    const TensorInfo* info = find(name);
    if (!info) return Status::corrupt("missing tensor '" + name + "'");
    WAFT_RETURN_IF_ERROR(checkShape(name, *info, expectedShape));
    const size_t n = size_t(info->numel());
    std::vector<float> out(n);
    const uint8_t* src = data(*info);
    switch (info->dtype) {
        case DType::F32:
            std::memcpy(out.data(), src, n * 4);
            break;
        case DType::F64:
            for (size_t i = 0; i < n; ++i) {
                double v;
                std::memcpy(&v, src + 8 * i, 8);
                out[i] = float(v);
            }
            break;
        case DType::F16:
            for (size_t i = 0; i < n; ++i) out[i] = halfToFloat(uint16_t(src[2 * i] | (src[2 * i + 1] << 8)));
            break;
        case DType::BF16:
            for (size_t i = 0; i < n; ++i) {
                const uint32_t bits = uint32_t(src[2 * i] | (src[2 * i + 1] << 8)) << 16;
                std::memcpy(&out[i], &bits, 4);
            }
            break;
        default:
            return Status::corrupt("tensor '" + name + "' has dtype " + dtypeName(info->dtype) +
                                   ", expected a floating type");
    }
    return out;
}

Expected<std::vector<uint8_t>> SafetensorsFile::readU8(const std::string& name,
                                                       const std::vector<int64_t>& expectedShape) const {
    const TensorInfo* info = find(name);
    if (!info) return Status::corrupt("missing tensor '" + name + "'");
    if (info->dtype != DType::U8)
        return Status::corrupt("tensor '" + name + "' has dtype " + dtypeName(info->dtype) + ", expected U8");
    WAFT_RETURN_IF_ERROR(checkShape(name, *info, expectedShape));
    const uint8_t* src = data(*info);
    return std::vector<uint8_t>(src, src + info->numel());
}

}  // namespace waft::engine
