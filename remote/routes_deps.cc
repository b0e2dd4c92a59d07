// Routes over the dependency graph: a version's dependencies (direct or transitive) and a
// module's dependents.
#include "routes.h"
#include "spoke/deps.h"
#include "spoke/refs.h"

namespace spoke {
namespace {

constexpr char kModule[] = R"(/modules/([a-z0-9][a-z0-9_/-]*))";
constexpr char kVersion[] = R"((v[0-9][^/]*|latest))";

}  // namespace

void RegisterDependencyRoutes(http::Server& http, ServerContext& ctx) {
  http.Get(std::string(kModule) + "/versions/" + kVersion + "/dependencies",
           [&ctx](const http::Request& req, http::Response& res) {
             auto version = ctx.store->GetVersion(req.matches[1], req.matches[2]);
             if (!version.ok()) return SendError(res, version.status());
             bool transitive =
                 req.has_param("transitive") && req.get_param_value("transitive") == "true";
             Json list = Json::MakeArray();
             if (!transitive) {
               for (const auto& pin : version->manifest.dependencies)
                 list.Push(DependencyPinToJson(pin));
             } else {
               auto reached = WalkDependencies(*ctx.store, version->module + "@" + version->version,
                                               version->manifest.dependencies);
               if (!reached.ok()) return SendError(res, reached.status());
               for (const auto& r : *reached) {
                 Json entry = DependencyPinToJson(r.version.Pin(r.mount));
                 entry.Set("path", r.path);
                 list.Push(std::move(entry));
               }
             }
             Json body = Json::MakeObject();
             body.Set("module", version->module);
             body.Set("version", version->version);
             body.Set("transitive", transitive);
             body.Set("dependencies", std::move(list));
             SendJson(res, body);
           });

  http.Get(std::string(kModule) + "/dependents",
           [&ctx](const http::Request& req, http::Response& res) {
             std::string module = req.matches[1];
             auto info = ctx.store->GetModule(module);
             if (!info.ok()) return SendError(res, info.status());
             // Every version's manifest names what it pins; one pass over the tags finds who pins
             // `module`.
             auto refs = ctx.store->ListRefs(kTagRefsPrefix);
             if (!refs.ok()) return SendError(res, refs.status());
             Json list = Json::MakeArray();
             for (const auto& ref : *refs) {
               std::string m, v;
               if (!ParseVersionTagRef(ref.name, &m, &v) || m == module) continue;
               auto version = ctx.store->GetVersion(m, v);
               if (!version.ok()) continue;
               for (const auto& pin : version->manifest.dependencies) {
                 if (pin.module != module) continue;
                 Json entry = Json::MakeObject();
                 entry.Set("module", m);
                 entry.Set("version", v);
                 entry.Set("depends_on", pin.version);
                 list.Push(std::move(entry));
               }
             }
             Json body = Json::MakeObject();
             body.Set("module", module);
             body.Set("dependents", std::move(list));
             SendJson(res, body);
           });
}

}  // namespace spoke
