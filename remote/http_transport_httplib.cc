// The HTTP transport over cpp-httplib (with OpenSSL for https): the whole of spoke-http.so.
#include <httplib.h>

#include <algorithm>
#include <string>

#include "http_transport.h"

namespace spoke {
namespace {

class HttplibTransport : public HttpTransport {
 public:
  explicit HttplibTransport(const HttpTransportOptions& options) : client_(options.origin) {
    client_.set_connection_timeout(options.connect_timeout_seconds, 0);
    client_.set_read_timeout(options.io_timeout_seconds, 0);
    client_.set_write_timeout(options.io_timeout_seconds, 0);
    client_.set_keep_alive(true);
    // Requests are small and answered at once: with Nagle's algorithm a reply's body waits ~40 ms
    // for the ACK of its header (delayed ACK) on every keep-alive request.
    client_.set_tcp_nodelay(true);
  }

  HttpAnswer Send(const HttpRequest& request) override {
    httplib::Result result = request.sent ? SendInPieces(request) : SendWhole(request);
    HttpAnswer answer;
    if (!result) {
      answer.error = httplib::to_string(result.error());
      return answer;
    }
    answer.status = result->status;
    answer.body = std::move(result->body);
    return answer;
  }

 private:
  // A large body, sent in pieces so progress can be shown.
  httplib::Result SendInPieces(const HttpRequest& request) {
    const std::string_view body = request.body;
    const auto& sent = request.sent;
    return client_.Post(
        request.path, httplib::Headers(request.headers.begin(), request.headers.end()), body.size(),
        [body, &sent](size_t offset, size_t length, httplib::DataSink& sink) {
          constexpr size_t kPiece = 1 << 20;
          size_t n = std::min(length, kPiece);
          if (!sink.write(body.data() + offset, n)) return false;
          sent(offset + n, body.size());
          return true;
        },
        request.content_type.c_str());
  }

  httplib::Result SendWhole(const HttpRequest& request) {
    httplib::Request req;
    req.method = request.method;
    req.path = request.path;
    req.headers = httplib::Headers(request.headers.begin(), request.headers.end());
    if (!request.content_type.empty()) {
      req.headers.emplace("Content-Type", request.content_type);
      req.body.assign(request.body);
    }
    if (request.receive) {
      const auto& receive = request.receive;
      req.content_receiver = [&receive](const char* data, size_t length, uint64_t offset, uint64_t total) {
        return receive(data, length, offset, total);
      };
    }
    return client_.send(req);
  }

  httplib::Client client_;
};

}  // namespace
}  // namespace spoke

extern "C" spoke::HttpTransport* SpokeHttpTransportCreate(const char* abi, const spoke::HttpTransportOptions* options) {
  if (abi == nullptr || abi != std::string(SPOKE_HTTP_TRANSPORT_ABI)) return nullptr;
  return new spoke::HttplibTransport(*options);
}
