#include "io/SafetensorsFile.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/Half.h"
#include "core/JsonLimits.h"

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
// The keys of the outermost object of valid JSON text: strings at depth 1 followed by ':'. Linear.
size_t countTopLevelKeys(const char* text, size_t size) {
    size_t keys = 0;
    int depth = 0;
    for (size_t i = 0; i < size; ++i) {
        const char c = text[i];
        if (c == '"') {
            size_t j = i + 1;
            while (j < size && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
            if (depth == 1) {
                size_t k = j + 1;
                while (k < size && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r')) ++k;
                if (k < size && text[k] == ':') ++keys;
            }
            i = j;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return keys;
}

Status parseEntry(const std::string& name, const Json& entry, TensorInfo& info) {
    if (!entry.is_object()) return Status::corrupt("tensor " + quoteForError(name) + " header entry is not an object");
    const auto dtypeIt = entry.find("dtype");
    const auto shapeIt = entry.find("shape");
    const auto offsetsIt = entry.find("data_offsets");
    if (dtypeIt == entry.end() || shapeIt == entry.end() || offsetsIt == entry.end())
        return Status::corrupt("tensor " + quoteForError(name) + " lacks dtype, shape or data_offsets");
    if (!dtypeIt->is_string() || !parseDType(dtypeIt->get<std::string>(), info.dtype))
        return Status::corrupt("tensor " + quoteForError(name) + " has unknown dtype " +
                               (dtypeIt->is_string() ? quoteForError(dtypeIt->get<std::string>()) : "(not a string)"));
    if (!shapeIt->is_array() || shapeIt->size() > 16)
        return Status::corrupt("tensor " + quoteForError(name) + " shape is not an array of at most 16 extents");
    // numel * element size must fit in 64 bits; extents are bounded to keep every product checkable.
    unsigned __int128 bytes = dtypeSize(info.dtype);
    for (const Json& extent : *shapeIt) {
        if (!extent.is_number_unsigned() || extent.get<uint64_t>() > (1ull << 40))
            return Status::corrupt("tensor " + quoteForError(name) + " has a negative, non-integer or absurd extent");
        info.shape.push_back(int64_t(extent.get<uint64_t>()));
        bytes *= extent.get<uint64_t>();
        if (bytes > std::numeric_limits<uint64_t>::max())
            return Status::corrupt("tensor " + quoteForError(name) + " is too large");
    }
    if (!offsetsIt->is_array() || offsetsIt->size() != 2 || !(*offsetsIt)[0].is_number_unsigned() ||
        !(*offsetsIt)[1].is_number_unsigned())
        return Status::corrupt("tensor " + quoteForError(name) + " data_offsets is not two non-negative integers");
    info.begin = (*offsetsIt)[0].get<uint64_t>();
    info.end = (*offsetsIt)[1].get<uint64_t>();
    if (info.end < info.begin)
        return Status::corrupt("tensor " + quoteForError(name) + " data_offsets end before begin");
    if (uint64_t(bytes) != info.end - info.begin)
        return Status::corrupt("tensor " + quoteForError(name) + " " + dtypeName(info.dtype) + shapeString(info.shape) +
                               " needs " + std::to_string(uint64_t(bytes)) + " bytes but offsets span " +
                               std::to_string(info.end - info.begin));
    return Status::ok();
}

// The size field's checks, shared by every way in: returns the header size.
Expected<uint64_t> checkHeaderSize(const uint8_t* first8, uint64_t fileBytes) {
    if (fileBytes < 8) return Status::corrupt("not a safetensors file: shorter than its 8-byte header size");
    const uint64_t headerSize = readLe64(first8);
    if (headerSize > kMaxSafetensorsHeaderBytes)
        return Status::corrupt("safetensors header of " + std::to_string(headerSize) + " bytes exceeds the " +
                               std::to_string(kMaxSafetensorsHeaderBytes) + "-byte limit");
    if (headerSize < 2) return Status::corrupt("safetensors header is empty");
    if (headerSize > fileBytes - 8) return Status::corrupt("truncated safetensors file: header runs past the end");
    return headerSize;
}

class BufferStorage : public SafetensorsFile::Storage {
public:
    explicit BufferStorage(std::vector<uint8_t> bytes) : m_bytes(std::move(bytes)) {}
    const uint8_t* bytes() const override { return m_bytes.data(); }

private:
    std::vector<uint8_t> m_bytes;
};

class MappedStorage : public SafetensorsFile::Storage {
public:
    MappedStorage(void* base, size_t length) : m_base(base), m_length(length) {}
    ~MappedStorage() override { munmap(m_base, m_length); }
    const uint8_t* bytes() const override { return static_cast<const uint8_t*>(m_base); }

private:
    void* m_base;
    size_t m_length;
};

// A file descriptor closed on every path.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

bool readFully(int fd, void* out, size_t bytes, uint64_t offset) {
    auto* p = static_cast<char*>(out);
    while (bytes > 0) {
        const ssize_t n = ::pread(fd, p, bytes, off_t(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        bytes -= size_t(n);
        offset += uint64_t(n);
    }
    return true;
}

// Opens path, reads and validates its header; maps the whole file when map is set.
Expected<SafetensorsFile> openFile(const std::string& path, bool map,
                                   Expected<SafetensorsFile> (*fromHeader)(const char*, uint64_t, uint64_t),
                                   std::shared_ptr<const SafetensorsFile::Storage>& storage) {
    Fd file;
    file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file.fd < 0) return Status::io("cannot open " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) return Status::io("cannot open " + path + ": not a file");
    const uint64_t fileBytes = uint64_t(st.st_size);
    if (fileBytes > uint64_t(SIZE_MAX))
        return Status::io("cannot map " + path + ": larger than this process can address");
    uint8_t first8[8] = {};
    if (fileBytes >= 8 && !readFully(file.fd, first8, 8, 0)) return Status::io("cannot read " + path);
    auto headerSize = checkHeaderSize(first8, fileBytes);
    if (!headerSize) return headerSize.status().withContext(path);
    std::string header(size_t(*headerSize), '\0');
    if (!readFully(file.fd, header.data(), header.size(), 8)) return Status::io("cannot read " + path);
    auto parsed = fromHeader(header.data(), *headerSize, fileBytes - 8 - *headerSize);
    if (!parsed) return parsed.status().withContext(path);
    if (map) {
        void* base = ::mmap(nullptr, size_t(fileBytes), PROT_READ, MAP_PRIVATE, file.fd, 0);
        if (base == MAP_FAILED) return Status::io("cannot map " + path + ": " + std::strerror(errno));
        storage = std::make_shared<MappedStorage>(base, size_t(fileBytes));
    }
    return parsed;
}

}  // namespace

Expected<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
    std::shared_ptr<const Storage> storage;
    auto file = openFile(path, true, &SafetensorsFile::fromHeader, storage);
    if (file) file->m_storage = std::move(storage);
    return file;
}

Expected<SafetensorsFile> SafetensorsFile::openHeader(const std::string& path) {
    std::shared_ptr<const Storage> none;
    return openFile(path, false, &SafetensorsFile::fromHeader, none);
}

Expected<SafetensorsFile> SafetensorsFile::parse(std::vector<uint8_t> bytes) {
    auto headerSize = checkHeaderSize(bytes.data(), bytes.size());
    if (!headerSize) return headerSize.status();
    auto file =
        fromHeader(reinterpret_cast<const char*>(bytes.data() + 8), *headerSize, bytes.size() - 8 - *headerSize);
    if (file) file->m_storage = std::make_shared<BufferStorage>(std::move(bytes));
    return file;
}

Expected<SafetensorsFile> SafetensorsFile::fromHeader(const char* headerBegin, uint64_t headerSize,
                                                      uint64_t bufferSize) {
    if (headerBegin[0] != '{') return Status::corrupt("safetensors header does not start with '{'");
    // A tensor entry is three levels deep; refuse deeper nesting before the recursive parser sees it.
    if (!jsonNestingWithin(headerBegin, size_t(headerSize), 16))
        return Status::corrupt("safetensors header is nested too deeply");

    // Duplicate keys are legal JSON but ambiguous here; the parser keeps one of them, so fewer keys in the object
    // than in the text means a repeat. (A parser callback would do it too, but nlohmann then rescans the parent
    // object after every entry: quadratic in the tensor count.)
    const Json header = Json::parse(headerBegin, headerBegin + headerSize, nullptr, /*allow_exceptions=*/false);
    if (header.is_discarded()) return Status::corrupt("safetensors header is not valid JSON");
    if (!header.is_object()) return Status::corrupt("safetensors header is not a JSON object");
    if (countTopLevelKeys(headerBegin, size_t(headerSize)) != header.size())
        return Status::corrupt("safetensors header repeats a tensor name");

    SafetensorsFile file;
    file.m_dataStart = 8 + headerSize;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) return Status::corrupt("safetensors __metadata__ is not an object");
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string())
                    return Status::corrupt("safetensors metadata " + quoteForError(key) + " is not a string");
                file.m_metadata[key] = value.get<std::string>();
            }
            continue;
        }
        TensorInfo info;
        WAFT_RETURN_IF_ERROR(parseEntry(name, entry, info));
        if (info.end > bufferSize)
            return Status::corrupt("truncated safetensors file: tensor " + quoteForError(name) + " ends at byte " +
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
        return Status::corrupt("tensor " + quoteForError(name) + " has shape " + shapeString(info.shape) +
                               ", expected " + shapeString(expectedShape));
    return Status::ok();
}

Expected<const uint8_t*> SafetensorsFile::tensorBytes(const std::string& name, const TensorInfo& info) const {
    if (!m_storage)
        return Status::invalid("tensor " + quoteForError(name) + ": the file was opened for its header only");
    static const uint8_t kNothing = 0;  // empty tensors: never a null source for memcpy
    return info.end == info.begin ? &kNothing : data(info);
}

Expected<std::vector<float>> SafetensorsFile::readFloat(const std::string& name,
                                                        const std::vector<int64_t>& expectedShape) const {
    const TensorInfo* info = find(name);
    if (!info) return Status::corrupt("missing tensor " + quoteForError(name));
    WAFT_RETURN_IF_ERROR(checkShape(name, *info, expectedShape));
    auto bytes = tensorBytes(name, *info);
    if (!bytes) return bytes.status();
    const size_t n = size_t(info->numel());
    std::vector<float> out(n);
    const uint8_t* src = *bytes;
    switch (info->dtype) {
        case DType::F32:
            if (n) std::memcpy(out.data(), src, n * 4);  // an empty vector has no data pointer
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
            return Status::corrupt("tensor " + quoteForError(name) + " has dtype " + dtypeName(info->dtype) +
                                   ", expected a floating type");
    }
    return out;
}

Expected<std::vector<uint8_t>> SafetensorsFile::readU8(const std::string& name,
                                                       const std::vector<int64_t>& expectedShape) const {
    const TensorInfo* info = find(name);
    if (!info) return Status::corrupt("missing tensor " + quoteForError(name));
    if (info->dtype != DType::U8)
        return Status::corrupt("tensor " + quoteForError(name) + " has dtype " + dtypeName(info->dtype) +
                               ", expected U8");
    WAFT_RETURN_IF_ERROR(checkShape(name, *info, expectedShape));
    auto bytes = tensorBytes(name, *info);
    if (!bytes) return bytes.status();
    return std::vector<uint8_t>(*bytes, *bytes + info->numel());
}

}  // namespace waft::engine
