// HttpTransport: HTTP(S) exchanges with one registry origin, for RemoteClient.
//
// The implementation over cpp-httplib (http_transport_httplib.cc) is built as a module of its own,
// spoke-http.so, and loaded the first time a command talks to a registry, as git keeps libcurl out
// of git itself in git-remote-http. Loading cpp-httplib initialises OpenSSL (error strings,
// providers): about 4 MB and 2 ms on every run of `spoke`, whether it uses the network or not.
//
// The module is found in $SPOKE_EXEC_PATH when that is set, else beside the running executable,
// else in ../lib/spoke/ from it. It must come from the same build as the executable: the two
// share these C++ types.
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
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // One exchange; keeps the connection alive for the next one. Not thread-safe.
  virtual HttpAnswer Send(const HttpRequest& request) = 0;
};

// A transport from the module (loaded once per process). FailedPrecondition naming the paths tried
// when the module cannot be loaded.
Result<std::unique_ptr<HttpTransport>> MakeHttpTransport(const HttpTransportOptions& options);

}  // namespace spoke

// What the program and the module must agree on, as the C++ types above cross between them: the
// interface's revision, the compiler, and the sizes of the types. A module from another build
// is refused by name rather than crashing.
#define SPOKE_HTTP_TRANSPORT_ABI                                                          \
  ("spoke-http 3; " __VERSION__ "; " + std::to_string(sizeof(spoke::HttpRequest)) + "/" + \
   std::to_string(sizeof(spoke::HttpAnswer)) + "/" +                                      \
   std::to_string(sizeof(spoke::HttpTransportOptions)))

// The module's one entry point: a new transport the caller owns, or null when `abi` is not the
// module's own SPOKE_HTTP_TRANSPORT_ABI.
extern "C" spoke::HttpTransport* SpokeHttpTransportCreate(
    const char* abi, const spoke::HttpTransportOptions* options);
#define SPOKE_HTTP_TRANSPORT_ENTRY "SpokeHttpTransportCreate"

#endif  // SPOKE_REMOTE_HTTP_TRANSPORT_H_
