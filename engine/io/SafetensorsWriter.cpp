#include "io/SafetensorsWriter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "core/Half.h"

namespace waft::engine {

Status SafetensorsWriter::addTensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                                    const void* data, size_t byteSize) {
    if (name.empty() || name == "__metadata__") return Status::invalid("invalid tensor name '" + name + "'");
    for (const Entry& e : m_entries)
        if (e.name == name) return Status::invalid("tensor '" + name + "' added twice");
    Entry entry;
    entry.name = name;
    entry.info.dtype = dtype;
    entry.info.shape = shape;
    for (int64_t extent : shape)
        if (extent < 0) return Status::invalid("tensor '" + name + "' has a negative extent");
    if (size_t(entry.info.numel()) * dtypeSize(dtype) != byteSize)
        return Status::invalid("tensor '" + name + "' byte size does not match its shape");
    const auto* bytes = static_cast<const uint8_t*>(data);
    entry.bytes.assign(bytes, bytes + byteSize);
    m_entries.push_back(std::move(entry));
    return Status::ok();
}

Status SafetensorsWriter::addFloat(const std::string& name, const std::vector<int64_t>& shape, const float* data,
                                   DType storage) {
    int64_t n = 1;
    for (int64_t extent : shape) n *= extent;
    if (storage == DType::F32) return addTensor(name, DType::F32, shape, data, size_t(n) * 4);
    if (storage != DType::F16) return Status::invalid("float tensors are stored as F32 or F16");
    std::vector<uint8_t> halfBytes(size_t(n) * 2);
    for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = floatToHalf(data[i]);
        halfBytes[2 * i] = uint8_t(h & 0xff);
        halfBytes[2 * i + 1] = uint8_t(h >> 8);
    }
    return addTensor(name, DType::F16, shape, halfBytes.data(), halfBytes.size());
}

std::vector<uint8_t> SafetensorsWriter::serialize() const {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!m_metadata.empty()) header["__metadata__"] = m_metadata;
    uint64_t offset = 0;
    for (const Entry& e : m_entries) {
        header[e.name] = {{"dtype", dtypeName(e.info.dtype)},
                          {"shape", e.info.shape},
                          {"data_offsets", {offset, offset + e.bytes.size()}}};
        offset += e.bytes.size();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    // One allocation: 8-byte little-endian header size, header, then the tensors back to back.
    std::vector<uint8_t> out(8 + text.size() + offset);
    for (int i = 0; i < 8; ++i) out[size_t(i)] = uint8_t((uint64_t(text.size()) >> (8 * i)) & 0xff);
    std::memcpy(out.data() + 8, text.data(), text.size());
    size_t cursor = 8 + text.size();
    for (const Entry& e : m_entries) {
        if (!e.bytes.empty()) std::memcpy(out.data() + cursor, e.bytes.data(), e.bytes.size());
        cursor += e.bytes.size();
    }
    return out;
}

Status SafetensorsWriter::save(const std::string& path) const { return writeFileAtomic(path, serialize()); }

Status writeFileAtomic(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::random_device random;
    const std::string temp = path + ".tmp-" + std::to_string(random());
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Status::io("cannot write " + path + ": " + std::strerror(errno));
    size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string reason = std::strerror(errno);
            ::close(fd);
            std::remove(temp.c_str());
            return Status::io("cannot write " + path + ": " + reason);
        }
        written += size_t(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        std::remove(temp.c_str());
        return Status::io("cannot flush " + path);
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        std::remove(temp.c_str());
        return Status::io("cannot replace " + path + ": " + reason);
    }
    // The rename itself reaches the disk with the folder's entry: without this a power cut could bring back the
    // old file after a later file (an autosave's record) that vouches for this one.
    std::string folder = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
    if (folder.empty()) folder = path.find('/') == 0 ? "/" : ".";
    if (const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
        ::fsync(dir);  // best effort: some file systems refuse fsync on a folder
        ::close(dir);
    }
    return Status::ok();
}

}  // namespace waft::engine
