// The health checks (docs/api.md#health): served on the main listener, and alone on the health
// listener when --health-port asks for one.
#include "routes.h"
#include "spoke/refs.h"

namespace spoke {

void RegisterHealthRoutes(http::Server& http, ServerContext& ctx) {
  // Liveness is asked often and costs nothing: the reactor answers it (http_server.h).
  http::RouteOptions quick;
  quick.quick = true;
  http.Route("GET", "/health/live", quick, [](const http::Request&, http::Response& res) {
    Json body = Json::MakeObject();
    body.Set("status", "ok");
    SendJson(res, body);
  });
  http.Get("/health/ready", [&ctx](const http::Request&, http::Response& res) {
    auto refs = ctx.store->ListRefs(kBranchRefsPrefix);
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
    // A mirror whose primary is down still serves everything it holds, so it stays ready; the
    // object says how stale it may be.
    if (ctx.mirror) body.Set("mirror", MirrorHealthJson(*ctx.mirror));
    SendJson(res, body);
  });
}

}  // namespace spoke
