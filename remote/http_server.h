// http::Server: the registry's HTTP/1.1 server, built for a service exposed to strangers.
//
// Why not cpp-httplib's server: it gives every connection a worker thread from the moment it is
// accepted, reads request headers with only a per-read timeout, reads every body before any handler
// can look at the request, and ignores the body limit for chunked bodies. A few slow clients can
// then hold every worker, and one unauthenticated client can make the server buffer a gigabyte.
// Here:
//   - reactor threads (one epoll loop each, one per core) hold every connection that is waiting
//     for a request, so idle and slow clients cost a file descriptor, never a worker. A request's
//     head must arrive whole within a bounded time from its first byte, and each client address may
//     hold a bounded number of connections (an idle keep-alive one of the same address is closed to
//     make room).
//   - a worker takes a connection only once a complete request head is buffered. It parses the head
//     strictly (RFC 9112: one Content-Length or identical ones, only "chunked" as a transfer
//     coding, no header line without a colon, no obsolete line folding), finds the route, asks the
//     gate whether the request may use it and checks the declared length against the route's limit,
//     all before reading a body byte, so refusals (401, 403, 413) go out at once.
//   - a body is read with the route's limit enforced as it arrives (chunked too), into memory or,
//     for routes that take large bodies, into a file, so a push's pack is never held in memory.
//   - pipelined requests on one connection are answered in order, one at a time.
//   - a route marked quick (RouteOptions::quick) is served by the reactor itself when the request
//     has no body: no hand-over to a worker and back, which would cost two thread switches per
//     request and bound a busy read route to a fraction of what a static file server does. Its
//     answer is written without blocking; what the socket does not take at once is sent as the
//     socket drains, while the reactor goes on serving other connections.
// Handlers see the parsed Request and fill a Response; every answer carries a Content-Length.
#ifndef SPOKE_REMOTE_HTTP_SERVER_H_
#define SPOKE_REMOTE_HTTP_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spoke/status.h"

namespace spoke::http {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;
using Params = std::multimap<std::string, std::string>;

struct Request {
  std::string method;   // upper case, as sent ("GET"; a HEAD request is served by its GET route)
  std::string target;   // the request target as sent: path and query
  std::string path;     // the target's path, percent-decoded
  std::string version;  // "HTTP/1.1" or "HTTP/1.0"
  Headers headers;
  Params params;                     // the query, decoded ('+' is a space)
  std::vector<std::string> matches;  // [0] the whole path, then the route pattern's groups
  std::string body;                  // the body, unless the route streams it to a file
  std::string body_file;             // set for routes with RouteOptions::body_to_file
  uint64_t body_size = 0;
  std::string remote_addr;
  // The matched route's name (RouteName of its pattern, "/modules/{name}/versions"); "" when no
  // route matched. Logs and metrics use it instead of the path, whose values are unbounded.
  std::string route;
  // The request's id: the client's X-Request-Id when it is sane (1 to 128 of [A-Za-z0-9._-]),
  // else a fresh one. Every answer carries it back as X-Request-Id.
  std::string request_id;
  // When the request's head had been read and parsed.
  std::chrono::steady_clock::time_point received;
  std::string principal;  // who the gate found the request to come from (a token's name), or ""
  // The handler runs on an event loop (a quick route, RouteOptions::quick): it must answer from
  // memory, or set Response::needs_worker.
  bool on_event_loop = false;

  bool has_header(const std::string& name) const;
  // The first value of the header, or "".
  std::string get_header_value(const std::string& name) const;
  bool has_param(const std::string& name) const;
  // The first value of the query parameter, or "".
  std::string get_param_value(const std::string& name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Set by a quick route's handler on an event loop (Request::on_event_loop) that cannot answer
  // from memory: the server drops this response and has a worker run the handler again.
  bool needs_worker = false;

  // Replaces any value the header had.
  void set_header(const std::string& name, const std::string& value);
  void set_content(std::string content, const std::string& content_type);
};

using Handler = std::function<void(const Request& req, Response& res)>;

// What a route does to the registry: reads, writes (anything that creates or changes data), or
// administers (changes the rules writes follow).
enum class Access { kRead, kWrite, kAdmin };

struct RouteOptions {
  Access access = Access::kRead;
  // The largest body this route takes; 0 means ServerLimits::default_max_body.
  uint64_t max_body = 0;
  // Stream the body into a file under ServerLimits::body_dir (Request::body_file), removed after
  // the handler returns, instead of holding it in memory.
  bool body_to_file = false;
  // The route's requests that have no body are served by the event loop itself (see the top of
  // this file), which every other connection of that loop waits for meanwhile. Its handler must
  // then answer from memory, without reading the disk or waiting on a lock held for long, the
  // network, a compiler or another request; when it cannot, it sets Response::needs_worker.
  bool quick = false;
};

// Decides, from the head alone and before any body byte is read, whether the request may use a
// route of `access`. On refusal it fills `res` (status and body) and returns false. It may set
// Request::principal.
using Gate = std::function<bool(Request& req, Access access, Response& res)>;

// Fills `res` with the body of an error the server itself raises (malformed request, no route,
// body over the limit, ...); `http_status` is the status it will carry.
using ErrorRenderer = std::function<void(Response& res, const Status& error, int http_status)>;

// One line per answered request, after the answer went out.
using Logger = std::function<void(const Request& req, const Response& res)>;

struct ServerLimits {
  // Reactor threads, each an event loop that accepts connections, reads request heads and serves
  // quick routes; 0: one per CPU core, at most 8.
  size_t reactors = 0;
  size_t workers = 32;
  // A request head must be complete this long after its first byte arrived (or after the
  // connection was accepted, for the first request).
  std::chrono::milliseconds head_timeout{10000};
  // A keep-alive connection may wait this long for its next request.
  std::chrono::milliseconds idle_timeout{30000};
  // Reading a body or writing an answer may make no progress for this long.
  std::chrono::milliseconds io_timeout{30000};
  size_t max_head_bytes = 64 << 10;
  size_t max_target_bytes = 8 << 10;
  size_t max_headers = 100;
  size_t max_connections = 4096;
  size_t max_connections_per_address = 128;
  uint64_t default_max_body = 16 << 20;
  // Where routes with body_to_file put bodies; must exist.
  std::string body_dir;
};

class Server {
 public:
  explicit Server(ServerLimits limits);
  ~Server();

  // Routes are tried in the order they were added; the first whose method matches and whose
  // pattern (std::regex, ECMAScript) matches the whole decoded path wins.
  void Route(const std::string& method, const std::string& pattern, RouteOptions options,
             Handler handler);
  void Get(const std::string& pattern, Handler handler);
  void Post(const std::string& pattern, RouteOptions options, Handler handler);
  void Put(const std::string& pattern, RouteOptions options, Handler handler);

  // Serves HTTPS only, with the certificate (PEM, the chain after it) and private key in these
  // files: each connection's TLS handshake is driven by the reactor without blocking it, and must
  // finish within ServerLimits::head_timeout; a plain-HTTP request gets a 400 in plain text saying
  // to use https://. InvalidArgument naming the file when either cannot be loaded or they do not
  // match. REQUIRES: before Serve(); SIGPIPE ignored by the process (a dropped client's socket is
  // written by OpenSSL without MSG_NOSIGNAL).
  Status EnableTls(const std::string& cert_file, const std::string& key_file);

  void SetGate(Gate gate);
  void SetErrorRenderer(ErrorRenderer renderer);
  void SetLogger(Logger logger);

  // Answers one request in this process, as a worker answers one it read from a connection: the
  // head (request line and header lines, each ending in CRLF, then an empty line) is parsed with
  // the same limits, the route found, the gate asked, the route's body limit enforced and, for a
  // route with body_to_file, `body` written to a file under ServerLimits::body_dir first; then the
  // handler runs and the logger is told. Needs no Bind(): for transports that hand requests over
  // in memory (tests of the sync protocol without sockets). Thread-safe, as Serve()'s workers are.
  Response AnswerInProcess(const std::string& head, std::string_view body);

  // Binds the listening socket on `host` (a name or an address) and `port` (0: any free port), and
  // returns the port. Never shares a port with another listener (no SO_REUSEPORT): IOError
  // "address in use" when one is there.
  Result<int> Bind(const std::string& host, int port);
  // Serves on the calling thread until Stop(). REQUIRES: Bind() succeeded.
  Status Serve();
  // Async-signal-safe: may be called from a signal handler or any thread.
  void Stop();
  // How many client connections are open now (idle, waiting or being served). Thread-safe.
  size_t OpenConnections() const;

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A route pattern as people read it: each capture group becomes a {placeholder} named after the
// path segment before it ("/modules/([a-z]+)/versions/(v[^/]*)" -> "/modules/{name}/versions/
// {version}"; {param} when the segment is not a known one) and escapes are dropped.
std::string RouteName(const std::string& pattern);

// Whether every address `host` names is a loopback address (127.0.0.0/8, ::1). InvalidArgument
// when it cannot be resolved.
Result<bool> IsLoopbackHost(const std::string& host);

// Compares two secrets in time that depends only on their lengths, not on where they differ.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

}  // namespace spoke::http

#endif  // SPOKE_REMOTE_HTTP_SERVER_H_
