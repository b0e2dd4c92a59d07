// What the route files share: the server's context and the helpers that turn Status values into
// HTTP answers (the one place where HTTP statuses are decided is http_errors.cc).
#ifndef SPOKE_REMOTE_ROUTES_H_
#define SPOKE_REMOTE_ROUTES_H_

#include "http_server.h"
#include "registry_indexes.h"

#include <string>
#include <vector>

#include "spoke/import_index.h"
#include "spoke/json.h"
#include "spoke/server.h"
#include "spoke/status.h"
#include "spoke/store.h"
#include "spoke/tokens.h"

namespace spoke {

struct ServerMetrics;
class MirrorSync;
class VersionSchemaCache;

struct ServerContext {
  Store* store = nullptr;
  // This server's own directory: the store's, or with a shared store its storage directory
  // (received bodies and scratch, such as a compile's staged files, go under spoke-incoming/).
  std::string local_dir;
  ImportIndex* imports = nullptr;  // indexes->imports()
  // Call indexes->CatchUp() before answering from an index.
  RegistryIndexes* indexes = nullptr;
  ServerOptions options;
  // The "artifacts" of a version's GET; empty: none listed (Server::SetArtifactStateSource).
  ArtifactStateSource artifact_states;
  ServerMetrics* metrics = nullptr;  // never null once the server is created
  // The tokens requests are checked against (spoke/tokens.h); auth.cc decides.
  TokenRegistry* tokens = nullptr;
  MirrorSync* mirror = nullptr;  // with ServerOptions::mirror_of
  // The parsed schemas of the versions the web UI showed last (ui_version_schema.h).
  VersionSchemaCache* schemas = nullptr;
};

// The HTTP status for a Status code.
int HttpStatusFor(const Status& status);
// Writes the JSON error body and its status.
void SendError(http::Response& res, const Status& status);
void SendJson(http::Response& res, const Json& body, int http_status = 200);
// Sends `etag` and answers 304 when the request's If-None-Match already names it. True when the
// 304 was sent and the caller must not write a body.
bool HandleETag(const http::Request& req, http::Response& res, const std::string& etag);
// The server's gate (auth.cc), asked with a route's access before any body byte is read: refuses
// writes on a read-only server (403); once any token exists, a write without a token (401, with
// WWW-Authenticate: Bearer) or with one that has no write scope (403), an admin route without
// admin (403); with --read-auth, a read without a token, except /health/*. Sets req.principal to
// the token's name. True when the request may go on.
bool AllowAccess(const ServerContext& ctx, http::Request& req, http::Access access,
                 http::Response& res);
// Whether the request may write to `module`, which its route learns from the path or the body:
// a token limited to a prefix (write:acme/) is refused (403 naming the scope) for any other
// module. Every write route calls it once it knows the module; a read route that may write (a
// download that compiles) calls it too, and then also gets the gate's read-only refusal.
bool AllowWrite(const ServerContext& ctx, const http::Request& req, const std::string& module,
                http::Response& res);
// AllowWrite for every module a push's ref updates touch; a ref of no module (an artifact's)
// needs an unlimited write scope.
bool AllowPushRefs(const ServerContext& ctx, const http::Request& req,
                   const std::vector<RefUpdate>& updates, http::Response& res);
// A route that writes: gated by AllowAccess, taking bodies up to the server's --max-body-mib.
http::RouteOptions WriteRoute(const ServerContext& ctx);
// A route that changes a module's rules (its compatibility level): needs an admin token.
http::RouteOptions AdminRoute(const ServerContext& ctx);
// A POST that only reads (a fetch's wants and haves, an import query): the default body limit.
http::RouteOptions QueryRoute();
// Seconds since the epoch as RFC 3339 UTC ("2026-11-25T03:23:39Z").
std::string FormatTime(int64_t seconds);
// A module as every REST answer describes it (docs/api.md): {"name", "description",
// "compatibility" (a level or "NONE"), "created"}.
Json ModuleToJson(const ModuleInfo& info);

// Gives `module`, which the request being answered created, the server's default compatibility
// level when it has none (ServerOptions::default_compatibility). Called once the module's first
// version is in: that version has nothing to be compared with, so no check is missed, unless a
// second version of the new module lands between the two writes.
Status ApplyDefaultCompatibility(const ServerContext& ctx, const std::string& module);

// GET /health/live and /health/ready.
void RegisterHealthRoutes(http::Server& http, ServerContext& ctx);
void RegisterModuleRoutes(http::Server& http, ServerContext& ctx);
void RegisterSyncRoutes(http::Server& http, ServerContext& ctx);
void RegisterCompileRoutes(http::Server& http, ServerContext& ctx);
void RegisterDependencyRoutes(http::Server& http, ServerContext& ctx);
void RegisterImportRoutes(http::Server& http, ServerContext& ctx);
void RegisterCheckRoutes(http::Server& http, ServerContext& ctx);
void RegisterSearchRoutes(http::Server& http, ServerContext& ctx);
// The web UI: / and /ui/... (routes_ui.cc; docs/api.md, "Web UI").
void RegisterUiRoutes(http::Server& http, ServerContext& ctx);
// POST /sync/v1/notify, and the "mirror" object of GET /health/ready (routes_mirror.cc).
void RegisterMirrorRoutes(http::Server& http, ServerContext& ctx);
Json MirrorHealthJson(const MirrorSync& mirror);

}  // namespace spoke

#endif  // SPOKE_REMOTE_ROUTES_H_
