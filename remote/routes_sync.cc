// The sync protocol's routes (docs/protocol.md): list refs by prefix, fetch a pack, push a pack
// with ref updates.
#include "routes.h"
#include "wire.h"

namespace spoke {

void RegisterSyncRoutes(httplib::Server& http, ServerContext& ctx) {
  http.Get(wire::kRefsPath, [&ctx](const httplib::Request& req, httplib::Response& res) {
    std::string prefix = req.has_param("prefix") ? req.get_param_value("prefix") : "";
    if (!prefix.empty() && prefix.rfind("refs/", 0) != 0) {
      SendError(res, Status::InvalidArgument("ref prefix must start with refs/"));
      return;
    }
    auto refs = ctx.store->ListRefs(prefix);
    if (!refs.ok()) return SendError(res, refs.status());
    SendJson(res, wire::RefsToJson(*refs));
  });

  http.Post(wire::kFetchPath, [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto request = wire::DecodeFetchRequest(req.body);
    if (!request.ok()) return SendError(res, request.status());
    PackStats stats;
    auto pack = ctx.store->BuildPack(request->wants, request->haves, &stats);
    if (!pack.ok()) return SendError(res, pack.status());
    res.set_header("X-Spoke-Objects", std::to_string(stats.objects));
    res.set_content(std::move(*pack), wire::kPackContentType);
  });

  http.Post(wire::kPushPath, [&ctx](const httplib::Request& req, httplib::Response& res) {
    if (!AllowWrite(ctx, req, res)) return;
    size_t pack_offset = 0;
    auto updates = wire::DecodePushBody(req.body, &pack_offset);
    if (!updates.ok()) return SendError(res, updates.status());
    auto results = ctx.store->ApplyPack(req.body.substr(pack_offset), *updates, RefPolicy::kStrict);
    if (!results.ok()) return SendError(res, results.status());
    SendJson(res, wire::RefResultsToJson(*results));
  });
}

}  // namespace spoke
