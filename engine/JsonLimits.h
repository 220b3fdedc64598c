#pragma once

#include <string>

namespace waft::engine {

// nlohmann's parser (and dump()) recurse once per nesting level, so a file alone could decide the stack
// depth: check the nesting of untrusted JSON text before parsing it. Brackets inside strings count too, which
// only ever refuses more. Linear in the text; any thread.
inline bool jsonNestingWithin(const std::string& text, int maxDepth) {
    int depth = 0;
    for (char c : text) {
        if (c == '[' || c == '{') {
            if (++depth > maxDepth) return false;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}

}  // namespace waft::engine
