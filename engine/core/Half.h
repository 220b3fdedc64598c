#pragma once

#include <cstdint>
#include <cstring>

namespace waft::engine {

// IEEE 754 binary16 <-> binary32, round-to-nearest-even, with subnormals, inf and NaN. Torch-free so the
// scene file and model loader can use it anywhere.
inline float halfToFloat(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: renormalise
            exponent = 127 - 15 + 1;
            while ((mantissa & 0x400u) == 0) {
                mantissa <<= 1;
                --exponent;
            }
            mantissa &= 0x3ffu;
            bits = sign | (exponent << 23) | (mantissa << 13);
        }
    } else if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

inline uint16_t floatToHalf(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    const uint16_t sign = uint16_t((bits >> 16) & 0x8000u);
    const uint32_t absBits = bits & 0x7fffffffu;
    if (absBits >= 0x7f800000u) {  // inf or NaN
        return uint16_t(sign | 0x7c00u | (absBits > 0x7f800000u ? 0x200u : 0u));
    }
    if (absBits >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to >= 65520: overflow to inf
    if (absBits < 0x38800000u) {                                  // result is subnormal or zero
        if (absBits < 0x33000000u) return sign;                   // below half the smallest subnormal
        const uint32_t mantissa = (absBits & 0x7fffffu) | 0x800000u;
        const int shift = 126 - int(absBits >> 23);  // 14..24
        uint32_t value = mantissa >> shift;
        const uint32_t remainder = mantissa & ((1u << shift) - 1u);
        const uint32_t halfway = 1u << (shift - 1);
        if (remainder > halfway || (remainder == halfway && (value & 1u))) ++value;
        return uint16_t(sign | value);
    }
    uint32_t value = ((absBits >> 13) - ((127 - 15) << 10));
    const uint32_t remainder = absBits & 0x1fffu;
    if (remainder > 0x1000u || (remainder == 0x1000u && (value & 1u))) ++value;
    return uint16_t(sign | value);
}

}  // namespace waft::engine
