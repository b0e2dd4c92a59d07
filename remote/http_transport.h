// HttpTransport: HTTP(S) exchanges with one registry origin, for RemoteClient.
//
// The implementation is cpp-httplib's client (with OpenSSL for https), in
// http_transport_httplib.cc, linked into the programs that talk to a registry (spoke-core,
// sprocket). It was a module of its own, spoke-http.so, loaded on a command's first request to
// keep OpenSSL's start-up out of commands that make none; OpenSSL 3 initialises itself on first
// use, and the one command whose start-up matters, a compile served from the checkout cache, is
// served by the `spoke` front end, which links none of this (docs/architecture.md).
#ifndef SPOKE_REMOTE_HTTP_TRANSPORT_H_
#define SPOKE_REMOTE_HTTP_TRANSPORT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spoke/status.h"

namespace spoke {

struct HttpRequest {
  std::string method;  // GET, POST or PUT (POST only with `sent`)
  std::string path;    // with the query, already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;  // set exactly when there is a body (an empty one too)
  std::string_view body;     // must outlive Send()
  // Sent before `body` when not empty (a push's header line before its pack), so that the two are
  // never joined into one buffer, a copy of the whole pack. Must outlive Send().
  std::string_view body_head;
  // When set, told the answer's status before any of its body arrives, so a receiver knows
  // whether a pack or an error's JSON is coming. False aborts the exchange.
  std::function<bool(int status)> started;
  // When set, the answer's body (an error answer's too) is handed over in pieces as it arrives,
  // instead of being collected into HttpAnswer::body, which has no bound. `total` is the
  // Content-Length the peer announced, 0 when none. False aborts the exchange, so a receiver
  // bounds what it takes.
  std::function<bool(const char* data, size_t length, uint64_t offset, uint64_t total)> receive;
  // When set, the body is sent in pieces of at most 1 MiB and this is told after each one (POST).
  std::function<void(uint64_t sent, uint64_t total)> sent;
};

struct HttpAnswer {
  int status = 0;    // 0 when no answer came; then `error` says why
  std::string body;  // empty when HttpRequest::receive took it
  // e.g. "Could not establish connection", or "Canceled" when a callback aborted the exchange
  std::string error;
};

struct HttpTransportOptions {
  std::string origin;  // scheme://host[:port], no path
  int connect_timeout_seconds = 5;
  int io_timeout_seconds = 300;
  std::string ca_file;  // RemoteOptions::ca_file
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // One exchange; keeps the connection alive for the next one. Not thread-safe.
  virtual HttpAnswer Send(const HttpRequest& request) = 0;
};

// A transport for `options.origin`; the connection is made on the first Send(). Never fails today;
// a Result so that a transport that needs set-up (a client certificate, a proxy) can say why.
Result<std::unique_ptr<HttpTransport>> MakeHttpTransport(const HttpTransportOptions& options);

}  // namespace spoke

#endif  // SPOKE_REMOTE_HTTP_TRANSPORT_H_
