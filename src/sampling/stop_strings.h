// StopStringMatcher: watches streamed text for stop strings. Text that could
// still be the start of a stop string is held back until it is resolved, so
// a stream never shows part of a stop string.
//
// Thread safety: not thread-safe; one per sequence.
#ifndef RADIXLM_SAMPLING_STOP_STRINGS_H_
#define RADIXLM_SAMPLING_STOP_STRINGS_H_

#include <string>
#include <string_view>
#include <vector>

namespace radixlm {

class StopStringMatcher {
 public:
  explicit StopStringMatcher(std::vector<std::string> stops);

  // Feeds newly decoded text. Appends to *emit the text now safe to show.
  // Returns true when a stop string has been completed; *emit then ends just
  // before it and later calls emit nothing.
  bool Feed(std::string_view text, std::string* emit);

  // End of generation: appends whatever was held back (no stop matched).
  void Flush(std::string* emit);

  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace radixlm

#endif  // RADIXLM_SAMPLING_STOP_STRINGS_H_
