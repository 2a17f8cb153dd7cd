// Status: the result of a fallible library call (leveldb style).
// An ok Status carries no allocation; an error carries a code and a message
// that says what was wrong and where.
#ifndef RADIXLM_BASE_STATUS_H_
#define RADIXLM_BASE_STATUS_H_

#include <memory>
#include <string>
#include <string_view>

namespace radixlm {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,
    kNotFound,
    kResourceExhausted,
    kCorruption,
    kIOError,
    kCancelled,
    kInternal,
  };

  Status() = default;
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string_view msg) { return Status(Code::kInvalidArgument, msg); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status ResourceExhausted(std::string_view msg) { return Status(Code::kResourceExhausted, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  static Status Cancelled(std::string_view msg) { return Status(Code::kCancelled, msg); }
  static Status Internal(std::string_view msg) { return Status(Code::kInternal, msg); }

  bool ok() const { return rep_ == nullptr; }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  // The message alone ("" when ok).
  const std::string& message() const;
  // "Corruption: <message>" or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>" (no-op when ok).
  Status WithContext(std::string_view prefix) const;

 private:
  struct Rep {
    Code code;
    std::string msg;
  };
  Status(Code code, std::string_view msg);
  std::unique_ptr<Rep> rep_;
};

const char* StatusCodeName(Status::Code code);

}  // namespace radixlm

// Returns early from the enclosing function when `expr` is not ok.
#define RLM_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::radixlm::Status _rlm_status = (expr);    \
    if (!_rlm_status.ok()) return _rlm_status; \
  } while (0)

#endif  // RADIXLM_BASE_STATUS_H_
