#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace waft::engine::sd {

// The text side of CLIP's tokenizer (openai/CLIP simple_tokenizer.py: basic_clean, whitespace_clean, lower() and
// the pre-tokenising pattern), on Unicode code points, with ICU for categories, NFC and case mapping.
// Stateless; any thread. Bad input never throws: invalid UTF-8 becomes U+FFFD.
//
// Clean-up, in order:
//  1. UTF-8 decoding; each maximal invalid subsequence -> U+FFFD (what Python's errors="replace" does).
//  2. HTML unescaping twice, like CLIP: numeric &#N; / &#xH; (semicolon optional, Python's html.unescape rules:
//     0 -> U+FFFD, 0x80..0x9F as Windows-1252, surrogates and > U+10FFFF -> U+FFFD, controls and non-characters
//     dropped) and a table of common named entities (&amp; &lt; &gt; &quot; &apos; &nbsp; ...; those HTML5 allows
//     without ';' are read without it too). Other names stay text.
//  3. In place of ftfy.fix_text (a Python library), its steps that change ordinary prompts: drop control characters,
//     curly quotes -> ' and " (ftfy's uncurl_quotes), Latin ligatures U+FB00..FB06 -> letters, fullwidth ASCII
//     U+FF01..FF5E -> ASCII, then NFC. Not done: ftfy's mojibake repair (re-decoding "cafÃ©"), which is a heuristic.
//  4. Whitespace (Unicode White_Space, as the regex module's \s) runs -> one space; strip.
//  5. Lower-casing with ICU's full case mapping in the root locale (u_strToLower): the same mapping as Python's
//     str.lower(), including final sigma and U+0130 -> "i" + U+0307.
class ClipText {
public:
    enum class PieceKind { Text, StartOfText, EndOfText };
    struct Piece {
        std::string utf8;
        PieceKind kind = PieceKind::Text;
    };

    // Steps 1-5: the text that CLIP's pattern then splits.
    static std::u32string clean(std::string_view utf8);
    // CLIP's pattern <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+ on
    // cleaned text, matched left to right, unmatched characters (whitespace) skipped.
    static std::vector<Piece> split(std::u32string_view cleaned);

    static std::u32string decodeUtf8(std::string_view bytes);
    static std::string encodeUtf8(std::u32string_view text);
    // One pass of Python's html.unescape for the entities described above.
    static std::u32string unescapeHtml(std::u32string_view text);
};

}  // namespace waft::engine::sd
