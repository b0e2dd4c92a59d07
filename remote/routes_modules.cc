// The REST API over modules and versions (docs/api.md): the original Spoke's routes, JSON in and
// out, ETags on everything content-addressed.
#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>
#include <string_view>

#include "routes.h"
#include "spoke/deps.h"
#include "spoke/digest.h"
#include "spoke/names.h"
#include "spoke/policy.h"
#include "spoke/refs.h"
#include "spoke/semver.h"

namespace spoke {
namespace {

// Module names contain '/', versions always start with v<digit> (or are "latest"), so these
// patterns split a path unambiguously.
constexpr char kModule[] = R"(([a-z0-9][a-z0-9_/-]*))";
constexpr char kVersion[] = R"((v[0-9][^/]*|latest))";

std::string Route(const std::string& tail) { return std::string("/modules/") + kModule + tail; }

// `contents`, when given, holds each file's text by path: the answer then carries it in every
// file entry (?include=content).
Json VersionToJson(const VersionInfo& v, const FileSet* contents = nullptr) {
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
    if (contents) {
      auto it = contents->find(f.path);
      if (it != contents->end()) entry.Set("content", it->second);
    }
    files.Push(std::move(entry));
  }
  body.Set("files", std::move(files));
  body.Set("dependencies", v.manifest.ToJson().Get("dependencies")
                               ? *v.manifest.ToJson().Get("dependencies")
                               : Json::MakeArray());
  body.Set("manifest", v.manifest.ToJson());
  return body;
}

// The "artifacts" list of a version's answer (docs/api.md).
Json ArtifactStatesToJson(const std::vector<ArtifactState>& states) {
  Json list = Json::MakeArray();
  for (const ArtifactState& state : states) {
    Json entry = Json::MakeObject();
    entry.Set("language", state.language);
    entry.Set("status", state.status);
    if (state.status == "failed") {
      entry.Set("message", state.message);
      entry.Set("attempts", state.attempts);
      if (state.last_attempt) entry.Set("last_attempt", FormatTime(state.last_attempt));
      if (state.next_attempt) entry.Set("next_attempt", FormatTime(state.next_attempt));
    }
    list.Push(std::move(entry));
  }
  return list;
}

// `text` without surrounding blanks, lower-cased (media types and their parameter names are
// case-insensitive).
std::string TrimLower(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t"), end = text.find_last_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  std::string out(text.substr(begin, end - begin + 1));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Whether an Accept header names application/json with a weight above 0 ("application/json;q=0"
// says the client will not take it). Wildcards do not count: */* is what curl sends.
bool AcceptNamesJson(std::string_view accept) {
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    size_t semicolon = range.find(';');
    if (TrimLower(range.substr(0, semicolon)) != "application/json") continue;
    double weight = 1;
    while (semicolon != std::string_view::npos) {
      std::string_view rest = range.substr(semicolon + 1);
      semicolon = rest.find(';');
      std::string param = TrimLower(rest.substr(0, semicolon));
      if (param.rfind("q=", 0) == 0) weight = std::strtod(param.c_str() + 2, nullptr);
      range = rest;
    }
    if (weight > 0) return true;
  }
  return false;
}

// Whether the client asked for a file as the original Spoke's JSON ({"path", "content"}) rather
// than its bytes: ?format=json, or an Accept header naming application/json. ?format=raw asks for
// the bytes whatever Accept says; any other format is InvalidArgument.
Result<bool> WantsFileAsJson(const http::Request& req) {
  if (!req.has_param("format")) return AcceptNamesJson(req.get_header_value("Accept"));
  const std::string format = req.get_param_value("format");
  if (format == "json") return true;
  if (format == "raw") return false;
  return Status::InvalidArgument("unknown format \"" + format + "\" for a file: json or raw");
}

Result<Json> ParseBody(const http::Request& req) {
  auto json = Json::Parse(req.body);
  if (!json.ok()) return json.status();
  if (!json->is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return json;
}

struct DependencyEntry {
  std::string module;
  std::string version;  // an exact version or "latest"
};

// One entry of a version upload's "dependencies": the original Spoke's "common@v1.0.1", or
// {"module": "common", "version": "v1.0.1"} (no version: latest). InvalidArgument naming the entry
// (its index, and its text for a string) when it is neither, or its module or version is malformed.
Result<DependencyEntry> ParseDependencyEntry(const Json& dep, size_t index) {
  std::string where = "dependencies[" + std::to_string(index) + "]";
  DependencyEntry entry;
  if (dep.is_string()) {
    const std::string& text = dep.as_string();
    where += " \"" + text + "\"";
    const size_t at = text.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == text.size()) {
      return Status::InvalidArgument(where + " must be \"module@version\", like \"common@v1.0.1\"");
    }
    entry.module = text.substr(0, at);
    entry.version = text.substr(at + 1);
  } else if (dep.is_object()) {
    entry.module = dep.GetString("module");
    entry.version = dep.GetString("version");
    if (entry.version.empty()) entry.version = "latest";
  } else {
    return Status::InvalidArgument(
        where + " must be a \"module@version\" string or a {\"module\", \"version\"} object");
  }
  SPOKE_RETURN_IF_ERROR(ValidateModuleName(entry.module).WithContext(where));
  if (entry.version != "latest") {
    auto version = SemVer::Parse(entry.version);
    if (!version.ok()) return version.status().WithContext(where);
  }
  return entry;
}

// Reads {"version", "description", "files": [{"path", "content"}], "dependencies": [...]}
// (see ParseDependencyEntry for the dependencies' two spellings).
Result<NewVersion> ParseNewVersion(const ServerContext& ctx, const std::string& module,
                                   const Json& body) {
  NewVersion request;
  request.module = module;
  request.version = body.GetString("version");
  request.description = body.GetString("description");
  if (request.version.empty()) return Status::InvalidArgument("missing \"version\"");
  const Json* files = body.Get("files");
  if (!files || !files->is_array())
    return Status::InvalidArgument("missing \"files\": [{\"path\", \"content\"}]");
  for (const Json& file : files->as_array()) {
    std::string path = file.GetString("path");
    SPOKE_RETURN_IF_ERROR(ValidateProtoPath(path));
    const Json* content = file.Get("content");
    if (!content || !content->is_string())
      return Status::InvalidArgument("file " + path + " has no \"content\" string");
    if (!request.files.emplace(path, content->as_string()).second) {
      return Status::InvalidArgument("file " + path + " is listed twice");
    }
  }
  if (const Json* deps = body.Get("dependencies"); deps && !deps->is_null()) {
    if (!deps->is_array()) {
      return Status::InvalidArgument(
          "\"dependencies\" must be an array of \"module@version\" strings or "
          "{\"module\", \"version\"} objects");
    }
    for (size_t i = 0; i < deps->as_array().size(); ++i) {
      const Json& dep = deps->as_array()[i];
      SPOKE_ASSIGN_OR_RETURN(DependencyEntry entry, ParseDependencyEntry(dep, i));
      auto pinned = ctx.store->GetVersion(entry.module, entry.version);
      if (!pinned.ok())
        return pinned.status().WithContext("dependency " + entry.module + "@" + entry.version);
      request.dependencies.push_back(pinned->Pin());
    }
    // The original Spoke's import rule: "common/types.proto" with common declared is common's
    // types.proto, so the pin is mounted at "common" (as the CLI's push does). A graph that cannot
    // be walked (a version conflict) keeps its pins unmounted: the compile check, unless the
    // operator turned it off, reports the conflict with both paths.
    IgnoreError(MountByImports(*ctx.store, module + "@" + request.version, request.files,
                               &request.dependencies),
                "the compile check reports a conflict with both paths");
  }
  return request;
}

// A version upload may carry "compatibility": it sets the level of a module it creates, and must
// agree with the level of one that exists (changing a level is PUT /modules/{name}/compatibility).
Status ApplyCompatibilityOnFirstPush(const ServerContext& ctx, const NewVersion& request,
                                     const Json& body) {
  if (!body.Get("compatibility")) return Status::Ok();
  SPOKE_ASSIGN_OR_RETURN(std::string wanted, ParseCompatibility(body.GetString("compatibility")));
  auto info = ctx.store->GetModule(request.module);
  if (info.status().code() == Status::Code::kNotFound) {
    auto created = ctx.store->CreateModule(request.module, request.description, wanted);
    // Another upload may have created it meanwhile; its level is then checked below.
    if (created.ok() || created.status().code() != Status::Code::kAlreadyExists)
      return created.status();
    info = ctx.store->GetModule(request.module);
  }
  if (!info.ok()) return info.status();
  if (info->compatibility != wanted) {
    return Status::FailedPrecondition("module " + request.module + " has compatibility " +
                                      CompatibilityName(info->compatibility) +
                                      "; change it with PUT /modules/" + request.module +
                                      "/compatibility");
  }
  return Status::Ok();
}

}  // namespace

Json ModuleToJson(const ModuleInfo& info) {
  Json body = Json::MakeObject();
  body.Set("name", info.name);
  body.Set("description", info.description);
  body.Set("compatibility", CompatibilityName(info.compatibility));
  body.Set("created", FormatTime(info.created));
  return body;
}

void RegisterModuleRoutes(http::Server& http, ServerContext& ctx) {
  // The file's bytes, or the original Spoke's {"path", "content"} when asked (WantsFileAsJson).
  // The two are distinct representations of one resource: each has its own ETag, and caches must
  // key on Accept.
  // Quick (http_server.h): on an event loop, a file read before is answered from the store's
  // memory; any other read goes to a worker, since it reads the disk.
  http::RouteOptions quick;
  quick.quick = true;
  http.Route("GET", Route(R"(/versions/)") + kVersion + R"(/files/(.+))", quick,
             [&ctx](const http::Request& req, http::Response& res) {
               auto as_json = WantsFileAsJson(req);
               if (!as_json.ok()) return SendError(res, as_json.status());
               std::optional<std::pair<std::string, std::string>> file;
               if (req.on_event_loop) {
                 file = ctx.store->CachedFile(req.matches[1], req.matches[2], req.matches[3]);
                 if (!file) {
                   res.needs_worker = true;
                   return;
                 }
               } else {
                 auto version = ctx.store->GetVersion(req.matches[1], req.matches[2]);
                 if (!version.ok()) return SendError(res, version.status());
                 auto read = ctx.store->ReadFile(*version, req.matches[3]);
                 if (!read.ok()) return SendError(res, read.status());
                 file = std::move(*read);
               }
               res.set_header("Vary", "Accept");
               if (!*as_json) {
                 if (HandleETag(req, res, file->second)) return;
                 return res.set_content(std::move(file->first), "text/plain; charset=utf-8");
               }
               if (HandleETag(req, res, file->second + ".json")) return;
               Json body = Json::MakeObject();
               body.Set("path", req.matches[3]);
               body.Set("content", std::move(file->first));
               SendJson(res, body);
             });

  http.Get(Route(R"(/versions/)") + kVersion,
           [&ctx](const http::Request& req, http::Response& res) {
             auto version = ctx.store->GetVersion(req.matches[1], req.matches[2]);
             if (!version.ok()) return SendError(res, version.status());
             // ?include=content puts every file's text in its entry: a whole version in one
             // request.
             const std::string include = req.get_param_value("include");
             if (req.has_param("include") && include != "content") {
               return SendError(res, Status::InvalidArgument("unknown include \"" + include +
                                                             "\": the only one is content"));
             }
             // The version is immutable, its artifacts' states are not: the ETag names both.
             std::string etag = version->tag_id;
             std::optional<Json> artifacts;
             if (ctx.artifact_states) {
               auto states = ctx.artifact_states(*version);
               if (!states.ok()) return SendError(res, states.status());
               artifacts = ArtifactStatesToJson(*states);
               etag += "." + Sha256Hex(artifacts->Dump()).substr(0, 16);
             }
             if (include.empty()) {
               if (HandleETag(req, res, etag)) return;
               Json body = VersionToJson(*version);
               if (artifacts) body.Set("artifacts", std::move(*artifacts));
               return SendJson(res, body);
             }
             if (HandleETag(req, res, etag + ".content")) return;
             auto contents = ctx.store->ReadFiles(*version);
             if (!contents.ok()) return SendError(res, contents.status());
             Json body = VersionToJson(*version, &*contents);
             if (artifacts) body.Set("artifacts", std::move(*artifacts));
             SendJson(res, body);
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

  http.Post(Route("/versions"), WriteRoute(ctx),
            [&ctx](const http::Request& req, http::Response& res) {
              if (!AllowWrite(ctx, req, req.matches[1], res)) return;
              auto body = ParseBody(req);
              if (!body.ok()) return SendError(res, body.status());
              auto request = ParseNewVersion(ctx, req.matches[1], *body);
              if (!request.ok()) return SendError(res, request.status());
              if (Status s = ApplyCompatibilityOnFirstPush(ctx, *request, *body); !s.ok())
                return SendError(res, s);
              // A module this upload creates without naming a level gets the server's default,
              // once its first version is in (so a refused upload leaves no module behind).
              const bool new_module =
                  ctx.store->GetModule(request->module).status().code() == Status::Code::kNotFound;
              auto put = ctx.store->PutVersion(*request);
              if (!put.ok()) return SendError(res, put.status());
              if (new_module && put->created) {
                if (Status s = ApplyDefaultCompatibility(ctx, request->module); !s.ok())
                  return SendError(res, s);
              }
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
    Json body = ModuleToJson(*info);
    Json versions = Json::MakeArray();
    for (const auto& v : *names) versions.Push(v);
    body.Set("versions", std::move(versions));
    if (auto latest = HighestRelease(*names)) body.Set("latest", *latest);
    SendJson(res, body);
  });

  http.Get("/modules", [&ctx](const http::Request&, http::Response& res) {
    // One pass over all refs instead of one query per module.
    auto refs = ctx.store->ListRefs(kAllRefsPrefix);
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
    if (!AllowWrite(ctx, req, body->GetString("name"), res)) return;
    // Without "compatibility", the server's default level: NONE is chosen explicitly.
    auto compatibility = body->Get("compatibility")
                             ? ParseCompatibility(body->GetString("compatibility"))
                             : Result<std::string>(ctx.options.default_compatibility);
    if (!compatibility.ok()) return SendError(res, compatibility.status());
    auto info = ctx.store->CreateModule(body->GetString("name"), body->GetString("description"),
                                        *compatibility);
    if (!info.ok()) return SendError(res, info.status());
    SendJson(res, ModuleToJson(*info), 201);
  });
}

}  // namespace spoke
