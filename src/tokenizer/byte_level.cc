#include "tokenizer/byte_level.h"

#include <array>

namespace radixlm {

namespace {

// Returns the code point of the sequence at text[*pos] and advances *pos
// past it, or returns false (leaving *pos) when the bytes there do not
// form one. Only the lead byte's length and the continuation bytes' top
// bits are checked, as in llama.cpp.
bool DecodeOne(std::string_view text, size_t* pos, uint32_t* cpt) {
  size_t i = *pos;
  uint8_t lead = static_cast<uint8_t>(text[i]);
  size_t len;
  uint32_t value;
  if (lead < 0x80) {
    *cpt = lead;
    *pos = i + 1;
    return true;
  } else if ((lead & 0xE0) == 0xC0) {
    len = 2;
    value = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3;
    value = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4;
    value = lead & 0x07;
  } else {
    return false;  // continuation byte or 0xF8..0xFF
  }
  if (text.size() - i < len) return false;
  for (size_t k = 1; k < len; ++k) {
    uint8_t c = static_cast<uint8_t>(text[i + k]);
    if ((c & 0xC0) != 0x80) return false;
    value = (value << 6) | (c & 0x3F);
  }
  *cpt = value;
  *pos = i + len;
  return true;
}

struct ByteMaps {
  std::array<std::string, 256> byte_to_utf8;
  std::array<int16_t, 512> cpt_to_byte;  // every mapped code point is < 0x144
};

ByteMaps BuildByteMaps() {
  ByteMaps maps;
  maps.cpt_to_byte.fill(-1);
  auto printable = [](int b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    uint32_t cpt = printable(b) ? static_cast<uint32_t>(b) : 256u + n++;
    AppendUtf8(cpt, &maps.byte_to_utf8[b]);
    maps.cpt_to_byte[cpt] = static_cast<int16_t>(b);
  }
  return maps;
}

const ByteMaps& GetByteMaps() {
  static const ByteMaps maps = BuildByteMaps();
  return maps;
}

}  // namespace

void DecodeUtf8Lenient(std::string_view text, std::vector<uint32_t>* cpts) {
  cpts->reserve(cpts->size() + text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cpt;
    if (DecodeOne(text, &pos, &cpt)) {
      cpts->push_back(cpt);
    } else {
      cpts->push_back(kReplacementChar);
      ++pos;
    }
  }
}

void AppendUtf8(uint32_t cpt, std::string* out) {
  if (cpt > 0x10FFFF) cpt = kReplacementChar;
  if (cpt < 0x80) {
    out->push_back(static_cast<char>(cpt));
  } else if (cpt < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cpt >> 6)));
    out->push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else if (cpt < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cpt >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cpt >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cpt >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  }
}

std::string_view ByteToUnicode(uint8_t byte) { return GetByteMaps().byte_to_utf8[byte]; }

int UnicodeToByte(uint32_t cpt) {
  const ByteMaps& maps = GetByteMaps();
  return cpt < maps.cpt_to_byte.size() ? maps.cpt_to_byte[cpt] : -1;
}

}  // namespace radixlm
