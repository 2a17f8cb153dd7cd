// Small text helpers shared by the tokenizers: UTF-8 character lengths,
// SentencePiece whitespace escaping and "<0xNN>" byte pieces.
#ifndef RADIXLM_TOKENIZER_TEXT_UTIL_H_
#define RADIXLM_TOKENIZER_TEXT_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace radixlm {

// "▁" (U+2581), SentencePiece's visible space.
inline constexpr std::string_view kSpaceMarker = "\xe2\x96\x81";

// Returns the length of the UTF-8 sequence that `lead` starts, judged by
// its high bits alone (1 for ASCII and for stray continuation bytes, 2-4
// otherwise). Continuation bytes are not checked, as in llama.cpp.
inline size_t Utf8LeadLength(uint8_t lead) {
  static constexpr uint8_t kLength[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLength[lead >> 4];
}

// Appends `text` to *out with every ' ' replaced by "▁".
void AppendEscapedWhitespace(std::string_view text, std::string* out);

// Returns `text` with every "▁" replaced by ' '.
std::string UnescapeWhitespace(std::string_view text);

// Replaces every occurrence of `from` (non-empty) in *text with `to`.
void ReplaceAll(std::string* text, std::string_view from, std::string_view to);

// Returns true and sets *byte when `piece` is a byte-fallback piece
// "<0xNN>" (two hex digits, either case).
bool ParseBytePiece(std::string_view piece, uint8_t* byte);

// Returns the canonical byte-fallback piece for `byte`: "<0x0A>".
std::string BytePiece(uint8_t byte);

}  // namespace radixlm

#endif  // RADIXLM_TOKENIZER_TEXT_UTIL_H_
