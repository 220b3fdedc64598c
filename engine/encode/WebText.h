#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace waft::engine {

// Text encodings the web page export needs: SHA-256 (FIPS 180-4) for its Content-Security-Policy's script
// hash, and base64 (RFC 4648, with padding) for the data it embeds.
std::array<uint8_t, 32> sha256(const void* data, size_t size);
std::string base64(const void* data, size_t size);
inline std::string base64(const std::vector<uint8_t>& bytes) { return base64(bytes.data(), bytes.size()); }

}  // namespace waft::engine
