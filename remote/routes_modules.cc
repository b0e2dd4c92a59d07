// The REST API over modules and versions (docs/api.md): the original Spoke's routes, JSON in and
// out, ETags on everything content-addressed.
#include <map>

#include "routes.h"
#include "spoke/names.h"
#include "spoke/policy.h"
#include "spoke/semver.h"

namespace spoke {
namespace {

// Module names contain '/', versions always start with v<digit> (or are "latest"), so these
// patterns split a path unambiguously.
constexpr char kModule[] = R"(([a-z0-9][a-z0-9_/-]*))";
constexpr char kVersion[] = R"((v[0-9][^/]*|latest))";

std::string Route(const std::string& tail) { return std::string("/modules/") + kModule + tail; }

Json VersionToJson(const VersionInfo& v) {
  Json body = Json::MakeObject();
  body.Set("module", v.module);
  body.Set("version", v.version);
  body.Set("description", v.manifest.description);
  body.Set("digest", v.manifest.digest);
  body.Set("created", FormatTime(v.created));
  body.Set("commit", v.commit_id);
  body.Set("tag", v.tag_id);
  Json files = Json::MakeArray();
  for (const auto& f : v.manifest.files) {
    Json entry = Json::MakeObject();
    entry.Set("path", f.path);
    entry.Set("sha256", f.sha256);
    entry.Set("size", f.size);
    files.Push(std::move(entry));
  }
  body.Set("files", std::move(files));
  body.Set("dependencies", v.manifest.ToJson().Get("dependencies") ? *v.manifest.ToJson().Get("dependencies")
                                                                   : Json::MakeArray());
  body.Set("manifest", v.manifest.ToJson());
  return body;
}

Result<Json> ParseBody(const http::Request& req) {
  auto json = Json::Parse(req.body);
  if (!json.ok()) return json.status();
  if (!json->is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return json;
}

// Reads {"version", "description", "files": [{"path", "content"}], "dependencies": [...]}.
Result<NewVersion> ParseNewVersion(const ServerContext& ctx, const std::string& module, const Json& body) {
  NewVersion request;
  request.module = module;
  request.version = body.GetString("version");
  request.description = body.GetString("description");
  if (request.version.empty()) return Status::InvalidArgument("missing \"version\"");
  const Json* files = body.Get("files");
  if (!files || !files->is_array()) return Status::InvalidArgument("missing \"files\": [{\"path\", \"content\"}]");
  for (const Json& file : files->as_array()) {
    std::string path = file.GetString("path");
    SPOKE_RETURN_IF_ERROR(ValidateProtoPath(path));
    const Json* content = file.Get("content");
    if (!content || !content->is_string()) return Status::InvalidArgument("file " + path + " has no \"content\" string");
    if (!request.files.emplace(path, content->as_string()).second) {
      return Status::InvalidArgument("file " + path + " is listed twice");
    }
  }
  if (const Json* deps = body.Get("dependencies"); deps && deps->is_array()) {
    for (const Json& dep : deps->as_array()) {
      std::string dep_module = dep.GetString("module"), dep_version = dep.GetString("version");
      SPOKE_RETURN_IF_ERROR(ValidateModuleName(dep_module));
      auto pinned = ctx.store->GetVersion(dep_module, dep_version.empty() ? "latest" : dep_version);
      if (!pinned.ok()) return pinned.status().WithContext("dependency " + dep_module + "@" + dep_version);
      request.dependencies.push_back({dep_module, pinned->version, pinned->commit_id, pinned->manifest.digest});
    }
  }
  return request;
}

// A version upload may carry "compatibility": it sets the level of a module it creates, and must
// agree with the level of one that exists (changing a level is PUT /modules/{name}/compatibility).
Status ApplyCompatibilityOnFirstPush(const ServerContext& ctx, const NewVersion& request, const Json& body) {
  if (!body.Get("compatibility")) return Status::Ok();
  SPOKE_ASSIGN_OR_RETURN(std::string wanted, ParseCompatibility(body.GetString("compatibility")));
  auto info = ctx.store->GetModule(request.module);
  if (info.status().code() == Status::Code::kNotFound) {
    auto created = ctx.store->CreateModule(request.module, request.description, wanted);
    // Another upload may have created it meanwhile; its level is then checked below.
    if (created.ok() || created.status().code() != Status::Code::kAlreadyExists) return created.status();
    info = ctx.store->GetModule(request.module);
  }
  if (!info.ok()) return info.status();
  if (info->compatibility != wanted) {
    return Status::FailedPrecondition("module " + request.module + " has compatibility " +
                                      (info->compatibility.empty() ? "NONE" : info->compatibility) +
                                      "; change it with PUT /modules/" + request.module + "/compatibility");
  }
  return Status::Ok();
}

}  // namespace

void RegisterModuleRoutes(http::Server& http, ServerContext& ctx) {
  http.Get(Route(R"(/versions/)") + kVersion + R"(/files/(.+))",
           [&ctx](const http::Request& req, http::Response& res) {
             auto version = ctx.store->GetVersion(req.matches[1], req.matches[2]);
             if (!version.ok()) return SendError(res, version.status());
             auto file = ctx.store->ReadFile(*version, req.matches[3]);
             if (!file.ok()) return SendError(res, file.status());
             if (HandleETag(req, res, file->second)) return;
             res.set_content(std::move(file->first), "text/plain; charset=utf-8");
           });

  http.Get(Route(R"(/versions/)") + kVersion, [&ctx](const http::Request& req, http::Response& res) {
    auto version = ctx.store->GetVersion(req.matches[1], req.matches[2]);
    if (!version.ok()) return SendError(res, version.status());
    if (HandleETag(req, res, version->tag_id)) return;
    SendJson(res, VersionToJson(*version));
  });

  http.Get(Route("/versions"), [&ctx](const http::Request& req, http::Response& res) {
    std::string module = req.matches[1];
    auto info = ctx.store->GetModule(module);
    if (!info.ok()) return SendError(res, info.status());
    auto log = ctx.store->Log(module);
    if (!log.ok()) return SendError(res, log.status());
    std::map<std::string, const VersionInfo*> by_name;
    for (const auto& v : *log) by_name[v.version] = &v;
    auto names = ctx.store->ListVersions(module);
    if (!names.ok()) return SendError(res, names.status());
    Json list = Json::MakeArray();
    for (const auto& name : *names) {
      Json entry = Json::MakeObject();
      entry.Set("version", name);
      if (auto it = by_name.find(name); it != by_name.end()) {
        entry.Set("digest", it->second->manifest.digest);
        entry.Set("created", FormatTime(it->second->created));
        entry.Set("description", it->second->manifest.description);
      }
      list.Push(std::move(entry));
    }
    Json body = Json::MakeObject();
    body.Set("module", module);
    if (auto latest = HighestRelease(*names)) body.Set("latest", *latest);
    body.Set("versions", std::move(list));
    SendJson(res, body);
  });

  http.Post(Route("/versions"), WriteRoute(ctx), [&ctx](const http::Request& req, http::Response& res) {
    auto body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    auto request = ParseNewVersion(ctx, req.matches[1], *body);
    if (!request.ok()) return SendError(res, request.status());
    if (Status s = ApplyCompatibilityOnFirstPush(ctx, *request, *body); !s.ok()) return SendError(res, s);
    auto put = ctx.store->PutVersion(*request);
    if (!put.ok()) return SendError(res, put.status());
    Json answer = VersionToJson(put->version);
    answer.Set("created_now", put->created);
    SendJson(res, answer, put->created ? 201 : 200);
  });

  http.Get(Route(""), [&ctx](const http::Request& req, http::Response& res) {
    std::string module = req.matches[1];
    auto info = ctx.store->GetModule(module);
    if (!info.ok()) return SendError(res, info.status());
    auto names = ctx.store->ListVersions(module);
    if (!names.ok()) return SendError(res, names.status());
    Json body = Json::MakeObject();
    body.Set("name", info->name);
    body.Set("description", info->description);
    body.Set("compatibility", info->compatibility.empty() ? "NONE" : info->compatibility);
    body.Set("created", FormatTime(info->created));
    Json versions = Json::MakeArray();
    for (const auto& v : *names) versions.Push(v);
    body.Set("versions", std::move(versions));
    if (auto latest = HighestRelease(*names)) body.Set("latest", *latest);
    SendJson(res, body);
  });

  http.Get("/modules", [&ctx](const http::Request&, http::Response& res) {
    // One pass over all refs instead of one query per module.
    auto refs = ctx.store->ListRefs("refs/");
    if (!refs.ok()) return SendError(res, refs.status());
    std::map<std::string, std::vector<std::string>> modules;
    for (const auto& ref : *refs) {
      std::string module, version;
      if (ParseModuleBranchRef(ref.name, &module)) modules[module];
      if (ParseVersionTagRef(ref.name, &module, &version)) modules[module].push_back(version);
    }
    Json list = Json::MakeArray();
    for (auto& [name, versions] : modules) {
      SortVersions(&versions);
      Json entry = Json::MakeObject();
      entry.Set("name", name);
      entry.Set("versions", static_cast<int64_t>(versions.size()));
      if (auto latest = HighestRelease(versions)) entry.Set("latest", *latest);
      list.Push(std::move(entry));
    }
    Json body = Json::MakeObject();
    body.Set("modules", std::move(list));
    SendJson(res, body);
  });

  http.Post("/modules", WriteRoute(ctx), [&ctx](const http::Request& req, http::Response& res) {
    auto body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    auto compatibility = ParseCompatibility(body->GetString("compatibility"));
    if (!compatibility.ok()) return SendError(res, compatibility.status());
    auto info = ctx.store->CreateModule(body->GetString("name"), body->GetString("description"), *compatibility);
    if (!info.ok()) return SendError(res, info.status());
    Json answer = Json::MakeObject();
    answer.Set("name", info->name);
    answer.Set("description", info->description);
    answer.Set("compatibility", info->compatibility.empty() ? "NONE" : info->compatibility);
    answer.Set("created", FormatTime(info->created));
    SendJson(res, answer, 201);
  });
}

}  // namespace spoke
