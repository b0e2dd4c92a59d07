// The import index's routes (docs/api.md): which module versions provide a path, and the
// resolution of many import paths at once that `spoke push` asks for.
#include "routes.h"
#include "spoke/names.h"
#include "wire.h"

namespace spoke {

void RegisterImportRoutes(http::Server& http, ServerContext& ctx) {
  http.Get("/imports", [&ctx](const http::Request& req, http::Response& res) {
    if (!req.has_param("path")) {
      return SendError(res, Status::InvalidArgument("missing ?path=<file>.proto"));
    }
    std::string path = req.get_param_value("path");
    if (Status s = ValidateProtoPath(path); !s.ok()) return SendError(res, s);
    ctx.indexes->CatchUp();
    Json providers = Json::MakeArray();
    for (const auto& provider : ctx.imports->Providers(path)) {
      Json entry = Json::MakeObject();
      entry.Set("module", provider.module);
      Json versions = Json::MakeArray();
      for (const auto& v : provider.versions) versions.Push(v);
      entry.Set("versions", std::move(versions));
      providers.Push(std::move(entry));
    }
    Json body = Json::MakeObject();
    body.Set("path", path);
    body.Set("providers", std::move(providers));
    SendJson(res, body);
  });

  // A query, not a write: POST only because a push may ask about more paths than fit in a URL.
  http.Post(wire::kImportsResolvePath, QueryRoute(),
            [&ctx](const http::Request& req, http::Response& res) {
              auto paths = wire::DecodeImportQuery(req.body);
              if (!paths.ok()) return SendError(res, paths.status());
              ctx.indexes->CatchUp();
              std::vector<ImportResolution> answers;
              for (const auto& path : *paths) {
                ImportResolution answer = ctx.imports->Resolve(path);
                if (answer.outcome == ImportResolution::Outcome::kResolved) {
                  auto version = ctx.store->GetVersion(answer.pin.module, answer.pin.version);
                  if (!version.ok()) return SendError(res, version.status());
                  answer.pin.commit = version->commit_id;
                  answer.pin.digest = version->manifest.digest;
                }
                answers.push_back(std::move(answer));
              }
              SendJson(res, wire::ImportResolutionsToJson(answers));
            });
}

}  // namespace spoke
