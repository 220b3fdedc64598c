#pragma once

#include <string>

namespace waft::engine {

// nlohmann's dump() and destructor recurse once per nesting level, so a file alone could decide the stack
// depth: check the nesting of untrusted JSON text before parsing it. String contents (with their escapes) are
// skipped, so brackets inside strings neither count nor cancel real ones. Linear in the text; any thread.
inline bool jsonNestingWithin(const char* text, size_t size, int maxDepth) {
    int depth = 0;
    for (size_t i = 0; i < size; ++i) {
        const char c = text[i];
        if (c == '"') {
            for (++i; i < size && text[i] != '"'; ++i)
                if (text[i] == '\\') ++i;
        } else if (c == '[' || c == '{') {
            if (++depth > maxDepth) return false;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}
inline bool jsonNestingWithin(const std::string& text, int maxDepth) {
    return jsonNestingWithin(text.data(), text.size(), maxDepth);
}

// Whether text is valid UTF-8 (nlohmann refuses to write anything else as a JSON string).
inline bool isValidUtf8(const std::string& text) {
    size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        const size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 4;
        if (extra == 4 || i + extra >= text.size() + (extra == 0 ? 1 : 0)) return false;  // bad lead or cut short
        for (size_t k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
        i += extra + 1;
    }
    return true;
}

// At most maxChars of an untrusted string for an error message, control characters escaped: one short line.
inline std::string quoteForError(const std::string& text, size_t maxChars = 80) {
    std::string out = "'";
    for (size_t i = 0; i < text.size() && i < maxChars; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        out += c < 0x20 || c == 0x7f ? '?' : char(c);
    }
    return out + (text.size() > maxChars ? "...'" : "'");
}

}  // namespace waft::engine
