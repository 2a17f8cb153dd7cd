#include "chat/py_str.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace radixlm::chat {
namespace {

// Length of the UTF-8 sequence starting at s[i], 1 for invalid bytes.
size_t SeqLen(std::string_view s, size_t i) {
  unsigned char c = s[i];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; k++) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  }
  return n;
}

uint32_t Decode(std::string_view cp) {
  unsigned char c = cp[0];
  if (cp.size() == 1) return c;
  uint32_t v = cp.size() == 2 ? (c & 0x1F) : cp.size() == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < cp.size(); k++) v = (v << 6) | (cp[k] & 0x3F);
  return v;
}

bool InChars(std::string_view cp, const std::vector<std::string_view>& set) {
  for (auto c : set) {
    if (c == cp) return true;
  }
  return false;
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char ToUpper(char c) { return (c >= 'a' && c <= 'z') ? c - 32 : c; }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

}  // namespace

std::vector<std::string_view> SplitCodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size();) {
    size_t n = SeqLen(s, i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

size_t CodePointLength(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += SeqLen(s, i)) n++;
  return n;
}

bool IsPyWhitespace(std::string_view cp) {
  uint32_t c = Decode(cp);
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string PyStrip(std::string_view s, const std::optional<std::string>& chars, bool left,
                    bool right) {
  std::vector<std::string_view> cps = SplitCodePoints(s);
  std::vector<std::string_view> set;
  if (chars) set = SplitCodePoints(*chars);
  auto strip = [&](std::string_view cp) { return chars ? InChars(cp, set) : IsPyWhitespace(cp); };
  size_t b = 0, e = cps.size();
  if (left) {
    while (b < e && strip(cps[b])) b++;
  }
  if (right) {
    while (e > b && strip(cps[e - 1])) e--;
  }
  if (b == e) return "";
  const char* begin = cps[b].data();
  const char* end = cps[e - 1].data() + cps[e - 1].size();
  return std::string(begin, end);
}

std::vector<std::string> PySplit(std::string_view s, const std::optional<std::string>& sep,
                                 int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      size_t hit = s.find(*sep, pos);
      if (hit == std::string_view::npos) break;
      out.emplace_back(s.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
    out.emplace_back(s.substr(pos));
    return out;
  }
  std::vector<std::string_view> cps = SplitCodePoints(s);
  size_t i = 0;
  while (true) {
    while (i < cps.size() && IsPyWhitespace(cps[i])) i++;
    if (i == cps.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
      // The rest, with trailing whitespace removed, is the last piece.
      std::string rest(cps[i].data(), s.data() + s.size());
      out.push_back(PyStrip(rest, std::nullopt, false, true));
      break;
    }
    size_t j = i;
    while (j < cps.size() && !IsPyWhitespace(cps[j])) j++;
    out.emplace_back(cps[i].data(), cps[j - 1].data() + cps[j - 1].size());
    i = j;
  }
  return out;
}

std::string PyUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToUpper(c);
  return out;
}

std::string PyLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

std::string PyCapitalize(std::string_view s) {
  std::string out = PyLower(s);
  if (!out.empty()) out[0] = ToUpper(out[0]);
  return out;
}

std::string PyTitle(std::string_view s) {
  std::string out(s);
  bool prev_cased = false;
  for (char& c : out) {
    if (IsAsciiAlpha(c)) {
      c = prev_cased ? ToLower(c) : ToUpper(c);
      prev_cased = true;
    } else {
      // Bytes of non-ASCII letters count as uncased (a known gap).
      prev_cased = false;
    }
  }
  return out;
}

std::string PyReplace(std::string_view s, std::string_view from, std::string_view to,
                      int64_t count) {
  std::string out;
  if (from.empty()) {
    // Python inserts `to` around every code point.
    std::vector<std::string_view> cps = SplitCodePoints(s);
    int64_t done = 0;
    for (size_t i = 0; i <= cps.size(); i++) {
      if (count < 0 || done < count) {
        out += to;
        done++;
      }
      if (i < cps.size()) out += cps[i];
    }
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
    done++;
  }
  out.append(s.substr(pos));
  return out;
}

std::string PyRepr(std::string_view s) {
  char quote = '\'';
  if (s.find('\'') != std::string_view::npos && s.find('"') == std::string_view::npos) quote = '"';
  std::string out(1, quote);
  for (std::string_view cp : SplitCodePoints(s)) {
    uint32_t c = Decode(cp);
    char buf[16];
    if (c == static_cast<uint32_t>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0 && cp.size() > 1)) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else if (cp.size() == 1 && c >= 0x80) {
      // An invalid byte; Python strings cannot hold one, show it escaped.
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += cp;
    }
  }
  out += quote;
  return out;
}

std::string PyFloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // "-d.ddde+XX"
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string digits = sci.substr(0, 1) + (e > 2 ? sci.substr(2, e - 2) : "");
  int exp10 = std::atoi(sci.c_str() + e + 1);
  int decpt = exp10 + 1;  // digits[0:decpt] is the integer part
  std::string out = neg ? "-" : "";
  if (decpt <= -4 || decpt > 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out.append(".").append(digits, 1);
    std::snprintf(buf, sizeof(buf), "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    out += buf;
  } else if (decpt <= 0) {
    out.append("0.").append(static_cast<size_t>(-decpt), '0').append(digits);
  } else if (static_cast<size_t>(decpt) >= digits.size()) {
    out += digits + std::string(decpt - digits.size(), '0') + ".0";
  } else {
    out += digits.substr(0, decpt) + "." + digits.substr(decpt);
  }
  return out;
}

void PySliceIndices(int64_t n, std::optional<int64_t> start, std::optional<int64_t> stop,
                    int64_t step, std::vector<int64_t>* indices) {
  indices->clear();
  auto clamp = [n](int64_t v, int64_t lo, int64_t hi) {
    if (v < 0) v += n;
    return v < lo ? lo : v > hi ? hi : v;
  };
  if (step > 0) {
    int64_t b = start ? clamp(*start, 0, n) : 0;
    int64_t e = stop ? clamp(*stop, 0, n) : n;
    for (int64_t i = b; i < e; i += step) indices->push_back(i);
  } else {
    int64_t b = start ? clamp(*start, -1, n - 1) : n - 1;
    int64_t e = stop ? clamp(*stop, -1, n - 1) : -1;
    for (int64_t i = b; i > e; i += step) indices->push_back(i);
  }
}

}  // namespace radixlm::chat
