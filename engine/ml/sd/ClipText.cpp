#include "ml/sd/ClipText.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cstdint>

namespace waft::engine::sd {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Python's html._invalid_charrefs for 0x80..0x9F: what Windows-1252 puts there (undefined bytes map to themselves).
constexpr char32_t kWindows1252[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                       0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                                       0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                       0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

struct Entity {
    const char* name;
    char32_t value;
    bool legacy;  // HTML5 also reads it without ';' (and as the longest prefix of a longer name)
};
// Checked against Python's html.entities.html5.
constexpr Entity kEntities[] = {
    {"amp", '&', true},       {"AMP", '&', true},       {"lt", '<', true},         {"LT", '<', true},
    {"gt", '>', true},        {"GT", '>', true},        {"quot", '"', true},       {"QUOT", '"', true},
    {"apos", '\'', false},    {"nbsp", 0xA0, true},     {"copy", 0xA9, true},      {"COPY", 0xA9, true},
    {"reg", 0xAE, true},      {"REG", 0xAE, true},      {"trade", 0x2122, false},  {"TRADE", 0x2122, false},
    {"deg", 0xB0, true},      {"times", 0xD7, true},    {"divide", 0xF7, true},    {"middot", 0xB7, true},
    {"laquo", 0xAB, true},    {"raquo", 0xBB, true},    {"hellip", 0x2026, false}, {"mdash", 0x2014, false},
    {"ndash", 0x2013, false}, {"lsquo", 0x2018, false}, {"rsquo", 0x2019, false},  {"ldquo", 0x201C, false},
    {"rdquo", 0x201D, false}, {"bull", 0x2022, false},  {"euro", 0x20AC, false},   {"hearts", 0x2665, false},
};

// The entity whose name is s (s may end with ';'), or nullptr.
const Entity* findEntity(std::u32string_view s) {
    const bool semicolon = !s.empty() && s.back() == ';';
    if (semicolon) s.remove_suffix(1);
    for (const Entity& e : kEntities) {
        if (!semicolon && !e.legacy) continue;
        std::string_view name(e.name);
        if (name.size() != s.size()) continue;
        bool same = true;
        for (size_t i = 0; i < s.size() && same; ++i) same = s[i] == char32_t(static_cast<unsigned char>(name[i]));
        if (same) return &e;
    }
    return nullptr;
}

// Python's html._replace_charref for a numeric reference; returns false when it expands to nothing.
bool numericReference(uint64_t num, char32_t& out) {
    if (num == 0) return out = kReplacement, true;
    if (num == 0x0D) return out = 0x0D, true;
    if (num >= 0x80 && num <= 0x9F) return out = kWindows1252[num - 0x80], true;
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return out = kReplacement, true;
    const bool control = (num >= 0x01 && num <= 0x08) || num == 0x0B || (num >= 0x0E && num <= 0x1F) || num == 0x7F;
    const bool nonCharacter = (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE;
    if (control || nonCharacter) return false;
    return out = char32_t(num), true;
}

int hexValue(char32_t c) {
    if (c >= '0' && c <= '9') return int(c - '0');
    if (c >= 'a' && c <= 'f') return int(c - 'a') + 10;
    if (c >= 'A' && c <= 'F') return int(c - 'A') + 10;
    return -1;
}

// ftfy's remove_control_chars set.
bool isDroppedControl(char32_t c) {
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
           c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

// Step 3: the subset of ftfy.fix_text described in the header, then NFC.
icu::UnicodeString fixText(std::u32string_view text) {
    std::u32string fixed;
    fixed.reserve(text.size());
    for (char32_t c : text) {
        if (isDroppedControl(c)) continue;
        if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
            fixed += '\'';
        } else if (c >= 0x201C && c <= 0x201F) {
            fixed += '"';
        } else if (c >= 0xFB00 && c <= 0xFB06) {
            static constexpr const char* kLigatures[] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};
            for (const char* p = kLigatures[c - 0xFB00]; *p; ++p) fixed += char32_t(*p);
        } else if (c >= 0xFF01 && c <= 0xFF5E) {
            fixed += char32_t(c - 0xFEE0);
        } else {
            fixed += c;
        }
    }
    icu::UnicodeString s =
        icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(fixed.data()), int32_t(fixed.size()));
    UErrorCode error = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(error);
    if (U_SUCCESS(error)) {
        icu::UnicodeString normalized = nfc->normalize(s, error);
        if (U_SUCCESS(error)) return normalized;
    }
    return s;  // ICU without its normalisation data: the text as it is
}

std::u32string toUtf32(const icu::UnicodeString& s) {
    std::u32string out;
    out.reserve(size_t(s.length()));
    for (int32_t i = 0; i < s.length(); i = s.moveIndex32(i, 1)) out += char32_t(s.char32At(i));
    return out;
}

bool isLetter(char32_t c) { return (U_GET_GC_MASK(UChar32(c)) & U_GC_L_MASK) != 0; }
bool isNumber(char32_t c) { return (U_GET_GC_MASK(UChar32(c)) & U_GC_N_MASK) != 0; }
bool isSpace(char32_t c) { return u_isUWhiteSpace(UChar32(c)); }
// U+0345 (combining ypogegrammeni) case-folds to a Greek letter, so under CLIP's IGNORECASE no alternative of the
// pattern matches it: regex.findall skips it like whitespace. Kept for parity.
bool isSkipped(char32_t c) { return isSpace(c) || c == 0x0345; }

bool startsWith(std::u32string_view text, size_t at, std::string_view ascii) {
    if (text.size() - at < ascii.size()) return false;
    for (size_t i = 0; i < ascii.size(); ++i)
        if (text[at + i] != char32_t(static_cast<unsigned char>(ascii[i]))) return false;
    return true;
}

// Length of the contraction ('s 't 're 've 'm 'll 'd) at `at`, or 0. The pattern is case-insensitive; after
// lower-casing only U+017F (long s, which folds to s) still differs from its ASCII letter.
size_t contractionLength(std::u32string_view text, size_t at) {
    if (text[at] != '\'' || at + 1 >= text.size()) return 0;
    const char32_t c = text[at + 1];
    if (c == 's' || c == 0x017F || c == 't' || c == 'm' || c == 'd') return 2;
    if (startsWith(text, at, "'re") || startsWith(text, at, "'ve") || startsWith(text, at, "'ll")) return 3;
    return 0;
}

}  // namespace

std::u32string ClipText::decodeUtf8(std::string_view bytes) {
    std::u32string out;
    out.reserve(bytes.size());
    size_t i = 0;
    while (i < bytes.size()) {
        const unsigned char b0 = static_cast<unsigned char>(bytes[i]);
        if (b0 < 0x80) {
            out += char32_t(b0);
            ++i;
            continue;
        }
        // Unicode's table 3-7 of well-formed sequences: the lead byte fixes the length and the second byte's range.
        int length = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        char32_t cp = 0;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            length = 2, cp = b0 & 0x1F;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            length = 3, cp = b0 & 0x0F;
            if (b0 == 0xE0) lo = 0xA0;
            if (b0 == 0xED) hi = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            length = 4, cp = b0 & 0x07;
            if (b0 == 0xF0) lo = 0x90;
            if (b0 == 0xF4) hi = 0x8F;
        }
        size_t next = i + 1;
        bool valid = length > 0;
        for (int k = 1; valid && k < length; ++k, ++next) {
            const unsigned char b = next < bytes.size() ? static_cast<unsigned char>(bytes[next]) : 0;
            if (next >= bytes.size() || b < lo || b > hi) {
                valid = false;
                break;
            }
            cp = (cp << 6) | (b & 0x3F);
            lo = 0x80, hi = 0xBF;
        }
        // A maximal invalid subpart becomes one U+FFFD; the byte that broke it starts the next sequence.
        out += valid ? cp : kReplacement;
        i = next;
    }
    return out;
}

std::string ClipText::encodeUtf8(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacement;
        if (c < 0x80) {
            out += char(c);
        } else if (c < 0x800) {
            out += char(0xC0 | (c >> 6)), out += char(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += char(0xE0 | (c >> 12)), out += char(0x80 | ((c >> 6) & 0x3F)), out += char(0x80 | (c & 0x3F));
        } else {
            out += char(0xF0 | (c >> 18)), out += char(0x80 | ((c >> 12) & 0x3F));
            out += char(0x80 | ((c >> 6) & 0x3F)), out += char(0x80 | (c & 0x3F));
        }
    }
    return out;
}

// Python's html.unescape: &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?), replaced left to right.
std::u32string ClipText::unescapeHtml(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        if (text[i] != '&' || i + 1 >= text.size()) {
            out += text[i++];
            continue;
        }
        size_t j = i + 1;
        if (text[j] == '#') {
            const bool hex = j + 1 < text.size() && (text[j + 1] == 'x' || text[j + 1] == 'X');
            size_t k = j + (hex ? 2 : 1);
            uint64_t num = 0;
            const size_t digitsStart = k;
            for (; k < text.size(); ++k) {
                const int d = hex ? hexValue(text[k]) : (text[k] >= '0' && text[k] <= '9' ? int(text[k] - '0') : -1);
                if (d < 0) break;
                num = std::min<uint64_t>(num * (hex ? 16 : 10) + uint64_t(d), 0x1000000);  // saturates past U+10FFFF
            }
            if (k == digitsStart) {  // "&#" or "&#x" without digits: not a reference
                out += text[i++];
                continue;
            }
            if (k < text.size() && text[k] == ';') ++k;
            char32_t c = 0;
            if (numericReference(num, c)) out += c;
            i = k;
            continue;
        }
        size_t k = j;
        auto isNameChar = [](char32_t c) {
            return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' && c != ';';
        };
        while (k < text.size() && k - j < 32 && isNameChar(text[k])) ++k;
        if (k == j) {
            out += text[i++];
            continue;
        }
        if (k < text.size() && text[k] == ';') ++k;
        const std::u32string_view name = text.substr(j, k - j);
        const Entity* entity = findEntity(name);
        size_t used = name.size();
        for (size_t x = name.size() - 1; !entity && x >= 2; --x) {  // the longest legacy name it starts with
            entity = findEntity(name.substr(0, x));
            used = x;
        }
        if (entity) {
            out += entity->value;
            out.append(name.substr(used));
        } else {
            out += '&';
            out.append(name);
        }
        i = k;
    }
    return out;
}

std::u32string ClipText::clean(std::string_view utf8) {
    const std::u32string decoded = decodeUtf8(utf8);
    const icu::UnicodeString fixed = fixText(unescapeHtml(unescapeHtml(decoded)));
    std::u32string collapsed;
    bool pendingSpace = false;
    for (char32_t c : toUtf32(fixed)) {
        if (isSpace(c)) {
            pendingSpace = !collapsed.empty();
            continue;
        }
        if (pendingSpace) collapsed += ' ';
        pendingSpace = false;
        collapsed += c;
    }
    icu::UnicodeString lower =
        icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(collapsed.data()), int32_t(collapsed.size()));
    lower.toLower(icu::Locale::getRoot());
    return toUtf32(lower);
}

std::vector<ClipText::Piece> ClipText::split(std::u32string_view text) {
    std::vector<Piece> pieces;
    size_t i = 0;
    while (i < text.size()) {
        const char32_t c = text[i];
        if (startsWith(text, i, "<|startoftext|>")) {
            pieces.push_back({"<|startoftext|>", PieceKind::StartOfText});
            i += 15;
            continue;
        }
        if (startsWith(text, i, "<|endoftext|>")) {
            pieces.push_back({"<|endoftext|>", PieceKind::EndOfText});
            i += 13;
            continue;
        }
        size_t end = i + 1;
        if (const size_t n = contractionLength(text, i)) {
            end = i + n;
        } else if (isLetter(c)) {
            while (end < text.size() && isLetter(text[end])) ++end;
        } else if (isNumber(c)) {
            // one digit per piece
        } else if (isSkipped(c)) {
            ++i;
            continue;
        } else {
            while (end < text.size() && !isSkipped(text[end]) && !isLetter(text[end]) && !isNumber(text[end])) ++end;
        }
        pieces.push_back({encodeUtf8(text.substr(i, end - i)), PieceKind::Text});
        i = end;
    }
    return pieces;
}

}  // namespace waft::engine::sd
