// The REST routes of the schema checks (docs/api.md): a module's compatibility policy, and the
// diff between two versions (breaking-change findings and changed files).
#include "routes.h"
#include "spoke/policy.h"

namespace spoke {
namespace {

constexpr char kModule[] = R"(([a-z0-9][a-z0-9_/-]*))";
constexpr char kVersion[] = R"((v[0-9][^/]*|latest))";

std::string Route(const std::string& tail) { return std::string("/modules/") + kModule + tail; }

Json ChangeToJson(const FileChange& change, bool with_patch) {
  Json out = Json::MakeObject();
  out.Set("path", change.path);
  out.Set("status", change.status);
  if (with_patch) out.Set("patch", change.patch);
  return out;
}

}  // namespace

void RegisterCheckRoutes(http::Server& http, ServerContext& ctx) {
  http.Put(Route("/compatibility"), AdminRoute(ctx),
           [&ctx](const http::Request& req, http::Response& res) {
             auto body = Json::Parse(req.body);
             if (!body.ok() || !body->is_object() || !body->Get("compatibility") ||
                 !body->Get("compatibility")->is_string()) {
               return SendError(
                   res,
                   Status::InvalidArgument(
                       "body must be {\"compatibility\": \"FILE|PACKAGE|WIRE_JSON|WIRE|NONE\"}"));
             }
             auto level = ParseCompatibility(body->GetString("compatibility"));
             if (!level.ok()) return SendError(res, level.status());
             auto info = ctx.store->SetModuleCompatibility(req.matches[1], *level);
             if (!info.ok()) return SendError(res, info.status());
             SendJson(res, ModuleToJson(*info));
           });

  http.Get(Route("/versions/") + kVersion + "/diff/" + kVersion, [&ctx](const http::Request& req,
                                                                        http::Response& res) {
    std::string module = req.matches[1];
    auto info = ctx.store->GetModule(module);
    if (!info.ok()) return SendError(res, info.status());
    auto from = ctx.store->GetVersion(module, req.matches[2]);
    if (!from.ok()) return SendError(res, from.status());
    auto to = ctx.store->GetVersion(module, req.matches[3]);
    if (!to.ok()) return SendError(res, to.status());
    // The module's own level by default, else the strictest.
    std::string level_name = req.has_param("level")
                                 ? req.get_param_value("level")
                                 : (info->compatibility.empty() ? "FILE" : info->compatibility);
    auto level = ParseBreakingLevel(level_name);
    if (!level.ok()) return SendError(res, level.status());
    bool with_patch = !req.has_param("patch") || req.get_param_value("patch") != "false";
    auto changes = ctx.store->DiffVersions(*from, *to, with_patch);
    if (!changes.ok()) return SendError(res, changes.status());
    auto findings = CompareVersions(*ctx.store, *from, *to, *level);
    if (!findings.ok()) {
      // A stored version that does not compile (pushed to a --validate none registry)
      // cannot be compared; that is the data's state, not a bad request. Any other failure (the
      // store's) keeps its code.
      if (findings.status().code() != Status::Code::kInvalidArgument)
        return SendError(res, findings.status());
      return SendError(res, Status::FailedPrecondition(findings.status().message()));
    }
    Json answer = Json::MakeObject();
    answer.Set("module", module);
    answer.Set("from", from->version);
    answer.Set("to", to->version);
    answer.Set("level", BreakingLevelName(*level));
    answer.Set("breaking", !findings->empty());
    answer.Set("findings", FindingsToJson(*findings));
    Json files = Json::MakeArray();
    int64_t added = 0, removed = 0, modified = 0;
    for (const auto& change : *changes) {
      added += change.status == "added";
      removed += change.status == "removed";
      modified += change.status == "modified";
      files.Push(ChangeToJson(change, with_patch));
    }
    Json summary = Json::MakeObject();
    summary.Set("added", added);
    summary.Set("removed", removed);
    summary.Set("modified", modified);
    summary.Set("unchanged", static_cast<int64_t>(to->manifest.files.size()) - added - modified);
    answer.Set("summary", std::move(summary));
    answer.Set("files", std::move(files));
    SendJson(res, answer);
  });
}

}  // namespace spoke
