#include "server/api_error.h"

#include <nlohmann/json.hpp>

namespace radixlm {

ApiError InvalidRequest(std::string message, std::string param) {
  ApiError e;
  e.http_status = 400;
  e.message = std::move(message);
  e.param = std::move(param);
  return e;
}

ApiError ErrorFromStatus(const Status& status) {
  ApiError e;
  e.message = status.message();
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
      e.http_status = 400;
      break;
    case Status::Code::kResourceExhausted:
      e.http_status = 429;
      e.type = "rate_limit_error";
      e.code = "rate_limit_exceeded";
      break;
    case Status::Code::kCancelled:
      e.http_status = 503;
      e.type = "server_unavailable";
      e.code = "shutting_down";
      break;
    default:
      e.http_status = 500;
      e.type = "server_error";
      break;
  }
  return e;
}

std::string ErrorBody(const ApiError& error) {
  nlohmann::json body = {{"error",
                          {{"message", error.message},
                           {"type", error.type},
                           {"param", nullptr},
                           {"code", nullptr}}}};
  if (!error.param.empty()) body["error"]["param"] = error.param;
  if (!error.code.empty()) body["error"]["code"] = error.code;
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace radixlm
