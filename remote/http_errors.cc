// The one place that decides HTTP statuses from Status codes, plus the small answer helpers the
// route files share.

#include "routes.h"
#include "spoke/time_text.h"
#include "wire.h"

namespace spoke {

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kCorruption:
      return 422;  // the client sent data that does not hold together
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kAlreadyExists:
      return 409;
    case Status::Code::kConflict:
      return 409;
    case Status::Code::kFailedPrecondition:
      return 422;  // e.g. a breaking change the module's policy refuses
    case Status::Code::kTooLarge:
      return 413;
    case Status::Code::kPermissionDenied:
      return 403;
    case Status::Code::kUnavailable:
      return 503;
    case Status::Code::kIOError:
    case Status::Code::kInternal:
      return 500;
  }
  return 500;
}

void SendError(http::Response& res, const Status& status) {
  res.status = HttpStatusFor(status);
  res.set_content(wire::ErrorBody(status), "application/json");
}

void SendJson(http::Response& res, const Json& body, int http_status) {
  res.status = http_status;
  res.set_content(body.Dump(2) + "\n", "application/json");
}

bool HandleETag(const http::Request& req, http::Response& res, const std::string& etag) {
  std::string quoted = "\"" + etag + "\"";
  res.set_header("ETag", quoted);
  res.set_header("Cache-Control", "no-cache");
  std::string if_none_match = req.get_header_value("If-None-Match");
  if (if_none_match.empty()) return false;
  // The header may list several tags, weak or strong; any match means the client's copy is good.
  size_t start = 0;
  while (start < if_none_match.size()) {
    size_t comma = if_none_match.find(',', start);
    std::string item =
        if_none_match.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) {
      item = item.substr(b, e - b + 1);
      if (item.rfind("W/", 0) == 0) item = item.substr(2);
      if (item == quoted || item == "*") {
        res.status = 304;
        return true;
      }
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

http::RouteOptions WriteRoute(const ServerContext& ctx) {
  return {http::Access::kWrite, ctx.options.max_body_bytes, false};
}

http::RouteOptions AdminRoute(const ServerContext& ctx) {
  return {http::Access::kAdmin, ctx.options.max_body_bytes, false};
}

http::RouteOptions QueryRoute() { return {http::Access::kRead, 0, false}; }

std::string FormatTime(int64_t seconds) { return FormatRfc3339(seconds); }

}  // namespace spoke
