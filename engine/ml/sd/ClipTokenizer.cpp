#include "ml/sd/ClipTokenizer.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

#include "ml/sd/ClipText.h"

// The gzip file's bytes, from ClipVocab.S (.incbin).
extern "C" const unsigned char waft_clip_vocab_gz[];
extern "C" const unsigned char waft_clip_vocab_gz_end[];

namespace waft::engine::sd {

namespace {

constexpr int kMerges = 49152 - 256 - 2;      // CLIP reads lines 1 .. 48,894 of the merges file
constexpr size_t kMaxVocabBytes = 16u << 20;  // the real file inflates to 3,194,984 bytes

// CLIP's bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the other 68 bytes for U+0100..U+0143,
// in this order (the order of the first 256 tokens).
std::array<int, 256> byteOrder(std::array<char32_t, 256>& symbolOfByte) {
    std::array<int, 256> order{};
    int next = 0, shifted = 0;
    auto printable = [](int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255); };
    for (int b = 0; b < 256; ++b)
        if (printable(b)) order[next++] = b, symbolOfByte[b] = char32_t(b);
    for (int b = 0; b < 256; ++b)
        if (!printable(b)) order[next++] = b, symbolOfByte[b] = char32_t(256 + shifted++);
    return order;
}

Expected<std::string> gunzip(std::string_view gz) {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Status::error(StatusCode::Internal, "zlib failed to start");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    zs.avail_in = uInt(std::min<size_t>(gz.size(), UINT_MAX));
    std::string out(1u << 22, '\0');
    int ret = Z_OK;
    while (ret == Z_OK) {
        if (zs.total_out == out.size()) {
            if (out.size() >= kMaxVocabBytes) break;
            out.resize(std::min(out.size() * 2, kMaxVocabBytes));
        }
        zs.next_out = reinterpret_cast<Bytef*>(&out[zs.total_out]);
        zs.avail_out = uInt(out.size() - zs.total_out);
        ret = inflate(&zs, Z_NO_FLUSH);  // Z_BUF_ERROR once a truncated stream has no more input
    }
    out.resize(zs.total_out);
    inflateEnd(&zs);
    if (ret != Z_STREAM_END)
        return Status::corrupt(ret == Z_OK ? "CLIP vocabulary inflates past 16 MiB"
                                           : "CLIP vocabulary is not valid gzip");
    return out;
}

// The text up to kMaxPromptBytes, cut at a character boundary.
std::string_view promptStart(std::string_view text, bool& cut) {
    cut = text.size() > ClipTokenizer::kMaxPromptBytes;
    if (!cut) return text;
    size_t end = ClipTokenizer::kMaxPromptBytes;
    while (end > ClipTokenizer::kMaxPromptBytes - 3 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

uint64_t pairKey(int left, int right) { return (uint64_t(uint32_t(left)) << 32) | uint32_t(right); }

}  // namespace

std::string_view ClipTokenizer::embeddedVocab() {
    return {reinterpret_cast<const char*>(waft_clip_vocab_gz), size_t(waft_clip_vocab_gz_end - waft_clip_vocab_gz)};
}

Expected<const ClipTokenizer*> ClipTokenizer::shared() {
    static const Expected<std::unique_ptr<ClipTokenizer>> loaded = load(embeddedVocab());
    if (!loaded) return loaded.status().withContext("embedded CLIP vocabulary");
    return static_cast<const ClipTokenizer*>(loaded.value().get());
}

Expected<std::unique_ptr<ClipTokenizer>> ClipTokenizer::load(std::string_view gzippedMerges) {
    auto text = gunzip(gzippedMerges);
    if (!text) return text.status();
    const std::string_view all = text.value();

    std::unique_ptr<ClipTokenizer> t(new ClipTokenizer());
    std::unordered_map<std::string, int> idOf;  // token string (byte symbols, "</w>") -> id; only while loading
    idOf.reserve(kVocabSize);
    t->m_text.reserve(kVocabSize);
    std::array<char32_t, 256> symbolOfByte{};
    const std::array<int, 256> order = byteOrder(symbolOfByte);
    for (int endsWord = 0; endsWord < 2; ++endsWord)
        for (int i = 0; i < 256; ++i) {
            const int byte = order[i];
            const int id = i + 256 * endsWord;
            std::string symbol = ClipText::encodeUtf8(std::u32string(1, symbolOfByte[byte]));
            idOf.emplace(endsWord ? symbol + "</w>" : symbol, id);
            t->m_text.push_back(std::string(1, char(byte)) + (endsWord ? " " : ""));
            if (!endsWord) t->m_byteToken[byte] = i;
        }

    size_t pos = all.find('\n');
    if (pos == std::string_view::npos || all.substr(0, pos).find("#version") == std::string_view::npos)
        return Status::corrupt("CLIP vocabulary has no '#version' header line");
    t->m_merges.reserve(kMerges);
    for (int rank = 0; rank < kMerges; ++rank) {
        const size_t start = pos + 1;
        pos = all.find('\n', start);
        if (start >= all.size() || pos == std::string_view::npos)
            return Status::corrupt("CLIP vocabulary has " + std::to_string(rank) + " merges, needs " +
                                   std::to_string(kMerges));
        const std::string_view line = all.substr(start, pos - start);
        const size_t space = line.find(' ');
        const std::string lineNo = "CLIP vocabulary line " + std::to_string(rank + 2);
        if (space == 0 || space == std::string_view::npos || space + 1 >= line.size() ||
            line.find(' ', space + 1) != std::string_view::npos)
            return Status::corrupt(lineNo + " is not 'left right'");
        const std::string left(line.substr(0, space)), right(line.substr(space + 1));
        const auto l = idOf.find(left), r = idOf.find(right);
        if (l == idOf.end() || r == idOf.end()) return Status::corrupt(lineNo + " merges an unknown token");
        const int id = 512 + rank;
        if (!idOf.emplace(left + right, id).second) return Status::corrupt(lineNo + " repeats a token");
        t->m_merges.emplace(pairKey(l->second, r->second), id);
        t->m_text.push_back(t->m_text[size_t(l->second)] + t->m_text[size_t(r->second)]);
    }
    t->m_text.push_back("<|startoftext|>");
    t->m_text.push_back("<|endoftext|>");
    if (t->m_text.size() != size_t(kVocabSize)) return Status::error(StatusCode::Internal, "CLIP vocabulary size");
    return t;
}

// CLIP's bpe(): repeatedly merge every occurrence (left to right) of the adjacent pair whose merge comes first.
// Merge ids grow with their rank, so the lowest merged id is the first merge. O(size^2): size <= kMaxPieceBytes.
void ClipTokenizer::bpe(const unsigned char* bytes, size_t size, bool endsWord, std::vector<int>& out) const {
    std::vector<int> word(size);
    for (size_t i = 0; i < size; ++i) word[i] = m_byteToken[bytes[i]];
    if (endsWord && size > 0) word.back() += 256;
    while (word.size() > 1) {
        int best = INT_MAX, left = -1, right = -1;
        for (size_t i = 0; i + 1 < word.size(); ++i) {
            const auto it = m_merges.find(pairKey(word[i], word[i + 1]));
            if (it != m_merges.end() && it->second < best) best = it->second, left = word[i], right = word[i + 1];
        }
        if (best == INT_MAX) break;
        size_t kept = 0;
        for (size_t i = 0; i < word.size(); ++kept) {
            if (i + 1 < word.size() && word[i] == left && word[i + 1] == right) {
                word[kept] = best;
                i += 2;
            } else {
                word[kept] = word[i++];
            }
        }
        word.resize(kept);
    }
    out.insert(out.end(), word.begin(), word.end());
}

std::vector<int> ClipTokenizer::encodeCut(const std::string& text, bool& inputCut) const {
    const std::string_view view = promptStart(text, inputCut);
    std::vector<int> ids;
    for (const ClipText::Piece& piece : ClipText::split(ClipText::clean(view))) {
        if (piece.kind != ClipText::PieceKind::Text) {
            ids.push_back(piece.kind == ClipText::PieceKind::StartOfText ? kStartOfText : kEndOfText);
            continue;
        }
        const auto* bytes = reinterpret_cast<const unsigned char*>(piece.utf8.data());
        for (size_t at = 0; at < piece.utf8.size(); at += kMaxPieceBytes) {
            const size_t n = std::min(kMaxPieceBytes, piece.utf8.size() - at);
            bpe(bytes + at, n, at + n == piece.utf8.size(), ids);
        }
    }
    return ids;
}

std::vector<int> ClipTokenizer::encode(const std::string& text) const {
    bool cut = false;
    return encodeCut(text, cut);
}

TokenizedPrompt ClipTokenizer::tokenize(const std::string& text, int contextLength, bool pad) const {
    contextLength = std::clamp(contextLength, 2, kMaxContextLength);
    TokenizedPrompt p;
    const std::vector<int> tokens = encodeCut(text, p.inputCut);
    const size_t kept = std::min(tokens.size(), size_t(contextLength - 2));
    p.promptTokens = int(tokens.size());
    p.droppedTokens = int(tokens.size() - kept);
    p.truncated = p.droppedTokens > 0;
    p.ids.reserve(size_t(contextLength));
    p.ids.push_back(kStartOfText);
    p.ids.insert(p.ids.end(), tokens.begin(), tokens.begin() + std::ptrdiff_t(kept));
    p.ids.push_back(kEndOfText);
    if (pad) p.ids.resize(size_t(contextLength), kEndOfText);
    return p;
}

std::string ClipTokenizer::decode(const std::vector<int>& ids, bool skipSpecial) const {
    std::string bytes;
    for (int id : ids) {
        if (id < 0 || id >= kVocabSize) {
            bytes += "\xEF\xBF\xBD";
        } else if (!(skipSpecial && (id == kStartOfText || id == kEndOfText))) {
            bytes += m_text[size_t(id)];
        }
    }
    std::string text = ClipText::encodeUtf8(ClipText::decodeUtf8(bytes));  // broken sequences -> U+FFFD
    const size_t first = text.find_first_not_of(" \t\n\r\f\v");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\n\r\f\v") - first + 1);
}

std::string ClipTokenizer::clean(const std::string& text) {
    bool cut = false;
    return ClipText::encodeUtf8(ClipText::clean(promptStart(text, cut)));
}

}  // namespace waft::engine::sd
