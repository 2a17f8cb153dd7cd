#include "tokenizer/text_util.h"

namespace radixlm {

void AppendEscapedWhitespace(std::string_view text, std::string* out) {
  out->reserve(out->size() + text.size());
  for (char c : text) {
    if (c == ' ') {
      out->append(kSpaceMarker);
    } else {
      out->push_back(c);
    }
  }
}

std::string UnescapeWhitespace(std::string_view text) {
  std::string result(text);
  ReplaceAll(&result, kSpaceMarker, " ");
  return result;
}

void ReplaceAll(std::string* text, std::string_view from, std::string_view to) {
  if (from.empty() || text->find(from) == std::string::npos) return;
  std::string result;
  result.reserve(text->size());
  size_t pos = 0;
  while (true) {
    size_t next = text->find(from, pos);
    if (next == std::string::npos) break;
    result.append(*text, pos, next - pos);
    result.append(to);
    pos = next + from.size();
  }
  result.append(*text, pos, std::string::npos);
  text->swap(result);
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

bool ParseBytePiece(std::string_view piece, uint8_t* byte) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return false;
  int hi = HexValue(piece[3]);
  int lo = HexValue(piece[4]);
  if (hi < 0 || lo < 0) return false;
  *byte = static_cast<uint8_t>(hi * 16 + lo);
  return true;
}

std::string BytePiece(uint8_t byte) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string{'<', '0', 'x', kHex[byte >> 4], kHex[byte & 15], '>'};
}

}  // namespace radixlm
