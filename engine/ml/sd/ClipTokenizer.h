#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/Status.h"

namespace waft::engine::sd {

// One prompt as Stable Diffusion 1.x's text encoder takes it.
struct TokenizedPrompt {
    std::vector<int> ids;    // BOS, the prompt's tokens, EOS, then EOS as padding up to the context length
    int promptTokens = 0;    // tokens of the whole prompt without BOS/EOS, before truncation
    int droppedTokens = 0;   // of those, how many did not fit
    bool truncated = false;  // droppedTokens > 0
    bool inputCut = false;   // the text was longer than kMaxPromptBytes: only its first kMaxPromptBytes were read
};

// CLIP's byte-level BPE tokenizer, as openai/CLIP's simple_tokenizer.py and Hugging Face's CLIPTokenizer for
// openai/clip-vit-large-patch14 (SD 1.x's text encoder) compute it. The vocabulary (49,408 tokens: 256 byte
// symbols, the same ending a word ("</w>"), 48,894 merges, <|startoftext|> and <|endoftext|>) is built from
// OpenAI's bpe_simple_vocab_16e6.txt.gz, embedded in the binary (ml/sd/ClipVocab.S), so no resource path is needed.
// Text clean-up and pre-tokenising: ClipText.h (where it differs from CLIP's ftfy step is said there).
//
// Owns its tables; immutable once loaded, so every const method may run on any number of threads at once.
// Bounded work: text past kMaxPromptBytes is ignored (TokenizedPrompt::inputCut says so), and a piece of the
// pre-tokeniser longer than kMaxPieceBytes (no real word is) is merged in kMaxPieceBytes chunks, only the last
// ending the word, which keeps BPE (quadratic in a piece's length) linear in the text. Torch- and Qt-free.
class ClipTokenizer {
public:
    static constexpr int kVocabSize = 49408;
    static constexpr int kStartOfText = 49406;
    static constexpr int kEndOfText = 49407;  // also SD 1.x's padding
    static constexpr int kContextLength = 77;
    static constexpr int kMaxContextLength = 4096;
    static constexpr size_t kMaxPromptBytes = 64 * 1024;
    static constexpr size_t kMaxPieceBytes = 256;

    // The tokenizer of the embedded vocabulary, decompressed and checked once (thread-safe); an error if the
    // embedded data is damaged.
    static Expected<const ClipTokenizer*> shared();
    // From gzip-compressed merges in CLIP's format (a header line, then "left right" lines): a CorruptData status
    // for anything else.
    static Expected<std::unique_ptr<ClipTokenizer>> load(std::string_view gzippedMerges);
    static std::string_view embeddedVocab();

    // The prompt's tokens, without BOS/EOS. "<|startoftext|>" and "<|endoftext|>" in the text are those tokens,
    // as in CLIP.
    std::vector<int> encode(const std::string& text) const;
    // BOS + tokens + EOS, cut to keep EOS within contextLength (clamped to 2..kMaxContextLength), then padded
    // with EOS to contextLength unless pad is false.
    TokenizedPrompt tokenize(const std::string& text, int contextLength = kContextLength, bool pad = true) const;
    // The text of ids: word ends become spaces, the result is trimmed (as Hugging Face's decode does), invalid
    // UTF-8 and unknown ids become U+FFFD. skipSpecial leaves out BOS and EOS.
    std::string decode(const std::vector<int>& ids, bool skipSpecial = true) const;
    // The cleaned, lower-cased text that the BPE sees (UTF-8).
    static std::string clean(const std::string& text);

private:
    ClipTokenizer() = default;
    std::vector<int> encodeCut(const std::string& text, bool& inputCut) const;
    void bpe(const unsigned char* bytes, size_t size, bool endsWord, std::vector<int>& out) const;

    std::array<int, 256> m_byteToken{};          // byte -> its token (+256: the same ending a word)
    std::unordered_map<uint64_t, int> m_merges;  // (left << 32 | right) -> merged token; lower merges first
    std::vector<std::string> m_text;             // token -> its bytes, "</w>" as one trailing space
};

}  // namespace waft::engine::sd
