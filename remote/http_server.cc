// The registry's HTTP/1.1 server: a reactor thread that holds waiting connections and serves
// quick routes itself, and workers that serve every other complete request head, one at a time
// (see http_server.h for why).
#include "http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <thread>
#include <unordered_map>

#include "http_head.h"
#include "tls_socket.h"

namespace spoke::http {
namespace {

using Clock = std::chrono::steady_clock;

// Draining a refused body: long enough for a client that sends its whole body before reading the
// answer (most do) to see the answer, short enough that it costs nothing.
constexpr std::chrono::seconds kDrainTime{5};
constexpr uint64_t kDrainBytes = 64 << 20;
constexpr size_t kReadPiece = 64 << 10;
constexpr size_t kMaxChunkLine = 4096;
constexpr size_t kMaxTrailerBytes = 16 << 10;
constexpr size_t kRouteMemoBytes = 1 << 20;
// Requests a loop serves for one connection before it turns to the others: one client that
// pipelines without pause cannot hold a loop.
constexpr int kBurst = 16;
// Answer bytes all loops together may hold for clients that read slowly; past that, a worker
// writes the rest, as it would have written a worker's answer.
constexpr size_t kLoopOutputBudget = 64 << 20;

struct Loop;
struct PeerCount;

// A connection's bytes and where it stands. Owned by the event loop that accepted it; lent to one
// worker at a time.
struct Connection {
  Loop* loop = nullptr;
  PeerCount* peer_count = nullptr;  // its address's entry in Server::Impl::per_address
  int fd = -1;
  std::string peer;
  std::string in;  // received and not yet consumed: a request head, or more
  HeadScan scan;
  Clock::time_point deadline;
  bool head_started = false;  // a byte of the next request has arrived
  bool busy = false;          // lent to a worker
  bool draining = false;      // answered and shut for writing; reading what the client still sends
  uint64_t drained = 0;
  int served = 0;
  SSL* ssl = nullptr;               // the TLS session, on a server with EnableTls()
  bool handshaking = false;         // the TLS handshake is not finished
  bool first_byte_checked = false;  // a plain-HTTP client was looked for
  // An answer the reactor wrote that the socket has not taken whole yet (out[out_sent...]), and
  // what becomes of the connection once it has.
  std::string out;
  size_t out_sent = 0;
  bool writing = false;
  bool close_after_out = false;
  size_t out_reserved = 0;  // of Server::Impl::loop_output_bytes, while the loop holds c->out
  // Closed by EvictAsked(), which already settled its address's owed connection.
  bool eviction_claimed = false;
  // An idle keep-alive connection (Settle()): it may be closed to make room for a new connection
  // from its address.
  bool evictable = false;
};

// Text every path a route's pattern matches must contain, found by reading the pattern's top
// level (outside groups and classes): a path without it is turned away without running the
// regex, which is most of the cost of finding a route. `prefix` is the literal text the pattern
// starts with ("/modules/" for "/modules/([a-z]+)/versions"); `inner` the later literal runs, in
// order ("/versions"). A character a quantifier follows is left out, and a pattern with an
// alternative at its top level requires nothing.
struct RequiredText {
  std::string prefix;
  std::vector<std::string> inner;

  bool MayMatch(const std::string& path) const {
    if (path.compare(0, prefix.size(), prefix) != 0) return false;
    size_t from = prefix.size();
    for (const std::string& piece : inner) {
      size_t at = path.find(piece, from);
      if (at == std::string::npos) return false;
      from = at + piece.size();
    }
    return true;
  }
};

RequiredText RequiredTextOf(const std::string& pattern) {
  RequiredText required;
  std::vector<std::string> runs;
  bool starts_literal = true;  // no special character yet: the first run is a prefix
  bool first_run_is_prefix = false;
  std::string run;
  auto end_run = [&](bool quantified) {
    if (quantified && !run.empty()) run.pop_back();
    if (!run.empty()) {
      if (runs.empty() && starts_literal) first_run_is_prefix = true;
      runs.push_back(run);
    }
    run.clear();
    starts_literal = false;
  };
  int depth = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char ch = pattern[i];
    if (depth > 0) {  // inside a group: only its end matters
      if (ch == '\\') {
        ++i;
      } else if (ch == '[') {
        for (++i; i < pattern.size() && pattern[i] != ']'; ++i) {
          if (pattern[i] == '\\') ++i;
        }
      } else if (ch == '(') {
        ++depth;
      } else if (ch == ')') {
        --depth;
      }
      continue;
    }
    if (ch == '|') return {};
    if (ch == '\\' && i + 1 < pattern.size() &&
        !std::isalnum(static_cast<unsigned char>(pattern[i + 1]))) {
      run += pattern[++i];  // an escaped punctuation character stands for itself
      continue;
    }
    if (ch == '\\') {  // a class such as \d, a back-reference, or \xHH, \uHHHH, \cX
      end_run(false);
      ++i;
      if (i < pattern.size())
        i += pattern[i] == 'x' ? 2 : pattern[i] == 'u' ? 4 : pattern[i] == 'c' ? 1 : 0;
    } else if (std::strchr("*+?", ch)) {
      end_run(/*quantified=*/true);
    } else if (ch == '{') {
      end_run(/*quantified=*/true);
      while (i < pattern.size() && pattern[i] != '}') ++i;
    } else if (ch == '(') {
      end_run(false);
      ++depth;
    } else if (ch == '[') {
      end_run(false);
      for (++i; i < pattern.size() && pattern[i] != ']'; ++i) {
        if (pattern[i] == '\\') ++i;
      }
    } else if (ch == '.' || ch == '^' || ch == '$' || ch == ')' || ch == ']' || ch == '}') {
      end_run(false);
    } else {
      run += ch;
    }
  }
  end_run(false);
  // A run a quantifier follows lost its last character above; a quantified group or class
  // leaves the runs around it required.
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i == 0 && first_run_is_prefix) {
      required.prefix = runs[0];
    } else {
      required.inner.push_back(runs[i]);
    }
  }
  return required;
}

// What a worker hands back with a connection.
enum class Next {
  kKeep,   // wait for the next request
  kDrain,  // an answer went out before the request's body was read: read and drop it, then close
  kClose,
};

// How many connections one client address holds, over every event loop.
struct PeerCount {
  size_t open = 0;  // guarded by Server::Impl::peers_mutex
  // Connections admitted over the limit against an idle one that another loop was asked to close;
  // any close of the address's connections settles one. Guarded by peers_mutex.
  size_t owed = 0;
  std::atomic<size_t> idle{0};  // its evictable connections
};

struct RouteEntry;

// The route found for a method and path, as FindRoute() found it.
struct FoundRoute {
  const RouteEntry* route;
  std::vector<std::string> matches;
};

// One reactor thread's event loop: it accepts from the shared listening socket and owns the
// connections it accepted, whose requests it reads and, for quick routes, serves.
struct Loop {
  int epoll_fd = -1;
  int wake_fd = -1;  // written by workers handing connections back, and by other loops
  Clock::time_point accept_paused_until{};
  std::unordered_map<int, std::unique_ptr<Connection>> connections;  // lent ones too

  std::mutex mutex;
  std::deque<std::pair<Connection*, Next>> returned;  // from the workers
  std::vector<std::string> evictions;  // addresses whose idle connection other loops ask closed

  // Routes found for the paths this loop served of late, by method and path: finding one is a
  // pure function of the two (the routes never change once serving), and std::regex was the
  // largest cost of a quick request. Forgotten all at once when it holds kRouteMemoBytes.
  std::unordered_map<std::string, FoundRoute> route_memo;
  size_t route_memo_bytes = 0;

  int burst = kBurst;       // requests the connection at hand may still be served (kBurst)
  std::vector<int> resume;  // connections whose burst ran out with work left

  void Wake() const {
    uint64_t one = 1;
    (void)!write(wake_fd, &one, sizeof(one));
  }

  ~Loop() {
    for (auto& [fd, connection] : connections) {
      if (connection->ssl) FreeSession(connection->ssl);
      close(fd);
    }
    for (int fd : {epoll_fd, wake_fd}) {
      if (fd >= 0) close(fd);
    }
  }
};

struct RouteEntry {
  std::string method;
  std::regex pattern;
  std::string name;       // RouteName(pattern)
  RequiredText required;  // RequiredTextOf(pattern): a path without it cannot match
  RouteOptions options;
  Handler handler;
};

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Status";
  }
}

// The Date header's value for now. It changes once a second, so each thread formats it once a
// second.
const std::string& HttpDate() {
  thread_local std::time_t formatted_at = -1;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    text = buf;
    formatted_at = now;
  }
  return text;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The status line and headers of `res`; the body follows unless `head_only`.
std::string SerializeHead(const Response& res, bool close, bool head_only) {
  std::string out;
  out.reserve(256 + (head_only ? 0 : res.body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  out += ReasonPhrase(res.status);
  out += "\r\n";
  for (const auto& [name, value] : res.headers) {
    // The framing headers are the server's to write.
    if (EqualsIgnoringCase(name, "content-length") || EqualsIgnoringCase(name, "connection") ||
        EqualsIgnoringCase(name, "transfer-encoding") || EqualsIgnoringCase(name, "date"))
      continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Date: ";
  out += HttpDate();
  out += "\r\n";
  const bool bodiless = res.status < 200 || res.status == 204 || res.status == 304;
  if (!bodiless) out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only && !bodiless) out += res.body;
  return out;
}

std::string PeerAddress(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text, sizeof(text));
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, text, sizeof(text));
  }
  return text;
}

// Waits until `fd` is ready for `events` or `deadline` passes. False on timeout or error.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 60000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// Writes all of `data` to a non-blocking socket (through `ssl` when not null), waiting at most
// `timeout` for each bit of progress.
bool SendAll(int fd, SSL* ssl, std::string_view data, std::chrono::milliseconds timeout) {
  while (!data.empty()) {
    bool wants_read = false;
    ssize_t n = SendSome(fd, ssl, data.data(), data.size(), &wants_read);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
        WaitFor(fd, wants_read ? POLLIN : POLLOUT, Clock::now() + timeout))
      continue;
    return false;
  }
  return true;
}

constexpr char kRequestIdHeader[] = "X-Request-Id";

// The client's request id when it is one we can log and echo safely (1 to 128 of [A-Za-z0-9._-]),
// else a fresh one: 16 random hex digits.
std::string RequestIdFor(const std::string& incoming) {
  if (!incoming.empty() && incoming.size() <= 128 &&
      std::all_of(incoming.begin(), incoming.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
      })) {
    return incoming;
  }
  thread_local std::mt19937_64 random_bits{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t bits = random_bits();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, bits >>= 4) id[static_cast<size_t>(i)] = kHex[bits & 0xf];
  return id;
}

// The request a parsed head describes, from the client at `remote_addr`; its body comes later.
Request RequestFromHead(ParsedHead&& parsed, std::string remote_addr) {
  Request req;
  req.method = std::move(parsed.method);
  req.target = std::move(parsed.target);
  req.path = std::move(parsed.path);
  req.version = std::move(parsed.version);
  req.headers = std::move(parsed.headers);
  req.params = std::move(parsed.params);
  req.remote_addr = std::move(remote_addr);
  return req;
}

// Writes all of `data` to `fd`, going on after EINTR; false when a write fails.
bool WriteAllTo(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Where a request's body goes as it arrives.
class BodySink {
 public:
  BodySink(std::string* memory, int fd) : memory_(memory), fd_(fd) {}
  bool Write(std::string_view data) {
    size_ += data.size();
    if (memory_) {
      memory_->append(data);
      return true;
    }
    return WriteAllTo(fd_, data);
  }
  uint64_t size() const { return size_; }

 private:
  std::string* memory_;
  int fd_;
  uint64_t size_ = 0;
};

// Why reading a body stopped early, with the answer it deserves (0: none, the client is gone).
struct BodyError {
  int status = 0;
  Status error;
};

}  // namespace

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool Request::has_header(const std::string& name) const { return headers.count(name) > 0; }
std::string Request::get_header_value(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}
bool Request::has_param(const std::string& name) const { return params.count(name) > 0; }
std::string Request::get_param_value(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

void Response::set_header(const std::string& name, const std::string& value) {
  headers.erase(name);
  headers.emplace(name, value);
}
void Response::set_content(std::string content, const std::string& content_type) {
  body = std::move(content);
  set_header("Content-Type", content_type);
}

namespace {

// A received body's file: closed and removed when the request is done.
struct BodyFile {
  int fd;
  std::string path;
  ~BodyFile() {
    if (fd >= 0) close(fd);
    if (!path.empty()) unlink(path.c_str());
  }
};

}  // namespace

struct Server::Impl {
  ServerLimits limits;
  std::vector<RouteEntry> routes;
  Gate gate;
  ErrorRenderer render_error;
  Logger logger;
  std::unique_ptr<TlsContext> tls;  // set by EnableTls()

  int listen_fd = -1;
  std::atomic<bool> stopping{false};
  size_t max_connections = 0;

  // Made by Bind(), never changed after: Stop() may run at any time.
  std::vector<std::unique_ptr<Loop>> loops;

  std::mutex peers_mutex;
  std::unordered_map<std::string, std::unique_ptr<PeerCount>> per_address;  // by peers_mutex
  std::atomic<size_t> open_connections{0};                                  // over every loop
  std::atomic<size_t> loop_output_bytes{0};  // answers loops hold for slow readers

  std::mutex mutex;
  std::condition_variable work_ready;
  std::deque<Connection*> ready;  // complete heads, for the workers
  std::vector<std::thread> workers;

  ~Impl() {
    loops.clear();
    if (listen_fd >= 0) close(listen_fd);
  }

  Response ErrorResponse(int status, const Status& error) const {
    Response res;
    res.status = status;
    if (render_error) {
      render_error(res, error, status);
      res.status = status;
    } else {
      res.set_content(error.message() + "\n", "text/plain");
    }
    return res;
  }

  // --- Reactor ------------------------------------------------------------------------------

  void Watch(Connection* c, int op = EPOLL_CTL_ADD, bool writable_too = false) {
    WatchFor(c, op, EPOLLIN | EPOLLRDHUP | (writable_too ? uint32_t{EPOLLOUT} : 0u));
  }

  void WatchFor(Connection* c, int op, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = c->fd;
    epoll_ctl(c->loop->epoll_fd, op, c->fd, &ev);
  }

  void CloseConnection(Connection* c) {
    Loop& loop = *c->loop;
    const int fd = c->fd;
    epoll_ctl(loop.epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    {
      std::lock_guard<std::mutex> lock(peers_mutex);
      PeerCount* count = c->peer_count;
      if (c->evictable) count->idle.fetch_sub(1, std::memory_order_relaxed);
      if (count->owed > 0 && !c->eviction_claimed) --count->owed;
      if (--count->open == 0) per_address.erase(c->peer);
    }
    ReleaseOutput(c);
    if (c->ssl) FreeSession(c->ssl);
    close(fd);
    loop.connections.erase(fd);
    open_connections.fetch_sub(1, std::memory_order_relaxed);
  }

  // Whether `c` is now an idle keep-alive connection, one that may be closed to make room for a
  // new connection from its address; its address's idle count follows.
  void Settle(Connection* c) {
    const bool evictable = !c->busy && !c->draining && !c->writing && !c->head_started &&
                           !c->handshaking && c->served > 0;
    if (evictable == c->evictable) return;
    c->evictable = evictable;
    if (evictable) {
      c->peer_count->idle.fetch_add(1, std::memory_order_relaxed);
    } else {
      c->peer_count->idle.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  // Best effort, for answers given without a worker: small, and the connection (`c`, or null for
  // one not yet accepted as a Connection) closes after.
  void AnswerAndClose(int fd, Connection* c, int status, const Status& error) {
    // A TLS client understands nothing before its handshake is done: it only sees the close.
    if (tls && (!c || c->handshaking)) {
      shutdown(fd, SHUT_WR);
      return;
    }
    std::string text =
        SerializeHead(ErrorResponse(status, error), /*close=*/true, /*head_only=*/false);
    bool wants_read = false;
    (void)!SendSome(fd, c ? c->ssl : nullptr, text.data(), text.size(), &wants_read);
    if (c) CloseNotify(c->ssl);
    shutdown(fd, SHUT_WR);
  }

  // Drives `c`'s TLS handshake on; true once it is done and requests may be read. A client that
  // speaks plain HTTP to this port is told, in plain HTTP, to use https.
  bool Handshake(Connection* c) {
    if (!c->first_byte_checked) {
      if (PlainTextWaiting(c->fd)) {
        Response res = ErrorResponse(
            400, Status::InvalidArgument(
                     "this port serves HTTPS: use an https:// URL (the client sent plain HTTP)"));
        std::string text = SerializeHead(res, /*close=*/true, /*head_only=*/false);
        (void)!send(c->fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        shutdown(c->fd, SHUT_WR);
        CloseConnection(c);
        return false;
      }
      c->first_byte_checked = true;
    }
    switch (ContinueHandshake(c->ssl)) {
      case HandshakeStep::kDone:
        c->handshaking = false;
        Watch(c, EPOLL_CTL_MOD);
        return true;
      case HandshakeStep::kWantRead:
        Watch(c, EPOLL_CTL_MOD);
        return false;
      case HandshakeStep::kWantWrite:
        Watch(c, EPOLL_CTL_MOD, /*writable_too=*/true);
        return false;
      case HandshakeStep::kFailed:
        CloseConnection(c);
        return false;
    }
    return false;
  }

  // Closes an idle keep-alive connection of `peer` that `loop` owns. False when it owns none.
  bool EvictIdle(Loop& loop, const std::string& peer) {
    for (auto& [fd, c] : loop.connections) {
      if (c->evictable && c->peer == peer) {
        CloseConnection(c.get());
        return true;
      }
    }
    return false;
  }

  // Counts a new connection from `peer` against the address's limit. At the limit, when the
  // address holds an idle keep-alive connection, the new one is let in and one idle connection is
  // closed to make room: by the loop that owns it, which every loop is asked through its wake_fd
  // to look for, since only the owner may touch a connection. Meanwhile the address holds one
  // connection more than the limit (`owed`). The address's entry; null when it is at its limit
  // with no idle connection to spare.
  PeerCount* CountIn(const std::string& peer) {
    PeerCount* admitted = nullptr;
    {
      std::lock_guard<std::mutex> lock(peers_mutex);
      auto& count = per_address[peer];
      if (!count) count = std::make_unique<PeerCount>();
      if (count->open < limits.max_connections_per_address) {
        ++count->open;
        return count.get();
      }
      if (count->idle.load(std::memory_order_relaxed) <= count->owed) return nullptr;
      ++count->owed;
      ++count->open;
      admitted = count.get();
    }
    for (auto& loop : loops) {
      {
        std::lock_guard<std::mutex> inbox(loop->mutex);
        loop->evictions.push_back(peer);
      }
      loop->Wake();
    }
    return admitted;
  }

  // Closes an idle connection `loop` owns of each address CountIn() asked for, while the address
  // still owes one. Two loops may both find it owing and both close one: an idle keep-alive
  // connection closed early costs its client a reconnect, nothing more.
  void EvictAsked(Loop& loop, const std::vector<std::string>& peers) {
    for (const std::string& peer : peers) {
      Connection* victim = nullptr;
      {
        // Claimed under the lock, so that loops asked together close one connection, not one
        // each.
        std::lock_guard<std::mutex> lock(peers_mutex);
        auto it = per_address.find(peer);
        if (it == per_address.end() || it->second->owed == 0) continue;
        for (auto& [fd, c] : loop.connections) {
          if (c->evictable && c->peer == peer) {
            victim = c.get();
            break;
          }
        }
        if (!victim) continue;
        --it->second->owed;
        victim->eviction_claimed = true;
      }
      CloseConnection(victim);
    }
  }

  void AcceptAll(Loop& loop) {
    while (true) {
      sockaddr_storage addr{};
      socklen_t length = sizeof(addr);
      int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &length,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Out of descriptors: stop accepting for a moment rather than spin on a listener that
          // stays readable; the backlog waits.
          PauseAccepting(loop);
        }
        return;
      }
      std::string peer = PeerAddress(addr);
      if (open_connections.load(std::memory_order_relaxed) >= max_connections) {
        AnswerAndClose(
            fd, nullptr, 503,
            Status::Unavailable("the registry has too many open connections; try again"));
        close(fd);
        continue;
      }
      PeerCount* count = CountIn(peer);
      if (!count) {
        AnswerAndClose(
            fd, nullptr, 503,
            Status::Unavailable("too many connections from " + peer + " (at most " +
                                std::to_string(limits.max_connections_per_address) + ")"));
        close(fd);
        std::lock_guard<std::mutex> lock(peers_mutex);
        if (auto it = per_address.find(peer); it != per_address.end() && it->second->open == 0)
          per_address.erase(it);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      auto c = std::make_unique<Connection>();
      c->fd = fd;
      c->peer = peer;
      c->loop = &loop;
      c->peer_count = count;
      // The handshake, too, must be done within the head's time.
      c->deadline = Clock::now() + limits.head_timeout;
      Connection* raw = c.get();
      loop.connections.emplace(fd, std::move(c));
      open_connections.fetch_add(1, std::memory_order_relaxed);
      if (tls) {
        raw->ssl = tls->NewSession(fd);
        if (!raw->ssl) {
          CloseConnection(raw);
          continue;
        }
        raw->handshaking = true;
      }
      Watch(raw);
    }
  }

  void PauseAccepting(Loop& loop) {
    loop.accept_paused_until = Clock::now() + std::chrono::milliseconds(100);
    epoll_ctl(loop.epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
  }

  void ResumeAcceptingIfDue(Loop& loop) {
    if (loop.accept_paused_until == Clock::time_point{} || Clock::now() < loop.accept_paused_until)
      return;
    loop.accept_paused_until = {};
    WatchListener(loop);
  }

  // Every loop waits on the listening socket; EPOLLEXCLUSIVE wakes one of them per connection
  // rather than all.
  void WatchListener(Loop& loop) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.fd = listen_fd;
    epoll_ctl(loop.epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
  }

  void OnReadable(Connection* c) {
    if (c->handshaking && !Handshake(c)) return;
    if (c->writing) return FlushOut(c);
    char buf[16 << 10];
    // A read that did not fill the buffer most likely emptied the socket: rather than a read
    // that says so (EAGAIN), one per request, the loop waits for epoll, which reports the
    // socket again while anything is left in it (level-triggered). The TLS session may hold
    // decrypted bytes epoll cannot see: those are always read.
    auto drained = [&](ssize_t n) {
      return static_cast<size_t>(n) < sizeof(buf) && !HasBuffered(c->ssl);
    };
    while (true) {
      ssize_t n = ReceiveSome(c->fd, c->ssl, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) return CloseConnection(c);
      if (c->draining) {
        c->drained += static_cast<uint64_t>(n);
        if (c->drained > kDrainBytes) return CloseConnection(c);
        if (drained(n)) break;
        continue;
      }
      if (!c->head_started) {
        c->head_started = true;
        Settle(c);
        // A keep-alive connection's next request starts its own clock.
        if (c->served > 0) c->deadline = Clock::now() + limits.head_timeout;
      }
      c->in.append(buf, static_cast<size_t>(n));
      if (FindHeadEnd(c->in, &c->scan) != std::string_view::npos &&
          (Dispatch(c) != Waiting::kForRequest || c->loop->burst <= 0)) {
        return;
      }
      if (c->in.size() > limits.max_head_bytes) {
        AnswerAndClose(c->fd, c, 431,
                       Status::TooLarge("request head is larger than " +
                                        std::to_string(limits.max_head_bytes) + " bytes"));
        return CloseConnection(c);
      }
      if (drained(n)) break;
    }
  }

  void Lend(Connection* c) {
    epoll_ctl(c->loop->epoll_fd, EPOLL_CTL_DEL, c->fd, nullptr);
    c->busy = true;
    Settle(c);
    {
      std::lock_guard<std::mutex> lock(mutex);
      ready.push_back(c);
    }
    work_ready.notify_one();
  }

  // Takes back the connections workers are done with, and does what other loops asked.
  void OnWake(Loop& loop) {
    uint64_t count = 0;
    (void)!read(loop.wake_fd, &count, sizeof(count));
    std::deque<std::pair<Connection*, Next>> back;
    std::vector<std::string> evictions;
    {
      std::lock_guard<std::mutex> lock(loop.mutex);
      back.swap(loop.returned);
      evictions.swap(loop.evictions);
    }
    EvictAsked(loop, evictions);
    for (auto& [c, next] : back) {
      loop.burst = kBurst;
      c->busy = false;
      if (next == Next::kClose || stopping) {
        CloseConnection(c);
        continue;
      }
      if (next == Next::kDrain) {
        CloseNotify(c->ssl);
        shutdown(c->fd, SHUT_WR);
        c->draining = true;
        c->in.clear();
        c->deadline = Clock::now() + kDrainTime;
        Watch(c);
        continue;
      }
      Watch(c);
      AwaitNextRequest(c);
    }
  }

  // After an answer on a connection that stays open: serves a next request that came with the
  // last one, or waits for one, reading what the TLS session already holds decrypted (the
  // socket's readiness does not show it).
  void AwaitNextRequest(Connection* c) {
    c->head_started = !c->in.empty();
    c->deadline = Clock::now() + (c->head_started ? limits.head_timeout : limits.idle_timeout);
    if (c->head_started && FindHeadEnd(c->in, &c->scan) != std::string_view::npos) {
      if (Dispatch(c) != Waiting::kForRequest) return;
    }
    Settle(c);
    if (HasBuffered(c->ssl)) OnReadable(c);
  }

  // --- Quick routes, served on the reactor ---------------------------------------------------

  // Where a connection stands after Dispatch().
  enum class Waiting {
    kForRequest,  // on the reactor, waiting for (the rest of) a request head
    kForWorker,   // lent to a worker
    kForSocket,   // an answer is being written as the socket drains
    kNothing,     // closed
  };

  // Serves the complete request heads buffered on `c` whose routes are quick, in order, until one
  // is not: that one, and the connection, go to a worker.
  Waiting Dispatch(Connection* c) {
    while (true) {
      size_t end = FindHeadEnd(c->in, &c->scan);
      if (end == std::string_view::npos || c->loop->burst <= 0) {
        c->head_started = !c->in.empty();
        c->deadline = Clock::now() + (c->head_started ? limits.head_timeout : limits.idle_timeout);
        Settle(c);
        // Its turn is over with a request still waiting: it is served again after the others.
        if (end != std::string_view::npos) c->loop->resume.push_back(c->fd);
        return Waiting::kForRequest;
      }
      --c->loop->burst;
      std::optional<Next> next = ServeQuick(c, end);
      if (!next) {
        Lend(c);
        return Waiting::kForWorker;
      }
      if (c->writing) {
        c->close_after_out = *next != Next::kKeep;
        if (!ReserveOutput(c)) {
          // Loops already hold as much as they may for slow readers: a worker writes this one.
          c->writing = false;
          Lend(c);
          return Waiting::kForWorker;
        }
        return Waiting::kForSocket;
      }
      if (*next != Next::kKeep || stopping) {
        CloseNotifyAndClose(c);
        return Waiting::kNothing;
      }
    }
  }

  // Answers the request whose head is c->in[0, end) when it has no body and its route is quick,
  // as ServeRequest() would; nullopt, consuming nothing, when a worker must serve it (any other
  // request, and the malformed ones, which the worker refuses).
  std::optional<Next> ServeQuick(Connection* c, size_t end) {
    if (end > limits.max_head_bytes) return std::nullopt;
    ParsedHead parsed;
    HeadError head_error;
    if (!ParseRequestHead(std::string_view(c->in).substr(0, end),
                          HeadLimits{limits.max_target_bytes, limits.max_headers}, &parsed,
                          &head_error)) {
      return std::nullopt;
    }
    if (parsed.chunked || parsed.content_length > 0 || parsed.expect_continue) return std::nullopt;
    Request req = RequestFromHead(std::move(parsed), c->peer);
    const RouteEntry* route = FindRouteRemembered(*c->loop, req);
    if (!route || !route->options.quick) return std::nullopt;
    req.received = Clock::now();
    req.request_id = RequestIdFor(req.get_header_value(kRequestIdHeader));
    req.on_event_loop = true;
    const bool head_only = req.method == "HEAD";
    Response res;
    uint64_t limit = 0;
    const bool permitted = Permit(req, parsed, *route, &res, &limit);
    if (permitted) {
      res = RunHandler(*route, req);
      if (res.needs_worker) return std::nullopt;  // the head is still in c->in, for the worker
    }
    c->in.erase(0, end);
    c->scan = HeadScan();
    res.set_header(kRequestIdHeader, req.request_id);
    const bool close = !parsed.keep_alive;
    ++c->served;
    if (!close) {
      // Idle from the moment its answer goes out, unless a next request is already here: counted
      // so before the answer is sent, since the client may open its next connection the moment
      // it has read it, and that one may only fit in place of this one (CountIn). Only this
      // loop closes an idle connection, so none is closed while the answer is being written.
      c->head_started = !c->in.empty();
      Settle(c);
    }
    // Counted and logged before the answer goes out, so a client that has read it and then asks
    // /metrics finds it counted.
    const Next next = Log(req, res, close ? Next::kClose : Next::kKeep);
    if (!Emit(c, SerializeHead(res, close, head_only && permitted))) return Next::kClose;
    return next;
  }

  // Writes an answer without blocking: what the socket does not take now waits in c->out, sent
  // by FlushOut() as the socket drains (c->writing). False when the socket failed.
  bool Emit(Connection* c, std::string text) {
    c->out = std::move(text);
    c->out_sent = 0;
    return SendPending(c);
  }

  // Sends what is left of c->out; arranges to be called again when the socket blocks. False when
  // the socket failed.
  bool SendPending(Connection* c) {
    while (c->out_sent < c->out.size()) {
      bool wants_read = false;
      ssize_t n = SendSome(c->fd, c->ssl, c->out.data() + c->out_sent, c->out.size() - c->out_sent,
                           &wants_read);
      if (n > 0) {
        c->out_sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // Only the event the write waits for: a readable or half-closed socket would wake the
        // reactor again and again while the client does not read.
        WatchFor(c, EPOLL_CTL_MOD, wants_read ? uint32_t{EPOLLIN} : uint32_t{EPOLLOUT});
        c->writing = true;
        Settle(c);
        c->deadline = Clock::now() + limits.io_timeout;
        return true;
      }
      return false;
    }
    if (c->writing) {
      c->writing = false;
      Watch(c, EPOLL_CTL_MOD);
    }
    ReleaseOutput(c);
    return true;
  }

  // Counts c->out, which the loop is to hold until the socket takes it, against the loops'
  // budget. False, reserving nothing, when it does not fit.
  bool ReserveOutput(Connection* c) {
    const size_t size = c->out.size();
    size_t held = loop_output_bytes.load(std::memory_order_relaxed);
    do {
      if (held + size > kLoopOutputBudget) return false;
    } while (!loop_output_bytes.compare_exchange_weak(held, held + size));
    c->out_reserved = size;
    return true;
  }

  // Drops c->out (its memory too: an answer may have been large) and its share of the budget.
  void ReleaseOutput(Connection* c) {
    loop_output_bytes.fetch_sub(c->out_reserved, std::memory_order_relaxed);
    c->out_reserved = 0;
    std::string().swap(c->out);
    c->out_sent = 0;
  }

  // The socket of a connection with a pending answer is ready: sends more of it, and once it is
  // all out, closes the connection or serves its next request.
  void FlushOut(Connection* c) {
    if (!SendPending(c)) return CloseConnection(c);
    if (c->writing) return;
    if (c->close_after_out || stopping) return CloseNotifyAndClose(c);
    AwaitNextRequest(c);
  }

  void CloseNotifyAndClose(Connection* c) {
    CloseNotify(c->ssl);
    CloseConnection(c);
  }

  // Closes connections whose time is up: a partial head gets a 408, an idle one just closes.
  int ExpireAndNextTimeout(Loop& loop) {
    auto now = Clock::now();
    Clock::time_point next = now + std::chrono::seconds(60);
    std::vector<int> expired;
    for (auto& [fd, c] : loop.connections) {
      if (c->busy) continue;
      if (c->deadline <= now) {
        expired.push_back(fd);
      } else {
        next = std::min(next, c->deadline);
      }
    }
    for (int fd : expired) {
      Connection* c = loop.connections[fd].get();
      if (c->head_started && !c->draining && !c->writing) {
        AnswerAndClose(
            fd, c, 408,
            Status::InvalidArgument("request head not received within " +
                                    std::to_string(limits.head_timeout.count()) + " ms"));
      }
      CloseConnection(c);
    }
    if (loop.accept_paused_until != Clock::time_point{})
      next = std::min(next, loop.accept_paused_until);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    return static_cast<int>(std::clamp<int64_t>(ms + 1, 1, 60000));
  }

  void RunReactor(Loop& loop) {
    epoll_event events[256];
    while (!stopping) {
      int timeout = ExpireAndNextTimeout(loop);
      ResumeAcceptingIfDue(loop);
      if (!loop.resume.empty()) timeout = 0;
      int n = epoll_wait(loop.epoll_fd, events, 256, timeout);
      for (int i = 0; i < n && !stopping; ++i) {
        int fd = events[i].data.fd;
        loop.burst = kBurst;
        if (fd == listen_fd) {
          AcceptAll(loop);
        } else if (fd == loop.wake_fd) {
          OnWake(loop);
        } else if (auto it = loop.connections.find(fd);
                   it != loop.connections.end() && !it->second->busy) {
          OnReadable(it->second.get());
        }
      }
      // Connections whose turn ran out with requests left, after every other got its turn.
      std::vector<int> resume;
      resume.swap(loop.resume);
      for (int fd : resume) {
        auto it = loop.connections.find(fd);
        if (stopping || it == loop.connections.end()) continue;
        Connection* c = it->second.get();
        if (c->busy || c->writing || c->draining) continue;
        loop.burst = kBurst;
        AwaitNextRequest(c);
      }
    }
  }

  // --- Workers ------------------------------------------------------------------------------

  void RunWorker() {
    while (true) {
      Connection* c = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex);
        work_ready.wait(lock, [&] { return stopping || !ready.empty(); });
        if (stopping) return;
        c = ready.front();
        ready.pop_front();
      }
      Next next = ServeConnection(c);
      {
        std::lock_guard<std::mutex> lock(c->loop->mutex);
        c->loop->returned.emplace_back(c, next);
      }
      c->loop->Wake();
    }
  }

  // Serves every complete request head buffered on `c`, in order.
  Next ServeConnection(Connection* c) {
    // An answer a loop began and left for a worker to finish (Dispatch).
    if (c->out_sent < c->out.size()) {
      bool sent =
          SendAll(c->fd, c->ssl, std::string_view(c->out).substr(c->out_sent), limits.io_timeout);
      std::string().swap(c->out);
      c->out_sent = 0;
      if (!sent || c->close_after_out) return Next::kClose;
    }
    while (!stopping) {
      size_t end = FindHeadEnd(c->in, &c->scan);
      if (end == std::string_view::npos) return Next::kKeep;
      if (end > limits.max_head_bytes) {
        Response res =
            ErrorResponse(431, Status::TooLarge("request head is larger than " +
                                                std::to_string(limits.max_head_bytes) + " bytes"));
        return Refuse(c, res, /*body_pending=*/true, false);
      }
      std::string head = c->in.substr(0, end);
      c->in.erase(0, end);
      c->scan = HeadScan();
      Next next = ServeRequest(c, head);
      ++c->served;
      if (next != Next::kKeep) return next;
    }
    return Next::kClose;
  }

  bool Send(Connection* c, const Response& res, bool close, bool head_only) {
    return SendAll(c->fd, c->ssl, SerializeHead(res, close, head_only), limits.io_timeout);
  }

  // Answers without reading the request's body: the connection cannot be reused when one is
  // pending.
  Next Refuse(Connection* c, const Response& res, bool body_pending, bool keep_alive) {
    bool close = body_pending || !keep_alive;
    if (!Send(c, res, close, false)) return Next::kClose;
    if (body_pending) return Next::kDrain;
    return close ? Next::kClose : Next::kKeep;
  }

  // The route that serves the request, or nullptr. Then `allowed` lists the methods of the routes
  // whose pattern matches the path (HEAD beside GET), for a 405's Allow header; it stays empty
  // when no route knows the path (404).
  const RouteEntry* FindRoute(Request& req, std::string* allowed) {
    const std::string method = req.method == "HEAD" ? "GET" : req.method;
    std::vector<std::string> methods;
    auto note = [&methods](const std::string& m) {
      if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
    };
    for (const auto& route : routes) {
      if (!route.required.MayMatch(req.path)) continue;
      std::smatch match;
      if (!std::regex_match(req.path, match, route.pattern)) continue;
      if (route.method != method) {
        note(route.method);
        if (route.method == "GET") note("HEAD");
        continue;
      }
      req.matches.assign(match.begin(), match.end());
      req.route = route.name;
      return &route;
    }
    for (const auto& m : methods) *allowed += (allowed->empty() ? "" : ", ") + m;
    return nullptr;
  }

  // FindRoute() for a request a loop serves, through the loop's memo of recent paths. nullptr
  // when no route serves the request (the 404 or 405 is a worker's to answer).
  const RouteEntry* FindRouteRemembered(Loop& loop, Request& req) {
    std::string key = req.method;
    key += ' ';
    key += req.path;
    if (auto it = loop.route_memo.find(key); it != loop.route_memo.end()) {
      req.matches = it->second.matches;
      req.route = it->second.route->name;
      return it->second.route;
    }
    std::string allowed;
    const RouteEntry* route = FindRoute(req, &allowed);
    if (!route) return nullptr;
    size_t bytes = key.size() * 2 + 64;  // the key, the whole-path match, and overhead
    for (const auto& match : req.matches) bytes += match.size();
    if (loop.route_memo_bytes + bytes > kRouteMemoBytes) {
      loop.route_memo.clear();
      loop.route_memo_bytes = 0;
    }
    loop.route_memo.emplace(std::move(key), FoundRoute{route, req.matches});
    loop.route_memo_bytes += bytes;
    return route;
  }

  // Makes sure at least one unread byte is in c->in, reading from the socket when needed.
  bool Fill(Connection* c, BodyError* error) {
    while (c->in.empty()) {
      char buf[kReadPiece];
      ssize_t n = ReceiveSome(c->fd, c->ssl, buf, sizeof(buf));
      if (n > 0) {
        c->in.append(buf, static_cast<size_t>(n));
        return true;
      }
      if (n == 0) {
        *error = {0, Status::InvalidArgument("the client closed the connection mid-body")};
        return false;
      }
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
          WaitFor(c->fd, POLLIN, Clock::now() + limits.io_timeout))
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        *error = {408, Status::InvalidArgument("request body made no progress for " +
                                               std::to_string(limits.io_timeout.count()) + " ms")};
      } else {
        *error = {0, Status::IOError("cannot read the request body")};
      }
      return false;
    }
    return true;
  }

  // Moves up to `want` bytes of body from the connection into `sink`.
  bool Take(Connection* c, uint64_t want, BodySink* sink, BodyError* error) {
    while (want > 0) {
      if (!Fill(c, error)) return false;
      size_t n = static_cast<size_t>(std::min<uint64_t>(want, c->in.size()));
      if (!sink->Write(std::string_view(c->in).substr(0, n))) {
        *error = {500, Status::IOError("cannot store the request body")};
        return false;
      }
      c->in.erase(0, n);
      want -= n;
    }
    return true;
  }

  // One line of chunked framing (without its line end).
  bool ReadLine(Connection* c, size_t max, std::string* line, BodyError* error) {
    line->clear();
    while (true) {
      if (!Fill(c, error)) return false;
      size_t newline = c->in.find('\n');
      size_t take = newline == std::string::npos ? c->in.size() : newline;
      if (line->size() + take > max) {
        *error = {400,
                  Status::InvalidArgument("malformed chunked body: a framing line is too long")};
        return false;
      }
      line->append(c->in, 0, take);
      c->in.erase(0, newline == std::string::npos ? take : newline + 1);
      if (newline != std::string::npos) {
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
    }
  }

  bool ReadChunked(Connection* c, uint64_t limit, BodySink* sink, BodyError* error) {
    std::string line;
    while (true) {
      if (!ReadLine(c, kMaxChunkLine, &line, error)) return false;
      std::string_view size_text(line);
      size_text = size_text.substr(0, size_text.find(';'));
      while (!size_text.empty() && (size_text.back() == ' ' || size_text.back() == '\t'))
        size_text.remove_suffix(1);
      if (size_text.empty() || size_text.size() > 15 ||
          !std::all_of(size_text.begin(), size_text.end(),
                       [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); })) {
        *error = {400, Status::InvalidArgument("malformed chunked body: bad chunk size")};
        return false;
      }
      uint64_t size = std::stoull(std::string(size_text), nullptr, 16);
      if (size == 0) break;
      if (size > limit || sink->size() + size > limit) {
        *error = {413, Status::TooLarge("request body is larger than this route accepts (" +
                                        std::to_string(limit) + " bytes)")};
        return false;
      }
      if (!Take(c, size, sink, error)) return false;
      // The chunk's data ends with its line end, nothing else.
      if (!Fill(c, error)) return false;
      if (c->in[0] == '\r') {
        c->in.erase(0, 1);
        if (!Fill(c, error)) return false;
      }
      if (c->in[0] != '\n') {
        *error = {400, Status::InvalidArgument(
                           "malformed chunked body: chunk data longer than its size")};
        return false;
      }
      c->in.erase(0, 1);
    }
    size_t trailer_bytes = 0;
    while (true) {
      if (!ReadLine(c, kMaxChunkLine, &line, error)) return false;
      if (line.empty()) return true;
      trailer_bytes += line.size();
      if (trailer_bytes > kMaxTrailerBytes) {
        *error = {431, Status::TooLarge("chunked body trailers are too large")};
        return false;
      }
    }
  }

  Next ServeRequest(Connection* c, const std::string& head) {
    ParsedHead parsed;
    HeadError head_error;
    if (!ParseRequestHead(head, HeadLimits{limits.max_target_bytes, limits.max_headers}, &parsed,
                          &head_error)) {
      Response res = ErrorResponse(head_error.status, Status::InvalidArgument(head_error.message));
      res.set_header(kRequestIdHeader, RequestIdFor(""));
      // The framing is unknown, so nothing after this head can be trusted: close.
      return Refuse(c, res, /*body_pending=*/true, false);
    }
    Request req = RequestFromHead(std::move(parsed), c->peer);
    req.received = Clock::now();
    const bool body_pending = parsed.chunked || parsed.content_length > 0;
    const bool head_only = req.method == "HEAD";

    Response refusal;
    uint64_t limit = 0;
    const RouteEntry* route = Admit(req, parsed, &refusal, &limit);
    refusal.set_header(kRequestIdHeader, req.request_id);
    if (!route) return Log(req, refusal, Refuse(c, refusal, body_pending, parsed.keep_alive));
    if (parsed.expect_continue && body_pending &&
        !SendAll(c->fd, c->ssl, "HTTP/1.1 100 Continue\r\n\r\n", limits.io_timeout)) {
      return Next::kClose;
    }

    int body_fd = -1;
    if (route->options.body_to_file) {
      body_fd = CreateBodyFile(&req, &refusal);
      refusal.set_header(kRequestIdHeader, req.request_id);
      if (body_fd < 0) return Log(req, refusal, Refuse(c, refusal, body_pending, false));
    }
    BodyFile body_file{body_fd, req.body_file};
    BodySink sink(route->options.body_to_file ? nullptr : &req.body, body_fd);
    BodyError body_error;
    bool read = parsed.chunked ? ReadChunked(c, limit, &sink, &body_error)
                               : Take(c, parsed.content_length, &sink, &body_error);
    if (!read) {
      if (body_error.status == 0) return Next::kClose;
      Response res = ErrorResponse(body_error.status, body_error.error);
      res.set_header(kRequestIdHeader, req.request_id);
      return Log(req, res, Refuse(c, res, true, false));
    }
    req.body_size = sink.size();
    if (body_fd >= 0) {
      close(body_fd);
      body_file.fd = -1;
    }

    Response res = RunHandler(*route, req);
    res.set_header(kRequestIdHeader, req.request_id);
    bool close = !parsed.keep_alive;
    // Counted and logged before the answer goes out (see the event loop's quick path).
    const Next next = Log(req, res, close ? Next::kClose : Next::kKeep);
    if (!Send(c, res, close, head_only)) return Next::kClose;
    return next;
  }

  // What is decided from the head alone, before a body byte is read: the route (404, 405), the
  // gate (its refusal), the route's body limit against the declared length (413). The route, with
  // `limit` set; or null with `refusal` filled.
  const RouteEntry* Admit(Request& req, const ParsedHead& parsed, Response* refusal,
                          uint64_t* limit) {
    req.request_id = RequestIdFor(req.get_header_value(kRequestIdHeader));
    std::string allowed;
    const RouteEntry* route = FindRoute(req, &allowed);
    if (!route) {
      if (!allowed.empty()) {
        *refusal =
            ErrorResponse(405, Status::InvalidArgument(req.method + " is not allowed on " +
                                                       req.path + " (allowed: " + allowed + ")"));
        refusal->set_header("Allow", allowed);
      } else {
        *refusal =
            ErrorResponse(404, Status::NotFound("no route for " + req.method + " " + req.path));
      }
      return nullptr;
    }
    return Permit(req, parsed, *route, refusal, limit) ? route : nullptr;
  }

  // Admit()'s checks once the route is known: the gate and the body limit. True with `limit`
  // set; false with `refusal` filled.
  bool Permit(Request& req, const ParsedHead& parsed, const RouteEntry& route, Response* refusal,
              uint64_t* limit) {
    if (gate && !gate(req, route.options.access, *refusal)) return false;
    *limit = route.options.max_body ? route.options.max_body : limits.default_max_body;
    if (!parsed.chunked && parsed.content_length > *limit) {
      *refusal = ErrorResponse(
          413, Status::TooLarge("request body of " + std::to_string(parsed.content_length) +
                                " bytes is larger than this route accepts (" +
                                std::to_string(*limit) + " bytes)"));
      return false;
    }
    return true;
  }

  // A body file for a route with body_to_file (its name in req->body_file), open for writing; -1
  // with `refusal` filled (500) when it cannot be made.
  int CreateBodyFile(Request* req, Response* refusal) {
    std::random_device random;
    req->body_file =
        limits.body_dir + "/body-" + std::to_string(random()) + std::to_string(random());
    int fd = open(req->body_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      *refusal = ErrorResponse(
          500, Status::IOError("cannot create " + req->body_file + ": " + std::strerror(errno)));
      req->body_file.clear();
    }
    return fd;
  }

  // The handler's answer; a 500 for anything it throws.
  Response RunHandler(const RouteEntry& route, const Request& req) {
    Response res;
    try {
      route.handler(req, res);
    } catch (const std::exception& e) {
      res = ErrorResponse(500, Status::Internal(e.what()));
    } catch (...) {
      res = ErrorResponse(500, Status::Internal("unexpected error"));
    }
    return res;
  }

  Response AnswerInProcess(const std::string& head, std::string_view body) {
    ParsedHead parsed;
    HeadError head_error;
    if (!ParseRequestHead(head, HeadLimits{limits.max_target_bytes, limits.max_headers}, &parsed,
                          &head_error)) {
      return ErrorResponse(head_error.status, Status::InvalidArgument(head_error.message));
    }
    Request req = RequestFromHead(std::move(parsed), "in-process");
    req.received = Clock::now();
    Response refusal;
    uint64_t limit = 0;
    const RouteEntry* route = Admit(req, parsed, &refusal, &limit);
    refusal.set_header(kRequestIdHeader, req.request_id);
    if (!route) return refusal;
    if (body.size() > limit) {
      return ErrorResponse(413,
                           Status::TooLarge("request body is larger than this route accepts (" +
                                            std::to_string(limit) + " bytes)"));
    }
    int body_fd = -1;
    if (route->options.body_to_file) {
      body_fd = CreateBodyFile(&req, &refusal);
      if (body_fd < 0) return refusal;
    }
    BodyFile body_file{body_fd, req.body_file};
    if (body_fd >= 0) {
      if (!WriteAllTo(body_fd, body)) {
        return ErrorResponse(
            500, Status::IOError("cannot write " + req.body_file + ": " + std::strerror(errno)));
      }
      close(body_fd);
      body_file.fd = -1;
    } else {
      req.body.assign(body);
    }
    req.body_size = body.size();
    Response res = RunHandler(*route, req);
    res.set_header(kRequestIdHeader, req.request_id);
    if (logger) logger(req, res);
    return res;
  }

  Next Log(const Request& req, const Response& res, Next next) {
    if (logger) logger(req, res);
    return next;
  }
};

Server::Server(ServerLimits limits) : impl_(std::make_unique<Impl>()) {
  impl_->limits = std::move(limits);
}
// Serve() joins the workers before it returns. REQUIRES: Serve() is not running.
Server::~Server() = default;

void Server::Route(const std::string& method, const std::string& pattern, RouteOptions options,
                   Handler handler) {
  impl_->routes.push_back({method, std::regex(pattern), RouteName(pattern), RequiredTextOf(pattern),
                           options, std::move(handler)});
}
void Server::Get(const std::string& pattern, Handler handler) {
  Route("GET", pattern, {}, std::move(handler));
}
void Server::Post(const std::string& pattern, RouteOptions options, Handler handler) {
  Route("POST", pattern, options, std::move(handler));
}
void Server::Put(const std::string& pattern, RouteOptions options, Handler handler) {
  Route("PUT", pattern, options, std::move(handler));
}
void Server::SetGate(Gate gate) { impl_->gate = std::move(gate); }
Status Server::EnableTls(const std::string& cert_file, const std::string& key_file) {
  SPOKE_ASSIGN_OR_RETURN(impl_->tls, TlsContext::Load(cert_file, key_file));
  return Status::Ok();
}
Response Server::AnswerInProcess(const std::string& head, std::string_view body) {
  return impl_->AnswerInProcess(head, body);
}
void Server::SetErrorRenderer(ErrorRenderer renderer) { impl_->render_error = std::move(renderer); }
void Server::SetLogger(Logger logger) { impl_->logger = std::move(logger); }

Result<int> Server::Bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  std::string port_text = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &found);
  if (rc != 0)
    return Status::InvalidArgument("cannot resolve --host " + host + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, freeaddrinfo);
  const std::string where = host + ":" + port_text;
  int fd = socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  found->ai_protocol);
  if (fd < 0)
    return Status::IOError("cannot open a socket for " + where + ": " + std::strerror(errno));
  // SO_REUSEADDR lets a restarted server bind while old connections linger in TIME_WAIT; on Linux
  // it never lets two sockets listen on one port. SO_REUSEPORT, which would, is never set.
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
    int err = errno;
    close(fd);
    if (err == EADDRINUSE) return Status::IOError("cannot listen on " + where + ": address in use");
    return Status::IOError("cannot listen on " + where + ": " + std::strerror(err));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  int bound_port = bound.ss_family == AF_INET6
                       ? ntohs(reinterpret_cast<sockaddr_in6&>(bound).sin6_port)
                       : ntohs(reinterpret_cast<sockaddr_in&>(bound).sin_port);
  impl_->listen_fd = fd;
  // The event loops exist from here on, so that Stop() finds them whenever it is called.
  size_t reactors = impl_->limits.reactors;
  if (reactors == 0) reactors = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  for (size_t i = 0; i < reactors; ++i) {
    auto loop = std::make_unique<Loop>();
    loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->epoll_fd < 0 || loop->wake_fd < 0) {
      const int err = errno;
      impl_->loops.clear();
      close(fd);
      impl_->listen_fd = -1;  // as if Bind() had not been called
      return Status::IOError("cannot start an event loop: " + std::string(std::strerror(err)));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = loop->wake_fd;
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->wake_fd, &ev);
    impl_->WatchListener(*loop);
    impl_->loops.push_back(std::move(loop));
  }
  return bound_port;
}

Status Server::Serve() {
  Impl& impl = *impl_;
  if (impl.listen_fd < 0) return Status::Internal("Serve() before Bind()");
  // Each connection is a descriptor: allow as many as the limits ask for, within the hard limit.
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  const rlim_t wanted = impl.limits.max_connections + impl.limits.workers * 4 + 64;
  if (files.rlim_cur < wanted && files.rlim_cur != RLIM_INFINITY) {
    files.rlim_cur = std::min(wanted, files.rlim_max);
    setrlimit(RLIMIT_NOFILE, &files);
    getrlimit(RLIMIT_NOFILE, &files);
  }
  const size_t spare = impl.limits.workers * 4 + 64;
  impl.max_connections = std::min<size_t>(impl.limits.max_connections,
                                          files.rlim_cur > spare ? files.rlim_cur - spare : 16);
  for (size_t i = 0; i < impl.limits.workers; ++i)
    impl.workers.emplace_back([&impl] { impl.RunWorker(); });
  std::vector<std::thread> reactors;
  for (size_t i = 1; i < impl.loops.size(); ++i)
    reactors.emplace_back([&impl, i] { impl.RunReactor(*impl.loops[i]); });
  impl.RunReactor(*impl.loops[0]);
  for (auto& reactor : reactors) reactor.join();
  {
    // Taking the lock orders this after any worker's check of `stopping`, so none misses the wake.
    std::lock_guard<std::mutex> lock(impl.mutex);
  }
  impl.work_ready.notify_all();
  for (auto& worker : impl.workers) worker.join();
  impl.workers.clear();
  return Status::Ok();
}

void Server::Stop() {
  impl_->stopping = true;
  for (const auto& loop : impl_->loops) loop->Wake();
}

size_t Server::OpenConnections() const {
  return impl_->open_connections.load(std::memory_order_relaxed);
}

std::string RouteName(const std::string& pattern) {
  // A group's name comes from the path segment before it: /modules/(...) is the module's name.
  static const std::map<std::string, std::string> kNames = {
      {"modules", "name"},     {"versions", "version"},  {"files", "path"},
      {"compile", "language"}, {"download", "language"}, {"diff", "to"}};
  std::string name;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char ch = pattern[i];
    if (ch == '\\' && i + 1 < pattern.size()) {
      name += pattern[++i];
      continue;
    }
    if (ch != '(') {
      name += ch;
      continue;
    }
    // Skip to the group's closing parenthesis, minding nested groups, escapes and classes.
    int depth = 0;
    bool in_class = false;
    for (; i < pattern.size(); ++i) {
      char g = pattern[i];
      if (g == '\\') {
        ++i;
      } else if (in_class) {
        in_class = g != ']';
      } else if (g == '[') {
        in_class = true;
      } else if (g == '(') {
        ++depth;
      } else if (g == ')' && --depth == 0) {
        break;
      }
    }
    size_t slash = name.find_last_of('/', name.empty() ? 0 : name.size() - 2);
    std::string segment = name.size() >= 2 && name.back() == '/' && slash != std::string::npos
                              ? name.substr(slash + 1, name.size() - slash - 2)
                              : "";
    auto known = kNames.find(segment);
    name += "{" + (known == kNames.end() ? std::string("param") : known->second) + "}";
  }
  return name;
}

Result<bool> IsLoopbackHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0)
    return Status::InvalidArgument("cannot resolve --host " + host + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, freeaddrinfo);
  for (addrinfo* a = found; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      uint32_t address = ntohl(reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr.s_addr);
      if ((address >> 24) != 127) return false;
    } else if (a->ai_family == AF_INET6) {
      const in6_addr& address = reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr;
      bool v4_loopback = IN6_IS_ADDR_V4MAPPED(&address) && address.s6_addr[12] == 127;
      if (!IN6_IS_ADDR_LOOPBACK(&address) && !v4_loopback) return false;
    } else {
      return false;
    }
  }
  return true;
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace spoke::http
