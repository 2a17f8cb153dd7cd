// Python str semantics over UTF-8 std::string, as Jinja templates see them:
// lengths, indices and slices count code points; strip() and split() use
// Python's notion of whitespace; repr() quotes like Python; floats print as
// Python's repr() does.
#ifndef RADIXLM_CHAT_PY_STR_H_
#define RADIXLM_CHAT_PY_STR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace radixlm::chat {

// Splits s into code points, each as its UTF-8 bytes. Invalid bytes become
// one-byte pieces of their own (never dropped).
std::vector<std::string_view> SplitCodePoints(std::string_view s);

// Number of code points in s.
size_t CodePointLength(std::string_view s);

// Python's str.isspace() for the code point starting at s (which holds
// exactly one code point).
bool IsPyWhitespace(std::string_view code_point);

// str.strip/lstrip/rstrip. chars == nullopt strips Python whitespace;
// otherwise every code point listed in *chars.
std::string PyStrip(std::string_view s, const std::optional<std::string>& chars,
                    bool left, bool right);

// str.split(sep, maxsplit). sep == nullopt splits on runs of whitespace and
// drops empty pieces. maxsplit < 0 means no limit. REQUIRES: *sep non-empty.
std::vector<std::string> PySplit(std::string_view s, const std::optional<std::string>& sep,
                                 int64_t maxsplit);

// str.upper/lower/capitalize/title for ASCII letters; other code points
// pass through unchanged.
std::string PyUpper(std::string_view s);
std::string PyLower(std::string_view s);
std::string PyCapitalize(std::string_view s);
std::string PyTitle(std::string_view s);

// str.replace(old, new, count); count < 0 replaces all.
std::string PyReplace(std::string_view s, std::string_view from, std::string_view to,
                      int64_t count);

// repr() of a str: single quotes unless the text holds ' and no ".
std::string PyRepr(std::string_view s);

// repr() of a float: shortest round-trip digits, "1.0", "1e-05", "1e+16",
// "inf", "nan".
std::string PyFloatRepr(double d);

// Python's slice index normalization for a sequence of length n; fills the
// chosen indices into *indices. step must not be 0.
void PySliceIndices(int64_t n, std::optional<int64_t> start, std::optional<int64_t> stop,
                    int64_t step, std::vector<int64_t>* indices);

}  // namespace radixlm::chat

#endif  // RADIXLM_CHAT_PY_STR_H_
