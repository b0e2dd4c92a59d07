// What the route files share: the server's context and the helpers that turn Status values into
// HTTP answers (the one place where HTTP statuses are decided is http_errors.cc).
#ifndef SPOKE_REMOTE_ROUTES_H_
#define SPOKE_REMOTE_ROUTES_H_

#include "http_server.h"
#include "registry_indexes.h"

#include <string>

#include "spoke/import_index.h"
#include "spoke/json.h"
#include "spoke/server.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

class MirrorSync;

struct ServerContext {
  Store* store = nullptr;
  ImportIndex* imports = nullptr;  // indexes->imports()
  // Call indexes->CatchUp() before answering from an index.
  RegistryIndexes* indexes = nullptr;
  ServerOptions options;
  MirrorSync* mirror = nullptr;  // with ServerOptions::mirror_of
};

// The HTTP status for a Status code.
int HttpStatusFor(const Status& status);
// Writes the JSON error body and its status.
void SendError(http::Response& res, const Status& status);
void SendJson(http::Response& res, const Json& body, int http_status = 200);
// Sends `etag` and answers 304 when the request's If-None-Match already names it. True when the
// 304 was sent and the caller must not write a body.
bool HandleETag(const http::Request& req, http::Response& res, const std::string& etag);
// Refuses writes on a read-only server or without the right token (401 without one, 403 with a
// wrong one or on a read-only server); true when the write may go on. The server calls it for
// every route declared with WriteRoute() before reading a body byte; a read route that may write
// (a download that compiles) calls it itself.
bool AllowWrite(const ServerContext& ctx, const http::Request& req, http::Response& res);
// A route that writes: gated by AllowWrite, taking bodies up to the server's --max-body-mib.
http::RouteOptions WriteRoute(const ServerContext& ctx);
// A POST that only reads (a fetch's wants and haves, an import query): the default body limit.
http::RouteOptions QueryRoute();
// Seconds since the epoch as RFC 3339 UTC ("2026-11-25T03:23:39Z").
std::string FormatTime(int64_t seconds);
// A module as every REST answer describes it (docs/api.md): {"name", "description",
// "compatibility" (a level or "NONE"), "created"}.
Json ModuleToJson(const ModuleInfo& info);

// GET /health/live and /health/ready.
void RegisterHealthRoutes(http::Server& http, ServerContext& ctx);
void RegisterModuleRoutes(http::Server& http, ServerContext& ctx);
void RegisterSyncRoutes(http::Server& http, ServerContext& ctx);
void RegisterCompileRoutes(http::Server& http, ServerContext& ctx);
void RegisterDependencyRoutes(http::Server& http, ServerContext& ctx);
void RegisterImportRoutes(http::Server& http, ServerContext& ctx);
void RegisterCheckRoutes(http::Server& http, ServerContext& ctx);
void RegisterSearchRoutes(http::Server& http, ServerContext& ctx);
// POST /sync/v1/notify, and the "mirror" object of GET /health/ready (routes_mirror.cc).
void RegisterMirrorRoutes(http::Server& http, ServerContext& ctx);
Json MirrorHealthJson(const MirrorSync& mirror);

}  // namespace spoke

#endif  // SPOKE_REMOTE_ROUTES_H_
