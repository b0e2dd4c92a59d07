// Routes for generated code: compile (or find the cached artifact), download it as an archive, and
// the version's FileDescriptorSet.
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <functional>

#include "routes.h"
#include "server_metrics.h"
#include "spoke/archive.h"
#include "spoke/artifact_cache.h"
#include "spoke/compiler.h"
#include "spoke/go_import_path.h"
#include "spoke/quarantine.h"
#include "spoke/refs.h"

namespace spoke {
namespace {

constexpr char kVersionRoute[] = R"(/modules/([a-z0-9][a-z0-9_/-]*)/versions/(v[0-9][^/]*|latest))";

std::map<std::string, std::string> Parameters(const http::Request& req,
                                              const std::string& language) {
  std::map<std::string, std::string> parameters;
  if (req.has_param("parameter")) parameters[language] = req.get_param_value("parameter");
  return parameters;
}

// Finds or compiles the artifact of one language for the version named in the route. With a
// `stage_dir`, what is compiled is staged there (Artifact::staged_dir) rather than held. A compile
// writes (the artifact's objects and ref), so when the artifact is not cached yet and
// `may_compile` refuses, its Status is returned and nothing is written.
Result<Artifact> ArtifactFor(ServerContext& ctx, const http::Request& req, bool* cached,
                             const std::function<Status()>& may_compile,
                             const std::string& stage_dir = "") {
  SPOKE_ASSIGN_OR_RETURN(VersionInfo version,
                         ctx.store->GetVersion(req.matches[1], req.matches[2]));
  std::string language = req.matches[3];
  SPOKE_RETURN_IF_ERROR(FindLanguage(language).status());
  SPOKE_ASSIGN_OR_RETURN(
      CachedCompileRequest request,
      RequestForVersion(*ctx.store, version, {language}, Parameters(req, language)));
  // Without ?go_package_prefix=, the module's default that RequestForVersion gave.
  if (req.has_param("go_package_prefix")) {
    request.go_import_prefix = req.get_param_value("go_package_prefix");
    SPOKE_RETURN_IF_ERROR(ValidateGoImportPrefix(request.go_import_prefix));
  }
  // A version's generated code includes its dependencies' unless ?include_imports=false: a
  // download then builds on its own (order_pb2 imports common/types_pb2, which is in it).
  const std::string include_imports =
      req.has_param("include_imports") ? req.get_param_value("include_imports") : "true";
  if (include_imports != "true" && include_imports != "false") {
    return Status::InvalidArgument("include_imports must be true or false, not \"" +
                                   include_imports + "\"");
  }
  if (include_imports == "true") IncludeImports(&request);
  request.stage_dir = stage_dir;
  SPOKE_ASSIGN_OR_RETURN(auto keys, ArtifactKeysFor(request));
  SPOKE_ASSIGN_OR_RETURN(auto found, LookupArtifact(*ctx.store, keys.at(language).hex));
  ctx.metrics->ObserveArtifactLookup(language, found.has_value());
  if (found) {
    *cached = true;
    return std::move(*found);
  }
  SPOKE_RETURN_IF_ERROR(may_compile());
  CompileStats stats;
  SPOKE_ASSIGN_OR_RETURN(auto artifacts, CompileWithCache(*ctx.store, request, &stats));
  *cached = stats.generator_runs == 0;
  return artifacts.at(language);
}

}  // namespace

void RegisterCompileRoutes(http::Server& http, ServerContext& ctx) {
  http.Post(std::string(kVersionRoute) + R"(/compile/([a-z-]+))", WriteRoute(ctx),
            [&ctx](const http::Request& req, http::Response& res) {
              if (!AllowWrite(ctx, req, req.matches[1], res)) return;
              bool cached = false;
              // The answer lists only paths and sizes: a registry compiling a large module holds
              // none of its generated code, but stages it in a quarantine: in the store, or in
              // this server's own directory when the store is shared (--postgres).
              Quarantine stage(ctx.local_dir);
              if (!stage.ok())
                return SendError(res, Status::IOError("cannot create " + stage.dir().string()));
              auto artifact = ArtifactFor(
                  ctx, req, &cached, [] { return Status::Ok(); }, stage.dir().string());
              if (!artifact.ok()) return SendError(res, artifact.status());
              Json body = Json::MakeObject();
              body.Set("module", std::string(req.matches[1]));
              body.Set("version", std::string(req.matches[2]));
              body.Set("language", artifact->language);
              body.Set("key", artifact->key);
              body.Set("ref", ArtifactRef(artifact->key));
              body.Set("commit", artifact->commit);
              body.Set("cached", cached);
              Json files = Json::MakeArray();
              for (const auto& [path, content] : artifact->files) {
                Json entry = Json::MakeObject();
                entry.Set("path", path);
                uint64_t size = content.size();
                if (!artifact->staged_dir.empty()) {
                  std::error_code ec;
                  size = std::filesystem::file_size(
                      std::filesystem::path(artifact->staged_dir) / path, ec);
                  if (ec) return SendError(res, Status::IOError("cannot read the staged " + path));
                }
                entry.Set("size", static_cast<int64_t>(size));
                files.Push(std::move(entry));
              }
              body.Set("files", std::move(files));
              SendJson(res, body, cached ? 200 : 201);
            });

  http.Get(std::string(kVersionRoute) + R"(/download/([a-z-]+))", [&ctx](const http::Request& req,
                                                                         http::Response& res) {
    auto format =
        ParseArchiveFormat(req.has_param("format") ? req.get_param_value("format") : "zip");
    if (!format.ok()) return SendError(res, format.status());
    bool cached = false;
    // Refused by AllowWrite, which has then written its answer (401 or 403) into `res`.
    bool refused = false;
    auto may_compile = [&] {
      if (AllowWrite(ctx, req, req.matches[1], res)) return Status::Ok();
      refused = true;
      return Status::PermissionDenied("refused");
    };
    auto artifact = ArtifactFor(ctx, req, &cached, may_compile);
    if (refused) {
      if (ctx.options.read_only) {
        SendError(res, Status::PermissionDenied(
                           "this read-only mirror has no " + std::string(req.matches[3]) +
                           " code for " + std::string(req.matches[1]) + "@" +
                           std::string(req.matches[2]) + " yet; download it from its upstream"));
      }
      return;
    }
    if (!artifact.ok()) return SendError(res, artifact.status());
    if (HandleETag(req, res, artifact->key + "." + ArchiveExtension(*format))) return;
    auto archive = MakeArchive(artifact->files, *format);
    if (!archive.ok()) return SendError(res, archive.status());
    std::string name = std::string(req.matches[1]) + "-" + std::string(req.matches[2]) + "-" +
                       artifact->language + "." + ArchiveExtension(*format);
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
    res.set_header("X-Spoke-Artifact-Key", artifact->key);
    res.set_content(std::move(*archive), ArchiveContentType(*format));
  });

  http.Get(std::string(kVersionRoute) + "/descriptor", [&ctx](const http::Request& req,
                                                              http::Response& res) {
    auto version = ctx.store->GetVersion(req.matches[1], req.matches[2]);
    if (!version.ok()) return SendError(res, version.status());
    auto request = RequestForVersion(*ctx.store, *version, {}, {});
    if (!request.ok()) return SendError(res, request.status());
    CompileRequest parse;
    parse.sources = request->sources;
    parse.load = [&ctx](const std::string& id) { return ctx.store->ReadBlob(id); };
    parse.targets = request->targets;
    bool source_info = req.has_param("source_info") && req.get_param_value("source_info") == "true";
    std::string format = req.has_param("format") ? req.get_param_value("format") : "binary";
    if (format != "binary" && format != "json") {
      return SendError(res, Status::InvalidArgument("format must be binary or json"));
    }
    if (HandleETag(req, res,
                   version->tag_id + ".descriptor." + format + (source_info ? ".src" : "")))
      return;
    auto set = BuildDescriptorSet(parse, source_info);
    if (!set.ok()) return SendError(res, set.status());
    if (format == "binary") {
      res.set_content(std::move(*set), "application/x-protobuf");
      return;
    }
    google::protobuf::FileDescriptorSet message;
    message.ParseFromString(*set);
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = false;
    auto printed = google::protobuf::util::MessageToJsonString(message, &json, options);
    if (!printed.ok())
      return SendError(res, Status::Internal("cannot print the descriptor as JSON"));
    res.set_content(json, "application/json");
  });
}

}  // namespace spoke
