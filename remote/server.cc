// The registry server: store ownership, the HTTP listener, health checks, the access log, and the
// JSON answers for errors the HTTP layer itself raises (oversize bodies, unknown routes).
#include "spoke/server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

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
  std::unique_ptr<ImportIndex> imports;
  httplib::Server http;
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
  // With the storage lock held no other process can be receiving a pack either, so every
  // quarantine is a leftover.
  std::error_code ec;
  fs::remove_all(fs::path(impl->store->path()) / "spoke-incoming", ec);
  impl->ctx.store = impl->store.get();
  // Built before the first request, then kept current as versions are published: queries never
  // walk the store.
  std::vector<Status> unreadable;
  SPOKE_ASSIGN_OR_RETURN(impl->imports, ImportIndex::Build(*impl->store, &unreadable));
  for (const auto& s : unreadable) {
    std::fprintf(stderr, "spoke-server: import index: left out %s\n", s.message().c_str());
  }
  ImportIndex* imports = impl->imports.get();
  impl->store->SetPublishListener([imports](const VersionInfo& version) { imports->Add(version.manifest); });
  impl->ctx.imports = imports;
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

  httplib::Server& http = impl->http;
  http.set_payload_max_length(options.max_body_bytes);
  http.set_read_timeout(300, 0);
  http.set_write_timeout(300, 0);
  http.set_keep_alive_max_count(1000);
  // Headers and bodies go out in separate writes; with Nagle's algorithm the body would wait for
  // the client's delayed ACK (~40 ms) on a keep-alive connection.
  http.set_tcp_nodelay(true);
  // Every CLI process keeps its connection open while it runs; httplib's default pool of about
  // eight workers would let a handful of idle clients stall everyone else.
  http.new_task_queue = [] { return new httplib::ThreadPool(64); };
  http.set_keep_alive_timeout(2);
  ServerContext& ctx = impl->ctx;

  http.Get("/health/live", [](const httplib::Request&, httplib::Response& res) {
    Json body = Json::MakeObject();
    body.Set("status", "ok");
    SendJson(res, body);
  });
  http.Get("/health/ready", [&ctx](const httplib::Request&, httplib::Response& res) {
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
  // A request with neither Content-Length nor Transfer-Encoding has an empty body (RFC 9112,
  // 6.3). cpp-httplib 0.11 reads the body of such a POST, PUT, PATCH or DELETE until the
  // connection closes instead, so `curl -X POST .../compile/cpp` waited for the read timeout and
  // got a 400. Saying so in a header, before httplib reads the body, holds for every method. The
  // Request is the server's own object; only the handler's view of it is const.
  http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  RegisterSyncRoutes(http, ctx);
  RegisterCompileRoutes(http, ctx);
  RegisterDependencyRoutes(http, ctx);
  RegisterImportRoutes(http, ctx);
  RegisterCheckRoutes(http, ctx);
  RegisterModuleRoutes(http, ctx);

  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      SendError(res, Status::TooLarge("request body is larger than this registry accepts"));
      res.status = 413;
    } else if (res.status == 404) {
      SendError(res, Status::NotFound("no route for " + req.method + " " + req.path));
    } else if (res.status == 400) {
      SendError(res, Status::InvalidArgument("malformed HTTP request"));
    } else {
      int status = res.status;
      SendError(res, Status::Internal("HTTP error " + std::to_string(status)));
      res.status = status;
    }
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unexpected error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    SendError(res, Status::Internal(what));
  });
  if (options.access_log) {
    http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::fprintf(stderr, "%s %s %d %zu\n", req.method.c_str(), req.path.c_str(), res.status, res.body.size());
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<int> Server::Bind() {
  const auto& options = impl_->ctx.options;
  int port = options.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(options.host.c_str());
    if (port < 0) return Status::IOError("cannot bind to " + options.host);
  } else if (!impl_->http.bind_to_port(options.host.c_str(), port)) {
    return Status::IOError("cannot listen on " + options.host + ":" + std::to_string(port) +
                           " (in use? pick another with -port)");
  }
  impl_->port = port;
  return port;
}

Status Server::Serve() {
  if (!impl_->http.listen_after_bind()) {
    return Status::IOError("the listener stopped unexpectedly");
  }
  return Status::Ok();
}

void Server::Stop() {
  if (impl_) impl_->http.stop();
}

}  // namespace spoke
