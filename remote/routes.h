// What the route files share: the server's context and the helpers that turn Status values into
// HTTP answers (the one place where HTTP statuses are decided is http_errors.cc).
#ifndef SPOKE_REMOTE_ROUTES_H_
#define SPOKE_REMOTE_ROUTES_H_

#include <httplib.h>

#include <string>

#include "spoke/import_index.h"
#include "spoke/json.h"
#include "spoke/server.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

struct ServerContext {
  Store* store = nullptr;
  ImportIndex* imports = nullptr;  // kept current by the store's publish listener
  ServerOptions options;
};

// The HTTP status for a Status code.
int HttpStatusFor(const Status& status);
// Writes the JSON error body and its status.
void SendError(httplib::Response& res, const Status& status);
void SendJson(httplib::Response& res, const Json& body, int http_status = 200);
// Sends `etag` and answers 304 when the request's If-None-Match already names it. True when the
// 304 was sent and the caller must not write a body.
bool HandleETag(const httplib::Request& req, httplib::Response& res, const std::string& etag);
// Refuses writes on a read-only server or without the right token; true when the write may go on.
bool AllowWrite(const ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
// Seconds since the epoch as RFC 3339 UTC ("2026-11-25T03:23:39Z").
std::string FormatTime(int64_t seconds);

void RegisterModuleRoutes(httplib::Server& http, ServerContext& ctx);
void RegisterSyncRoutes(httplib::Server& http, ServerContext& ctx);
void RegisterCompileRoutes(httplib::Server& http, ServerContext& ctx);
void RegisterDependencyRoutes(httplib::Server& http, ServerContext& ctx);
void RegisterImportRoutes(httplib::Server& http, ServerContext& ctx);
void RegisterCheckRoutes(httplib::Server& http, ServerContext& ctx);

}  // namespace spoke

#endif  // SPOKE_REMOTE_ROUTES_H_
