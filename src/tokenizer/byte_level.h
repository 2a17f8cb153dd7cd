// Helpers for byte-level BPE (GPT-2 style): lenient UTF-8 decoding as
// llama.cpp does it, and GPT-2's reversible map from bytes to printable
// code points, which lets a vocabulary of strings spell any byte sequence.
#ifndef RADIXLM_TOKENIZER_BYTE_LEVEL_H_
#define RADIXLM_TOKENIZER_BYTE_LEVEL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace radixlm {

// U+FFFD, what an undecodable byte becomes.
inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Appends the code points of `text` to *cpts. Follows llama.cpp's
// unicode_cpts_from_utf8: a lead byte and the right number of continuation
// bytes make one code point (overlong forms and surrogates are accepted,
// values up to 0x1FFFFF); any other byte becomes U+FFFD on its own.
void DecodeUtf8Lenient(std::string_view text, std::vector<uint32_t>* cpts);

// Appends the UTF-8 encoding of `cpt` to *out. Values above 0x10FFFF are
// written as U+FFFD; surrogates are encoded like any other value.
void AppendUtf8(uint32_t cpt, std::string* out);

// Returns the UTF-8 text of the code point GPT-2 uses for `byte`: the byte
// itself for printable Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ'), otherwise
// U+0100 + n for the n-th remaining byte (' ' is "Ġ", '\n' is "Ċ").
std::string_view ByteToUnicode(uint8_t byte);

// Returns the byte that ByteToUnicode maps to `cpt`, or -1 if none does.
int UnicodeToByte(uint32_t cpt);

}  // namespace radixlm

#endif  // RADIXLM_TOKENIZER_BYTE_LEVEL_H_
