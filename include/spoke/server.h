// Server: the registry over HTTP. One Store, the REST API (JSON), the sync protocol and health
// checks. docs/api.md and docs/protocol.md describe every route.
//
// Usage: Create() opens (or creates) the store and takes the storage directory's lock, so two
// servers never share one store on files (several share one in PostgreSQL, each with a storage
// directory of its own: ServerOptions::open_shared_backend); Bind() picks the port (0 = any free
// one) and returns it; Serve() blocks until Stop() is called from another thread or a signal
// handler.
#ifndef SPOKE_SERVER_H_
#define SPOKE_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spoke/status.h"
#include "spoke/store.h"
#include "spoke/tokens.h"

namespace spoke {

struct ServerOptions {
  // Loopback only unless told otherwise: a registry is exposed on purpose, never by default.
  std::string host = "127.0.0.1";
  int port = 8080;
  // A second listener on `host` that serves only the health checks (the original Spoke served
  // them on 9090), for probes that must not reach the API: -1 none, 0 any free port.
  int health_port = -1;
  std::string storage_dir = "spoke-data";
  // A store shared with other servers instead of the one at storage_dir (spoke-server --postgres,
  // spoke/sys/postgres_backend.h; the program opens it, so this library does not link libpq).
  // When set, Create() takes storage_dir's lock, then calls it with this server's cache directory,
  // <storage_dir>/pack-cache; storage_dir keeps only files of this server (its lock, received
  // bodies, that cache). What would need the shared store's files is refused: a mirror, a
  // token file left there (tokens are the shared store's: open_shared_tokens), compiling on the
  // server (docs/storage.md, "Serving from PostgreSQL").
  std::function<Result<std::unique_ptr<StoreBackend>>(const std::string& cache_dir)>
      open_shared_backend;
  // With open_shared_backend: where the shared store's tokens are (spoke/sys/postgres_tokens.h),
  // opened by Create(); when empty, the legacy `token` is the only one.
  std::function<Result<std::unique_ptr<TokenStore>>()> open_shared_tokens;
  // Largest request body accepted (a push's pack, a REST version upload); larger ones get 413.
  size_t max_body_bytes = size_t{1} << 30;
  // When not empty, an admin token (besides those of <store>/spoke-tokens.json): once any token
  // exists, every write needs "Authorization: Bearer <token>".
  std::string token;
  // Bind() refuses a non-loopback host when no token is set and the server is writable, unless
  // this says anonymous writes are really wanted.
  bool allow_anonymous_writes = false;
  // A read-only mirror: every write is refused with 403.
  bool read_only = false;
  // One line per request on stderr.
  bool access_log = true;
  // Refuse any new version that does not compile against the dependencies it pins (deps.h).
  // Off only for registries that take whatever is pushed, like a plain git remote.
  bool validate_compile = true;
  // Connections: how many one client address may hold, how many in all, how many requests are
  // served at once, and how long a request's head may take to arrive from its first byte.
  int max_connections_per_client = 128;
  int max_connections = 4096;
  int workers = 32;
  int header_timeout_ms = 10000;
  // Observability and policy (issue 17): the level a new module gets when its creator names none
  // (ParseCompatibility's spelling, "" for NONE, which must then be chosen explicitly).
  std::string default_compatibility = "WIRE_JSON";
  // Scoped tokens and TLS (spoke/tokens.h; docs/api.md "Authentication"): with read_auth every
  // read but /health/* needs a token with the read scope; with a certificate and its key (PEM
  // files) both listeners serve HTTPS only.
  bool read_auth = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Mirrors that follow (docs/api.md#mirrors). A mirror copies the registry at `mirror_of` (which
  // makes it read-only) at start, every `sync_interval_ms` and when notified, sending
  // `mirror_token` there when set; a primary sends a change notice to every URL in `notify`.
  std::string mirror_of;
  int sync_interval_ms = 30000;
  std::string mirror_token;
  std::vector<std::string> notify;
  // A private CA's certificates (PEM) for the https URLs above; empty: the system's CAs.
  std::string ca_file;
};

// Where one language's generated code for a version stands, as GET /modules/{m}/versions/{v}
// lists it under "artifacts" (docs/api.md).
struct ArtifactState {
  std::string language;
  std::string status;        // "ready", "pending" or "failed"
  std::string message;       // failed: why
  int attempts = 0;          // failed: failed attempts so far
  int64_t last_attempt = 0;  // failed: seconds since the epoch
  int64_t next_attempt = 0;  // failed: not tried again before this (seconds since the epoch)
};
// The artifact states of a version, in a fixed order (the answer's ETag covers them). An error is
// answered as the route's error.
using ArtifactStateSource = std::function<Result<std::vector<ArtifactState>>(const VersionInfo&)>;

namespace http {
class Server;
}  // namespace http

class Server {
 public:
  static Result<std::unique_ptr<Server>> Create(const ServerOptions& options);
  ~Server();

  // Binds the listening socket, and the health listener's when ServerOptions::health_port asks
  // for one; returns the main port (useful with port 0). IOError "address in use" when another
  // listener has a port; FailedPrecondition for a non-loopback host on a writable server without
  // a token (see ServerOptions::allow_anonymous_writes).
  Result<int> Bind();
  // The health listener's port once Bind() succeeded; -1 when there is none.
  int health_port() const;
  // Serves both listeners until Stop(). REQUIRES: Bind() succeeded.
  Status Serve();
  // Safe from any thread.
  void Stop();

  // What a version's GET lists under "artifacts"; without one, nothing is listed. The registry
  // itself does not know how artifacts are compiled (Sprocket, spoke/sprocket.h, does: the
  // program wires them). REQUIRES: called before Serve().
  void SetArtifactStateSource(ArtifactStateSource source);
  // A background job that runs while Serve() serves (Sprocket inside the registry): `run` is
  // started on its own thread when Serve() starts; when serving ends, `stop` is called and the
  // thread joined before Serve() returns, so the job never outlives the store. `stop` must make
  // `run` return and is called from the thread that called Serve(). REQUIRES: before Serve().
  void AddWorker(std::function<void()> run, std::function<void()> stop);
  // Metrics of the parts the program runs around the registry (docs/api.md "Metrics"): a gauge
  // whose thread-safe `read` is called at each scrape (Sprocket's queue depth, a mirror's lag),
  // and the duration of one compile by language. REQUIRES (AddMetricGauge): before Serve().
  void AddMetricGauge(const std::string& name, const std::string& help,
                      std::function<double()> read);
  void ObserveCompile(const std::string& language, double seconds, bool succeeded);

  Store& store();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  struct Impl;

 private:
  // An in-process transport's way to the API routes (remote/in_process_transport.h).
  friend http::Server& RegistryApi(Server& registry);
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spoke

#endif  // SPOKE_SERVER_H_
