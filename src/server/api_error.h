// ApiError: an OpenAI-style error response, {"error": {"message", "type",
// "param", "code"}}, with its HTTP status.
#ifndef RADIXLM_SERVER_API_ERROR_H_
#define RADIXLM_SERVER_API_ERROR_H_

#include <string>

#include "base/status.h"

namespace radixlm {

struct ApiError {
  int http_status = 400;
  std::string message;
  // "invalid_request_error" (400, 413), "authentication_error" (401),
  // "rate_limit_error" (429), "server_unavailable" (503), "server_error".
  std::string type = "invalid_request_error";
  std::string param;  // the offending request field; empty → null
  std::string code;   // a machine-readable code; empty → null
};

// A 400 invalid_request_error about `param`.
ApiError InvalidRequest(std::string message, std::string param = "");

// The error for a failed Scheduler::Submit: InvalidArgument → 400,
// ResourceExhausted → 429, Cancelled (draining) → 503, others → 500.
ApiError ErrorFromStatus(const Status& status);

// The response body: {"error": {...}}.
std::string ErrorBody(const ApiError& error);

}  // namespace radixlm

#endif  // RADIXLM_SERVER_API_ERROR_H_
