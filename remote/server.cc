// The registry server: store ownership, the HTTP listeners (http_server.h: the API, and the health
// checks alone on --health-port), the write gate, the access log, and the JSON answers for errors
// the HTTP layer itself raises.
#include "spoke/server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "in_process_transport.h"
#include "mirror.h"
#include "mirror_notifier.h"
#include "routes.h"
#include "server_metrics.h"
#include "spoke/policy.h"
#include "spoke/sys/store_backend.h"
#include "ui_version_schema.h"
#include "wire.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

// The JSON answer for an error the HTTP layer raises itself (malformed request, no route, ...).
void RenderError(http::Response& res, const Status& error, int http_status) {
  SendError(res, error);
  res.status = http_status;
}

// The `-port` or `-health-port` flag that picks a port, named in "address in use".
Status WithPortHint(const Status& status, const char* flag) {
  if (status.message().find("address in use") == std::string::npos) return status;
  return Status(status.code(), status.message() + " (pick another with " + flag + ")");
}

}  // namespace

struct Server::Impl {
  ServerContext ctx;
  std::unique_ptr<Store> store;
  std::unique_ptr<RegistryIndexes> indexes;
  std::unique_ptr<TokenRegistry> tokens;
  // Parsed schemas for the web UI's version pages: about 20,000 files, a few hundred MB at most.
  VersionSchemaCache schemas{20000};
  std::unique_ptr<http::Server> http;
  std::unique_ptr<http::Server> health_http;  // only with ServerOptions::health_port
  ServerMetrics metrics;
  int lock_fd = -1;
  int port = 0;
  int health_port = -1;
  struct Worker {
    std::function<void()> run, stop;
  };
  std::vector<Worker> workers;
  // Last, so they stop first: their threads write to the store.
  std::unique_ptr<MirrorNotifier> notifier;  // with ServerOptions::notify
  std::unique_ptr<MirrorSync> mirror;        // with ServerOptions::mirror_of

  ~Impl() {
    if (mirror) mirror->Stop();
    if (notifier) notifier->Stop();
    if (lock_fd >= 0) close(lock_fd);
  }
};

http::Server& RegistryApi(Server& registry) { return *registry.impl_->http; }

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }
Store& Server::store() { return *impl_->store; }

namespace {

// Takes `dir`'s server lock (held while `fd` is open), so two servers never serve from it.
Status LockServerDirectory(const std::string& dir, int* fd) {
  const std::string lock_path = dir + "/spoke-server.lock";
  *fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (*fd < 0 || flock(*fd, LOCK_EX | LOCK_NB) != 0)
    return Status::Conflict("another spoke-server is already serving " + dir);
  return Status::Ok();
}

// The store shared in a database (ServerOptions::open_shared_backend), its cache in `dir`.
Result<std::unique_ptr<Store>> OpenSharedStore(const ServerOptions& options, const std::string& dir,
                                               int* lock_fd) {
  if (!options.mirror_of.empty()) {
    return Status::FailedPrecondition(
        "--mirror-of writes fetched packs into the store's files: a server on a shared store "
        "cannot be a mirror (make one on -storage-dir alone)");
  }
  // Tokens created there (`spoke-server token create` without --postgres) would be ignored: say
  // so rather than serve without them.
  std::error_code ec;
  if (fs::exists(fs::path(dir) / "spoke-tokens.json", ec)) {
    return Status::FailedPrecondition(
        dir +
        "/spoke-tokens.json is not read by a server on a shared store (each server would "
        "have its own): its tokens belong in the database (`spoke-server token create "
        "--postgres URL`); remove the file");
  }
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  // Before the cache is opened: two backends must never fill one cache directory at once.
  SPOKE_RETURN_IF_ERROR(LockServerDirectory(dir, lock_fd));
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<StoreBackend> backend,
                         options.open_shared_backend((fs::path(dir) / "pack-cache").string()));
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(std::move(backend)));
  // Pushed packs are checked here, then stored in the database with their refs.
  store->SetIncomingDirectory(dir);
  return store;
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  // The server's own files (lock, received bodies): the store's directory, or with a shared store
  // the storage directory that holds only them and the cache.
  std::string local_dir;
  if (options.open_shared_backend) {
    local_dir = fs::absolute(options.storage_dir).lexically_normal().string();
    SPOKE_ASSIGN_OR_RETURN(impl->store, OpenSharedStore(options, local_dir, &impl->lock_fd));
  } else {
    SPOKE_ASSIGN_OR_RETURN(impl->store, Store::Open(options.storage_dir, /*create=*/true));
    local_dir = impl->store->path();
    SPOKE_RETURN_IF_ERROR(LockServerDirectory(local_dir, &impl->lock_fd));
    // Lock files dead writers left would refuse writes of their refs; live writers' are kept
    // (other processes, such as a `spoke fetch` or `spoke gc` into this store, write refs too).
    // Best effort: a write that meets a dead writer's lock clears it as well.
    (void)impl->store->RemoveStaleRefLocks();
  }
  // With the storage lock held no other server can be receiving a body, so every received body
  // is a dead server's leftover. Quarantines are Store::Open's to sweep: it leaves those a live
  // process (a `spoke fetch` into this store) still holds.
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(local_dir) / "spoke-incoming", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code remove_ec;
    if (it->path().filename().string().rfind("body-", 0) == 0) fs::remove(it->path(), remove_ec);
  }
  ec.clear();
  impl->ctx.store = impl->store.get();
  // Built before the first request (the search index: while the first ones are answered), then
  // kept current with what this server publishes and what other processes write to the store.
  SPOKE_ASSIGN_OR_RETURN(impl->indexes, RegistryIndexes::Open(*impl->store));
  RegistryIndexes* indexes = impl->indexes.get();
  if (!options.notify.empty())
    impl->notifier = std::make_unique<MirrorNotifier>(options.notify, options.ca_file);
  impl->store->SetPublishListener(
      [indexes, notifier = impl->notifier.get()](const VersionInfo& version) {
        indexes->Published(version);
        if (notifier) notifier->Changed();
      });
  impl->ctx.imports = &indexes->imports();
  impl->ctx.indexes = indexes;
  // No version is published unless it compiles against the dependencies it pins (--validate
  // compile) and keeps its module's compatibility level, whatever --validate says.
  {
    Store* store = impl->store.get();
    bool validate = options.validate_compile;
    store->SetVersionCheck([store, validate](const Manifest& manifest, const FileSet& files) {
      return CheckPushedVersion(*store, manifest, files, validate);
    });
  }
  impl->ctx.options = options;
  impl->ctx.metrics = &impl->metrics;
  // A shared store's path() is "": no token file, whose copies on each server could disagree;
  // its tokens are the shared store's.
  if (options.open_shared_backend) {
    std::unique_ptr<TokenStore> shared_tokens;
    if (options.open_shared_tokens) {
      SPOKE_ASSIGN_OR_RETURN(shared_tokens, options.open_shared_tokens());
    }
    impl->tokens = std::make_unique<TokenRegistry>(std::move(shared_tokens), options.token);
  } else {
    impl->tokens = std::make_unique<TokenRegistry>(impl->store->path(), options.token);
  }
  impl->ctx.tokens = impl->tokens.get();
  impl->ctx.schemas = &impl->schemas;
  if (!options.mirror_of.empty()) impl->ctx.options.read_only = true;

  // Received bodies that are too large to hold (a push's pack) go to files beside the
  // quarantines, on the store's file system, so they can be moved rather than copied.
  const std::string body_dir = (fs::path(local_dir) / "spoke-incoming").string();
  fs::create_directories(body_dir, ec);
  if (ec) return Status::IOError("cannot create " + body_dir + ": " + ec.message());
  http::ServerLimits limits;
  limits.max_connections_per_address =
      static_cast<size_t>(std::max(1, options.max_connections_per_client));
  limits.max_connections = static_cast<size_t>(std::max(1, options.max_connections));
  limits.workers = static_cast<size_t>(std::max(1, options.workers));
  limits.head_timeout = std::chrono::milliseconds(std::max(1, options.header_timeout_ms));
  limits.body_dir = body_dir;
  impl->http = std::make_unique<http::Server>(limits);
  http::Server& http = *impl->http;
  ServerContext& ctx = impl->ctx;

  RegisterHealthRoutes(http, ctx);
  RegisterMetricsRoute(http, ctx);
  RegisterSyncRoutes(http, ctx);
  RegisterCompileRoutes(http, ctx);
  RegisterDependencyRoutes(http, ctx);
  RegisterImportRoutes(http, ctx);
  RegisterSearchRoutes(http, ctx);
  RegisterCheckRoutes(http, ctx);
  RegisterModuleRoutes(http, ctx);
  RegisterMirrorRoutes(http, ctx);
  RegisterUiRoutes(http, ctx);

  // Every route that writes is declared so, and refused here, before its body is read.
  http.SetGate([&ctx](http::Request& req, http::Access access, http::Response& res) {
    return AllowAccess(ctx, req, access, res);
  });
  http.SetErrorRenderer(RenderError);
  // Every request is counted; -q only silences the log line.
  http.SetLogger(RequestObserver(&impl->metrics, options.access_log));
  impl->metrics.registry.AddGaugeCallback(
      "spoke_http_connections_open", "Client connections open now, by listener",
      {{"listener", "api"}}, [&http] { return static_cast<double>(http.OpenConnections()); });
  if (!options.tls_cert_file.empty())
    SPOKE_RETURN_IF_ERROR(http.EnableTls(options.tls_cert_file, options.tls_key_file));
  if (options.health_port >= 0) {
    // Probes need little: one event loop, a couple of workers, fewer connections than the API.
    http::ServerLimits health_limits = limits;
    health_limits.workers = 2;
    health_limits.reactors = 1;
    health_limits.max_connections = std::min<size_t>(limits.max_connections, 256);
    impl->health_http = std::make_unique<http::Server>(health_limits);
    RegisterHealthRoutes(*impl->health_http, ctx);
    RegisterMetricsRoute(*impl->health_http, ctx);
    impl->health_http->SetErrorRenderer(RenderError);
    impl->health_http->SetLogger(RequestObserver(&impl->metrics, options.access_log));
    http::Server* health = impl->health_http.get();
    impl->metrics.registry.AddGaugeCallback(
        "spoke_http_connections_open", "Client connections open now, by listener",
        {{"listener", "health"}},
        [health] { return static_cast<double>(health->OpenConnections()); });
    if (!options.tls_cert_file.empty()) {
      SPOKE_RETURN_IF_ERROR(
          impl->health_http->EnableTls(options.tls_cert_file, options.tls_key_file));
    }
  }
  if (impl->notifier) SPOKE_RETURN_IF_ERROR(impl->notifier->Start());
  if (!options.mirror_of.empty()) {
    impl->mirror = std::make_unique<MirrorSync>(
        *impl->store,
        MirrorOptions{options.mirror_of, options.mirror_token,
                      std::chrono::milliseconds(options.sync_interval_ms), options.ca_file});
    impl->ctx.mirror = impl->mirror.get();
    MirrorSync* mirror = impl->mirror.get();
    impl->metrics.registry.AddGaugeCallback(
        "spoke_mirror_lag_seconds", "How far behind its primary this mirror may be", {},
        [mirror] { return std::chrono::duration<double>(mirror->State().lag).count(); });
    impl->metrics.registry.AddGaugeCallback(
        "spoke_mirror_last_sync_timestamp_seconds",
        "When the last successful sync with the primary began (0: none yet)", {}, [mirror] {
          return std::chrono::duration<double>(
                     mirror->State().last_successful_sync.time_since_epoch())
              .count();
        });
    SPOKE_RETURN_IF_ERROR(impl->mirror->Start().WithContext("--mirror-of"));
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<int> Server::Bind() {
  const auto& options = impl_->ctx.options;
  if (!impl_->tokens->AnyToken() && !options.read_only && !options.allow_anonymous_writes) {
    SPOKE_ASSIGN_OR_RETURN(bool loopback, http::IsLoopbackHost(options.host));
    if (!loopback) {
      return Status::FailedPrecondition("refusing to serve " + options.host +
                                        " without a token: anyone who can reach it could push. Set "
                                        "SPOKE_TOKEN or --token-file, serve --read-only, or pass "
                                        "--allow-anonymous-writes if that is meant");
    }
  }
  auto port = impl_->http->Bind(options.host, options.port);
  if (!port.ok()) return WithPortHint(port.status(), "-port");
  impl_->port = *port;
  if (impl_->health_http) {
    auto health_port = impl_->health_http->Bind(options.host, options.health_port);
    if (!health_port.ok()) return WithPortHint(health_port.status(), "-health-port");
    impl_->health_port = *health_port;
  }
  return impl_->port;
}

int Server::health_port() const { return impl_->health_port; }

void Server::SetArtifactStateSource(ArtifactStateSource source) {
  impl_->ctx.artifact_states = std::move(source);
}

void Server::AddMetricGauge(const std::string& name, const std::string& help,
                            std::function<double()> read) {
  impl_->metrics.registry.AddGaugeCallback(name, help, {}, std::move(read));
}

void Server::ObserveCompile(const std::string& language, double seconds, bool succeeded) {
  impl_->metrics.compile_durations->Observe({language, succeeded ? "ok" : "failed"}, seconds);
}

void Server::AddWorker(std::function<void()> run, std::function<void()> stop) {
  impl_->workers.push_back({std::move(run), std::move(stop)});
}

Status Server::Serve() {
  Status health_served;
  std::thread health;
  if (impl_->health_http)
    health = std::thread([this, &health_served] { health_served = impl_->health_http->Serve(); });
  std::vector<std::thread> workers;
  for (const auto& worker : impl_->workers) workers.emplace_back(worker.run);
  Status served = impl_->http->Serve();
  // Stopped before the store can close: Server's destructor comes after Serve() returns.
  for (size_t i = 0; i < workers.size(); ++i) {
    impl_->workers[i].stop();
    workers[i].join();
  }
  if (health.joinable()) {
    impl_->health_http->Stop();
    health.join();
  }
  return served.ok() ? health_served : served;
}

void Server::Stop() {
  if (!impl_) return;
  if (impl_->http) impl_->http->Stop();
  if (impl_->health_http) impl_->health_http->Stop();
}

}  // namespace spoke
