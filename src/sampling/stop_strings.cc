#include "sampling/stop_strings.h"

#include <algorithm>
#include <utility>

namespace radixlm {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stops) {
  // Empty stop strings would match everywhere; they are ignored.
  for (std::string& s : stops) {
    if (!s.empty()) stops_.push_back(std::move(s));
  }
}

bool StopStringMatcher::Feed(std::string_view text, std::string* emit) {
  if (stopped_) return true;
  held_.append(text);

  // held_ never holds a whole stop string between calls, so any match ends
  // inside `text`. The stop completed first (earliest end; on a tie the
  // longer one) wins, as if the text had come one byte at a time; this keeps
  // the result independent of how the text is split into pieces.
  size_t best_start = std::string::npos;
  size_t best_end = std::string::npos;
  for (const std::string& stop : stops_) {
    const size_t start = held_.find(stop);
    if (start == std::string::npos) continue;
    const size_t end = start + stop.size();
    if (end < best_end || (end == best_end && start < best_start)) {
      best_start = start;
      best_end = end;
    }
  }
  if (best_start != std::string::npos) {
    emit->append(held_, 0, best_start);
    held_.clear();
    stopped_ = true;
    return true;
  }

  // Hold back the longest suffix that is a proper prefix of some stop string;
  // everything before it can no longer be part of a match.
  size_t hold = 0;
  for (const std::string& stop : stops_) {
    const size_t longest = std::min(held_.size(), stop.size() - 1);
    for (size_t len = longest; len > hold; --len) {
      if (held_.compare(held_.size() - len, len, stop, 0, len) == 0) {
        hold = len;
        break;
      }
    }
  }
  emit->append(held_, 0, held_.size() - hold);
  held_.erase(0, held_.size() - hold);
  return false;
}

void StopStringMatcher::Flush(std::string* emit) {
  if (stopped_) return;
  emit->append(held_);
  held_.clear();
}

}  // namespace radixlm
