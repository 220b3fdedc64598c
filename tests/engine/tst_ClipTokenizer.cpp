// ClipTokenizer: CLIP's BPE tokenizer (SD 1.x's text encoder input). GoogleTest, no Qt, no torch.
//
// Expected ids come from the vocabulary itself: id = position in CLIP's list of 256 byte symbols, the same 256
// ending a word ("</w>", +256), then merge line N (1-based after the header) at 511 + N, then 49406/49407. They
// were read out of bpe_simple_vocab_16e6.txt.gz with openai/CLIP's simple_tokenizer.py logic (Python, `regex`
// module, ftfy left out: where our ftfy stand-in changes the text, the row says what ftfy gives and that text was
// the reference). The comment of each row names the tokens and says why the text splits so.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "ml/sd/ClipText.h"
#include "ml/sd/ClipTokenizer.h"

using namespace waft::engine;
using waft::engine::sd::ClipText;
using waft::engine::sd::ClipTokenizer;

namespace {

const ClipTokenizer& tokenizer() {
    auto t = ClipTokenizer::shared();
    EXPECT_TRUE(t.hasValue()) << t.status().message();
    return **t;
}

struct Row {
    const char* name;
    std::string text;
    std::vector<int> ids;
};

// a</w> 320, photo</w> 1125, of</w> 539, cat</w> 2368: the reference encodings of shared/data/README.md.
const std::vector<int> kPhotoOfACat = {320, 1125, 539, 320, 2368};

const std::vector<Row> kRows = {
    // The two encodings published with the vocabulary (simple_tokenizer.py's own output).
    {"photo_of_a_cat", "a photo of a cat", kPhotoOfACat},
    {"chicken", "a chicken is walking", {320, 3717, 533, 3941}},  // chicken</w> is</w> walking</w>
    // Upper case is lower-cased before BPE: the same ids.
    {"upper_case", "A PHOTO OF A CAT", kPhotoOfACat},
    // Tabs, newlines and runs of spaces collapse to one space; the ends are stripped.
    {"whitespace_runs", "  a   photo\tof\n a cat  ", kPhotoOfACat},
    // U+00A0 (no-break space) is White_Space too.
    {"nbsp", "a\u00A0cat", {320, 2368}},
    // A run of non-letter, non-digit characters is one piece: hello</w> 3306, !!!</w> 995 (a merge of its own).
    {"punctuation_run", "hello!!!", {3306, 995}},
    // Digits are one piece each: in</w> 530, 2</w> 273, 0</w> 271, 2</w>, 4</w> 275.
    {"digits_split", "in 2024", {530, 273, 271, 273, 275}},
    // "3.14..." -> 3 . 1 4 ...: digits alone, '.' between digits alone (.</w> 269), the trailing "..." a run (678).
    {"decimal_and_ellipsis", "pi is 3.14...", {5357, 533, 274, 269, 272, 275, 678}},
    // Contractions are pieces of their own: don</w> 847, 't</w> 713, stop</w> 1691.
    {"dont", "don't stop", {847, 713, 1691}},
    // 's after any word: it</w> 585, 's</w> 568, a</w>, dog</w> 1929, 's</w>, life</w> 970.
    {"possessive", "it's a dog's life", {585, 568, 320, 1929, 568, 970}},
    // 're 've 'm 'll 'd, and ','</w> 267 after each clause.
    {"contractions",
     "they're here, we've won, i'm in, you'll see, he'd go",
     {889, 982, 763, 267, 649, 1200, 1749, 267, 328, 880, 530, 267, 592, 1342, 862, 267, 797, 1896, 861}},
    // A prompt as SD users write it: masterpiece</w> 12066, best</w> 949, quality</w> 3027, 8</w> 279, k</w> 330.
    {"sd_style", "masterpiece, best quality, 8k", {12066, 267, 949, 3027, 267, 279, 330}},
    // é is the bytes C3 A9, byte symbols "Ã©"; "cafÃ©</w>" is one merged token, 15304.
    {"accent_nfc", "caf\xC3\xA9", {15304}},
    // e + U+0301 (combining acute) composes to é under NFC (what ftfy does); without it CLIP would split off the mark.
    {"accent_decomposed", "cafe\xCC\x81", {15304}},
    // É lower-cases to é (ICU full case mapping); Ü -> ü: "Ã¼" 6522 then ber</w> 1516.
    {"accent_upper", "CAF\u00C9 \u00DCBER", {15304, 6522, 1516}},
    // Greek ΟΔΟΣ -> οδος with a final sigma ς (CF 82: "Ï" 139, "Ĥ</w>" 480), as Python's str.lower() gives; byte
    // tokens Î 138 ¿ 123 Î ´ 112 because no merges join them.
    {"greek_final_sigma", "\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3", {138, 123, 138, 112, 138, 123, 139, 480}},
    // Cyrillic МОСКВА -> москва; each letter is a two-byte merge (м 38018 о 13506 с 23669 к 27152 в 39813, а</w>
    // 27080).
    {"cyrillic", "\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90", {38018, 13506, 23669, 27152, 39813, 27080}},
    // İ (U+0130) lower-cases to i + U+0307 as in Python: i</w> 328, the mark alone "Ìĩ</w>" 16384, stanbul</w> 11231.
    {"dotted_capital_i", "\xC4\xB0stanbul", {328, 16384, 11231}},
    // An emoji is a symbol piece; its 4 bytes F0 9F 90 B1 are the byte symbols "ðŁĲ±" merged into one token, 22979.
    {"emoji", "\xF0\x9F\x90\xB1", {22979}},
    // &amp; unescapes to &: cats</w> 3989, &</w> 261, dogs</w> 3255.
    {"html_amp", "cats &amp; dogs", {3989, 261, 3255}},
    // &lt;3 -> "<3": <</w> 283, 3</w> 274.
    {"html_lt", "&lt;3", {283, 274}},
    // Unescaped twice, like CLIP: &amp;amp; -> &amp; -> &.
    {"html_twice", "&amp;amp;", {261}},
    // &#39; is an apostrophe, so "'s" becomes the contraction: the</w> 518, cat</w>, 's</w> 568, toy</w> 5988.
    {"html_numeric_apostrophe", "the cat&#39;s toy", {518, 2368, 568, 5988}},
    // Decimal and hex references of U+1F600 😀, each "ðŁĺĢ</w>" 7334.
    {"html_numeric_emoji", "&#128512; &#x1F600;", {7334, 7334}},
    // Python's html.unescape rules: &#x41; and &#65 (no ';') are A -> "aa</w>" 3894; &#0; -> U+FFFD; &#128; is
    // Windows-1252 € ("âĤ¬" 34919); > U+10FFFF -> U+FFFD; &#1; (a control) -> nothing; then b</w> 321.
    // U+FFFD is EF BF BD: "ï¿½" 47356 inside a piece, "ï¿½</w>" 39802 at its end.
    {"html_numeric_edges", "&#x41;&#65&#0;&#128;&#99999999999;&#1;b", {3894, 47356, 34919, 39802, 321}},
    // HTML5's legacy rule: "&ampersand" starts with the entity amp (valid without ';'): "&ersand" -> &</w>, ers
    // 4840, and</w> 537.
    {"html_legacy_prefix", "&ampersand", {261, 4840, 537}},
    // ftfy's uncurl_quotes: “quoted” don’t -> "quoted" don't: "</w> 257, quoted</w> 27706, don</w> 847, 't</w> 713.
    {"curly_quotes", "\xE2\x80\x9Cquoted\xE2\x80\x9D don\xE2\x80\x99t", {257, 27706, 257, 847, 713}},
    // ftfy's ligature fix: ﬁre -> fire, one token 1769.
    {"ligature", "\xEF\xAC\x81re", {1769}},
    // ftfy's width fix: fullwidth Ｈｅｌｌｏ -> hello</w> 3306.
    {"fullwidth", "\xEF\xBC\xA8\xEF\xBD\x85\xEF\xBD\x8C\xEF\xBD\x8C\xEF\xBD\x8F", {3306}},
    // The special tokens' text is those tokens, as in CLIP: a</w>, <|endoftext|> 49407, b</w> 321.
    {"special_in_text", "a <|endoftext|> b", {320, 49407, 321}},
    // U+0345 matches no alternative of CLIP's case-insensitive pattern and splits the run: two !</w> 256.
    {"ypogegrammeni_quirk", "!\xCD\x85!", {256, 256}},
    // Invalid UTF-8: 0xFF -> U+FFFD ("ï¿½</w>" 39802), then cat</w>.
    {"invalid_byte", "\xFF cat", {39802, 2368}},
    // A cut-off sequence E2 82 is one U+FFFD (one maximal subpart, as Python's errors="replace"); x</w> 343.
    {"truncated_sequence", "\xE2\x82 x", {39802, 343}},
    // An encoded surrogate ED A0 80 is three U+FFFD (ED's second byte must be 80..9F): ï¿½ ï¿½ ï¿½</w>.
    {"surrogate_bytes", "\xED\xA0\x80", {47356, 47356, 39802}},
    // Cut in the middle of é at the end of the text: caf</w> 20867, ï¿½</w>.
    {"truncated_at_end", "caf\xC3", {20867, 39802}},
    {"empty", "", {}},
    {"only_whitespace", " \t\n ", {}},
};

}  // namespace

TEST(ClipTokenizer, VocabularyIsCLIPs) {
    EXPECT_EQ(ClipTokenizer::embeddedVocab().size(), 1356917u);  // bytes of bpe_simple_vocab_16e6.txt.gz
    const ClipTokenizer& t = tokenizer();
    // Byte symbols: '!' is id 0, '"' 1; the same ending a word +256; the first merge "i n" is 512, the last one
    // read ("jeky ll</w>", file line 48,895) 49405. The next line, "ha bib</w>", is past CLIP's cut: "habib" stays
    // ha 560 + bib</w> 21022. Then the two special tokens, which keep their text.
    EXPECT_EQ(t.decode({0, 1, 256}), "!\"!");
    EXPECT_EQ(t.decode({512}), "in");
    EXPECT_EQ(t.decode({49405}), "jekyll");
    EXPECT_EQ(t.encode("jekyll"), std::vector<int>{49405});
    EXPECT_EQ(t.encode("habib"), (std::vector<int>{560, 21022}));
    EXPECT_EQ(t.decode({ClipTokenizer::kStartOfText, 320, ClipTokenizer::kEndOfText}, false),
              "<|startoftext|>a <|endoftext|>");
}

TEST(ClipTokenizer, EncodesKnownPrompts) {
    const ClipTokenizer& t = tokenizer();
    ASSERT_GE(kRows.size(), 20u);
    for (const Row& row : kRows) {
        SCOPED_TRACE(row.name);
        EXPECT_EQ(t.encode(row.text), row.ids);
    }
}

// What SD 1.x's text encoder gets: BOS, tokens, EOS, padded with EOS to 77.
TEST(ClipTokenizer, TokenizePadsWithEndOfText) {
    const ClipTokenizer& t = tokenizer();
    const auto p = t.tokenize("a photo of a cat");
    ASSERT_EQ(p.ids.size(), 77u);
    EXPECT_EQ(std::vector<int>(p.ids.begin(), p.ids.begin() + 7),
              (std::vector<int>{49406, 320, 1125, 539, 320, 2368, 49407}));
    for (size_t i = 7; i < 77; ++i) EXPECT_EQ(p.ids[i], 49407) << i;
    EXPECT_EQ(p.promptTokens, 5);
    EXPECT_FALSE(p.truncated);
    EXPECT_EQ(t.tokenize("a photo of a cat", 77, false).ids,
              (std::vector<int>{49406, 320, 1125, 539, 320, 2368, 49407}));

    const auto empty = t.tokenize("");
    ASSERT_EQ(empty.ids.size(), 77u);
    EXPECT_EQ(empty.ids[0], 49406);
    for (size_t i = 1; i < 77; ++i) EXPECT_EQ(empty.ids[i], 49407);
    EXPECT_EQ(t.tokenize("", 77, false).ids, (std::vector<int>{49406, 49407}));
}

TEST(ClipTokenizer, TruncatesKeepingEndOfTextLast) {
    const ClipTokenizer& t = tokenizer();
    std::string text;
    for (int i = 0; i < 40; ++i) text += "a photo of a cat ";  // 200 words, one token each
    const auto p = t.tokenize(text);
    ASSERT_EQ(p.ids.size(), 77u);
    EXPECT_EQ(p.ids.front(), 49406);
    EXPECT_EQ(p.ids.back(), 49407);
    for (size_t i = 1; i < 76; ++i) EXPECT_EQ(p.ids[i], kPhotoOfACat[(i - 1) % 5]) << i;  // no padding inside
    EXPECT_EQ(p.promptTokens, 200);
    EXPECT_EQ(p.droppedTokens, 125);
    EXPECT_TRUE(p.truncated);
    EXPECT_EQ(t.tokenize(text, 77, false).ids, p.ids);  // nothing to pad

    // Exactly 75 tokens fit (15 x 5), 76 do not.
    std::string fits;
    for (int i = 0; i < 15; ++i) fits += "a photo of a cat ";
    EXPECT_FALSE(t.tokenize(fits).truncated);
    EXPECT_EQ(t.tokenize(fits).ids[75], 2368);
    const auto over = t.tokenize(fits + "a");
    EXPECT_TRUE(over.truncated);
    EXPECT_EQ(over.droppedTokens, 1);
    EXPECT_EQ(over.ids[76], 49407);
}

TEST(ClipTokenizer, BoundsLongInput) {
    const ClipTokenizer& t = tokenizer();
    // One 300-letter word is merged in 256-byte chunks: 256 = 32 x "aaaaaaaa" (23126); the last 44 = 5 x 8 + "aaaa</w>"
    // (19336), which is also what CLIP gives for this word.
    std::vector<int> expected(37, 23126);
    expected.push_back(19336);
    EXPECT_EQ(t.encode(std::string(300, 'a')), expected);

    // Past 64 KiB only the start is read; a 100 KB word and 100 KB of words both finish.
    const auto word = t.tokenize(std::string(100000, 'x'));
    EXPECT_TRUE(word.inputCut);
    EXPECT_TRUE(word.truncated);
    EXPECT_EQ(word.ids.size(), 77u);
    std::string words;
    while (words.size() < 100000) words += "cat ";
    const auto many = t.tokenize(words);
    EXPECT_TRUE(many.inputCut);
    EXPECT_EQ(many.promptTokens, int(ClipTokenizer::kMaxPromptBytes / 4));  // every "cat " read is one token
    EXPECT_EQ(many.ids.back(), 49407);
    EXPECT_FALSE(t.tokenize("a photo of a cat").inputCut);
    // The cut never splits a character: "a" + 40,000 x é (2 bytes) keeps "a" + 32,767 é (65,535 bytes).
    std::string accents = "a";
    for (int i = 0; i < 40000; ++i) accents += "\xC3\xA9";
    EXPECT_EQ(ClipTokenizer::clean(accents), accents.substr(0, 65535));
}

TEST(ClipTokenizer, InvalidUtf8NeverBreaks) {
    const ClipTokenizer& t = tokenizer();
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes += char(i);  // every byte, most of them invalid as UTF-8
    const auto p = t.tokenize(bytes + bytes);
    EXPECT_EQ(p.ids.size(), 77u);
    EXPECT_EQ(ClipText::decodeUtf8("\xC0\xAF"), std::u32string(2, U'\uFFFD'));  // C0 and AF can never start
    EXPECT_EQ(ClipText::decodeUtf8("\xF0\x9F\x90"), std::u32string(1, U'\uFFFD'));
    EXPECT_EQ(ClipText::decodeUtf8("\xF4\x90\x80\x80"), std::u32string(4, U'\uFFFD'));  // past U+10FFFF
    EXPECT_EQ(ClipText::decodeUtf8("a\xE2\x82\xAC"), U"a\u20AC");
    EXPECT_EQ(t.decode({47356}), "\xEF\xBF\xBD");                  // byte tokens decode to their bytes
    EXPECT_EQ(t.decode({138}), "\xEF\xBF\xBD");                    // a lone lead byte CE -> U+FFFD
    EXPECT_EQ(t.decode({-1, 49408}), "\xEF\xBF\xBD\xEF\xBF\xBD");  // unknown ids
}

// decode(encode(text)) is the cleaned text: exactly for words, and up to spaces (every token ends its own piece,
// so "cat," decodes as "cat ,") with punctuation.
TEST(ClipTokenizer, DecodeRoundTrips) {
    const ClipTokenizer& t = tokenizer();
    for (const char* text : {"a photo of a cat", "An Astronaut riding a HORSE on mars", "  lots   of\tspace ",
                             "supercalifragilisticexpialidocious"}) {
        EXPECT_EQ(t.decode(t.encode(text)), ClipTokenizer::clean(text)) << text;
    }
    auto noSpaces = [](std::string s) {
        s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
        return s;
    };
    for (const char* text : {"don't stop, it's 2024!!!", "a (photo) of [a cat]: 8k, hdr; <3 & more...",
                             "the cat&#39;s toy &amp; ball", "x = y + 3.14 * z / 2 ~ #tag @user"}) {
        EXPECT_EQ(noSpaces(t.decode(t.encode(text))), noSpaces(ClipTokenizer::clean(text))) << text;
    }
    EXPECT_EQ(ClipTokenizer::clean("  The CAT&#39;s   TOY "), "the cat's toy");
}

TEST(ClipTokenizer, RejectsDamagedVocabulary) {
    const std::string_view real = ClipTokenizer::embeddedVocab();
    auto garbage = ClipTokenizer::load("not gzip at all");
    ASSERT_FALSE(garbage.hasValue());
    EXPECT_EQ(garbage.status().code(), StatusCode::CorruptData);
    auto truncated = ClipTokenizer::load(real.substr(0, real.size() / 2));
    ASSERT_FALSE(truncated.hasValue());
    EXPECT_EQ(truncated.status().code(), StatusCode::CorruptData);
    auto empty = ClipTokenizer::load({});
    EXPECT_FALSE(empty.hasValue());
}

TEST(ClipTokenizer, SharedIsOneAcrossThreads) {
    std::vector<const ClipTokenizer*> seen(4, nullptr);
    std::vector<std::vector<int>> ids(4);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&, i] {
            auto t = ClipTokenizer::shared();
            if (!t) return;
            seen[size_t(i)] = *t;
            ids[size_t(i)] = (*t)->encode("it's a dog's life");
        });
    for (auto& th : threads) th.join();
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(seen[size_t(i)], seen[0]);
        EXPECT_EQ(ids[size_t(i)], (std::vector<int>{585, 568, 320, 1929, 568, 970}));
    }
}
