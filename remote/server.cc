// The registry server: store ownership, the HTTP listener (http_server.h), health checks, the
// write gate, the access log, and the JSON answers for errors the HTTP layer itself raises.
#include "spoke/server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "routes.h"
#include "spoke/policy.h"
#include "wire.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

// Ref lock files are only left behind by a writer that died; with the storage lock held we are the
// only writer, so they are safe to remove.
void RemoveStaleRefLocks(const std::string& store_path) {
  std::error_code ec;
  fs::path refs = fs::path(store_path) / "refs";
  for (auto it = fs::recursive_directory_iterator(refs, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".lock") fs::remove(it->path(), ec);
  }
  fs::remove(fs::path(store_path) / "packed-refs.lock", ec);
}

}  // namespace

struct Server::Impl {
  ServerContext ctx;
  std::unique_ptr<Store> store;
  std::unique_ptr<RegistryIndexes> indexes;
  std::unique_ptr<http::Server> http;
  int lock_fd = -1;
  int port = 0;

  ~Impl() {
    if (lock_fd >= 0) close(lock_fd);
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }
Store& Server::store() { return *impl_->store; }

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  SPOKE_ASSIGN_OR_RETURN(impl->store, Store::Open(options.storage_dir, /*create=*/true));
  std::string lock_path = impl->store->path() + "/spoke-server.lock";
  impl->lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (impl->lock_fd < 0 || flock(impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Status::Conflict("another spoke-server is already serving " + impl->store->path());
  }
  RemoveStaleRefLocks(impl->store->path());
  // With the storage lock held no other server can be receiving a body, so every received body
  // is a dead server's leftover. Quarantines are Store::Open's to sweep: it leaves those a live
  // process (a `spoke fetch` into this store) still holds.
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(impl->store->path()) / "spoke-incoming", ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code remove_ec;
    if (it->path().filename().string().rfind("body-", 0) == 0) fs::remove(it->path(), remove_ec);
  }
  ec.clear();
  impl->ctx.store = impl->store.get();
  // Built before the first request (the search index: while the first ones are answered), then
  // kept current with what this server publishes and what other processes write to the store.
  SPOKE_ASSIGN_OR_RETURN(impl->indexes, RegistryIndexes::Open(*impl->store));
  RegistryIndexes* indexes = impl->indexes.get();
  impl->store->SetPublishListener([indexes](const VersionInfo& version) { indexes->Published(version); });
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

  // Received bodies that are too large to hold (a push's pack) go to files beside the
  // quarantines, on the store's file system, so they can be moved rather than copied.
  const std::string body_dir = (fs::path(impl->store->path()) / "spoke-incoming").string();
  fs::create_directories(body_dir, ec);
  if (ec) return Status::IOError("cannot create " + body_dir + ": " + ec.message());
  http::ServerLimits limits;
  limits.max_connections_per_address = static_cast<size_t>(std::max(1, options.max_connections_per_client));
  limits.max_connections = static_cast<size_t>(std::max(1, options.max_connections));
  limits.workers = static_cast<size_t>(std::max(1, options.workers));
  limits.head_timeout = std::chrono::milliseconds(std::max(1, options.header_timeout_ms));
  limits.body_dir = body_dir;
  impl->http = std::make_unique<http::Server>(limits);
  http::Server& http = *impl->http;
  ServerContext& ctx = impl->ctx;

  http.Get("/health/live", [](const http::Request&, http::Response& res) {
    Json body = Json::MakeObject();
    body.Set("status", "ok");
    SendJson(res, body);
  });
  http.Get("/health/ready", [&ctx](const http::Request&, http::Response& res) {
    auto refs = ctx.store->ListRefs("refs/heads/");
    Json body = Json::MakeObject();
    if (!refs.ok()) {
      body.Set("status", "unavailable");
      body.Set("error", refs.status().message());
      SendJson(res, body, 503);
      return;
    }
    body.Set("status", "ok");
    body.Set("storage", ctx.store->path());
    body.Set("read_only", ctx.options.read_only);
    SendJson(res, body);
  });
  RegisterSyncRoutes(http, ctx);
  RegisterCompileRoutes(http, ctx);
  RegisterDependencyRoutes(http, ctx);
  RegisterImportRoutes(http, ctx);
  RegisterSearchRoutes(http, ctx);
  RegisterCheckRoutes(http, ctx);
  RegisterModuleRoutes(http, ctx);

  // Every route that writes is declared so, and refused here, before its body is read.
  http.SetGate([&ctx](const http::Request& req, http::Access access, http::Response& res) {
    return access == http::Access::kRead || AllowWrite(ctx, req, res);
  });
  http.SetErrorRenderer([](http::Response& res, const Status& error, int http_status) {
    SendError(res, error);
    res.status = http_status;
  });
  if (options.access_log) {
    http.SetLogger([](const http::Request& req, const http::Response& res) {
      std::fprintf(stderr, "%s %s %d %zu\n", req.method.c_str(), req.path.c_str(), res.status, res.body.size());
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<int> Server::Bind() {
  const auto& options = impl_->ctx.options;
  if (options.token.empty() && !options.read_only && !options.allow_anonymous_writes) {
    SPOKE_ASSIGN_OR_RETURN(bool loopback, http::IsLoopbackHost(options.host));
    if (!loopback) {
      return Status::FailedPrecondition(
          "refusing to serve " + options.host + " without a token: anyone who can reach it could push. Set "
          "SPOKE_TOKEN or --token-file, serve --read-only, or pass --allow-anonymous-writes if that is meant");
    }
  }
  SPOKE_ASSIGN_OR_RETURN(impl_->port, impl_->http->Bind(options.host, options.port));
  return impl_->port;
}

Status Server::Serve() { return impl_->http->Serve(); }

void Server::Stop() {
  if (impl_ && impl_->http) impl_->http->Stop();
}

}  // namespace spoke
