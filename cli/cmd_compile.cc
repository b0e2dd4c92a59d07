// spoke compile: generated code for a local directory (through the local store's artifact cache)
// or for a registry version (the registry's cached artifact when it has one, else compiled here).
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "context.h"
#include "module_dir.h"
#include "spoke/artifact_cache.h"
#include "spoke/compiler.h"
#include "spoke/json.h"
#include "spoke/names.h"
#include "spoke/semver.h"
#include "spoke/sync.h"
#include "util/files.h"

namespace spoke::cli {
namespace {

struct CompileArgs {
  std::string dir, module, version = "latest", out, languages;
  std::vector<std::string> options;  // LANG=PARAMETER
  bool recursive = false, json = false, explain_key = false, offline = false;
};

Result<std::map<std::string, std::string>> ParseOptions(const std::vector<std::string>& options) {
  std::map<std::string, std::string> parameters;
  for (const auto& option : options) {
    size_t eq = option.find('=');
    if (eq == std::string::npos) return Status::InvalidArgument("--opt takes LANG=PARAMETER, got \"" + option + "\"");
    SPOKE_RETURN_IF_ERROR(FindLanguage(option.substr(0, eq)).status());
    parameters[option.substr(0, eq)] = option.substr(eq + 1);
  }
  return parameters;
}

// Writes each language's files under `out` (or out/<lang> when several languages were asked).
Status WriteArtifacts(const std::string& out, const std::map<std::string, Artifact>& artifacts) {
  for (const auto& [language, artifact] : artifacts) {
    std::filesystem::path base = artifacts.size() > 1 ? std::filesystem::path(out) / language : std::filesystem::path(out);
    // In place and on several threads, as protoc writes its outputs in place: a temporary file
    // and a rename per file cost more than the writes themselves on thousands of files.
    SPOKE_RETURN_IF_ERROR(WriteFilesUnder(base.string(), artifact.files));
  }
  return Status::Ok();
}

// The registry's artifacts, fetched into the local store with the version they were compiled from
// (so a later compile works from the local store when the registry is down). Unavailable when the
// registry cannot help (down, or missing a plugin), so the caller compiles locally instead. The
// keys the registry already had cached are added to stats->hits.
Result<std::map<std::string, Artifact>> RegistryArtifacts(Store& local, RemoteClient& remote, const CompileArgs& args,
                                                          const std::vector<std::string>& languages,
                                                          const std::map<std::string, std::string>& parameters,
                                                          CompileStats* stats) {
  SPOKE_ASSIGN_OR_RETURN(VersionInfo version, EnsureVersion(local, &remote, args.module, args.version));
  std::map<std::string, Artifact> artifacts;
  std::vector<RefEntry> refs;
  std::map<std::string, std::string> keys;
  for (const auto& language : languages) {
    std::string path = "/modules/" + args.module + "/versions/" + version.version + "/compile/" + language;
    if (auto it = parameters.find(language); it != parameters.end()) {
      path += "?parameter=" + it->second;
    }
    SPOKE_ASSIGN_OR_RETURN(Json answer, remote.PostJson(path, Json::MakeObject()));
    refs.push_back({answer.GetString("ref"), answer.GetString("commit"), ""});
    keys[language] = answer.GetString("key");
    if (const Json* cached = answer.Get("cached"); cached && cached->as_bool()) stats->hits.push_back(keys[language]);
  }
  SPOKE_RETURN_IF_ERROR(FetchRefs(local, remote, refs).status());
  for (const auto& [language, key] : keys) {
    SPOKE_ASSIGN_OR_RETURN(auto artifact, LookupArtifact(local, key));
    if (!artifact) return Status::Corruption("registry artifact " + key + " did not arrive whole");
    artifacts[language] = std::move(*artifact);
  }
  return artifacts;
}

void PrintResult(const CompileArgs& args, const std::map<std::string, Artifact>& artifacts, const CompileStats& stats,
                 const char* source) {
  if (args.json) {
    Json out = Json::MakeObject();
    Json list = Json::MakeArray();
    for (const auto& [language, artifact] : artifacts) {
      Json entry = Json::MakeObject();
      entry.Set("language", language);
      entry.Set("key", artifact.key);
      bool hit = std::find(stats.hits.begin(), stats.hits.end(), artifact.key) != stats.hits.end();
      entry.Set("cached", hit);
      Json files = Json::MakeArray();
      for (const auto& [path, content] : artifact.files) files.Push(path);
      entry.Set("files", std::move(files));
      list.Push(std::move(entry));
    }
    out.Set("source", source);
    out.Set("out", args.out);
    out.Set("generator_runs", stats.generator_runs);
    out.Set("artifacts", std::move(list));
    std::printf("%s\n", out.Dump(2).c_str());
    return;
  }
  for (const auto& [language, artifact] : artifacts) {
    bool hit = std::find(stats.hits.begin(), stats.hits.end(), artifact.key) != stats.hits.end();
    std::printf("%-12s %zu files  %s  key %s\n", language.c_str(), artifact.files.size(),
                hit ? "(cached)" : std::string("(compiled, ").append(source).append(")").c_str(),
                artifact.key.substr(0, 16).c_str());
  }
}

}  // namespace

void SetupCompile(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  auto args = std::make_shared<CompileArgs>();
  sub->add_option("-d,--dir", args->dir, "Compile the .proto files of this directory");
  sub->add_option("-m,--module", args->module, "Compile a registry module version instead");
  sub->add_option("-v,--version", args->version, "The version with -module, or latest")->capture_default_str();
  sub->add_option("-l,--lang", args->languages, "Languages, comma-separated: cpp,python,go,...")->required();
  sub->add_option("-o,--out", args->out, "Output directory (one subdirectory per language when several)")->required();
  sub->add_option("--opt", args->options, "Generator parameter, LANG=PARAMETER (repeatable)");
  sub->add_flag("--recursive", args->recursive,
                "With -dir: generate for files in subdirectories too (imports always resolve across the tree)");
  sub->add_flag("--explain-key", args->explain_key, "Print what went into each artifact cache key");
  sub->add_flag("--offline", args->offline, "With -module: never ask the registry");
  sub->add_flag("--json", args->json, "Print the result as JSON");
  *run = [args, flags]() -> int {
    if (args->dir.empty() == args->module.empty()) {
      return UsageError(Status::InvalidArgument("give exactly one of -dir or -module"));
    }
    auto languages = ParseLanguageList(args->languages);
    if (!languages.ok()) return UsageError(languages.status());
    auto parameters = ParseOptions(args->options);
    if (!parameters.ok()) return UsageError(parameters.status());
    auto store = OpenLocalStore();
    if (!store.ok()) return Fail(store.status());
    CachedCompileRequest request;
    request.languages = *languages;
    request.parameters = *parameters;
    CompileStats stats;
    const char* source = "locally";
    std::map<std::string, Artifact> artifacts;
    if (!args->dir.empty()) {
      auto files = ReadModuleDir(args->dir);
      if (!files.ok()) return Fail(files.status());
      // The sources are only named (hashed) for the key; a miss reads them from memory, and
      // nothing of them is written to the store.
      auto by_id = std::make_shared<std::map<std::string, std::string>>();
      for (auto& [path, content] : *files) {
        std::string id = Store::BlobId(content);
        request.sources[path] = id;
        if (args->recursive || path.find('/') == std::string::npos) request.targets.push_back(path);
        by_id->emplace(id, std::move(content));
      }
      request.load = [by_id](const std::string& id) -> Result<std::string> {
        auto it = by_id->find(id);
        if (it == by_id->end()) return Status::NotFound("no source with blob id " + id);
        return it->second;
      };
      if (request.targets.empty()) {
        return Fail(Status::InvalidArgument("no .proto files directly in " + args->dir + "; use --recursive"));
      }
    } else {
      if (Status s = ValidateModuleName(args->module); !s.ok()) return UsageError(s);
      if (args->version != "latest") {
        if (auto v = SemVer::Parse(args->version); !v.ok()) return UsageError(v.status());
      }
      std::unique_ptr<RemoteClient> remote;
      if (!args->offline) {
        auto connected = ConnectRegistry(*flags);
        if (!connected.ok()) return UsageError(connected.status());
        remote = std::move(*connected);
        CompileStats registry_stats;
        auto fetched = RegistryArtifacts(**store, *remote, *args, *languages, *parameters, &registry_stats);
        if (fetched.ok() && !args->explain_key) {
          if (Status s = WriteArtifacts(args->out, *fetched); !s.ok()) return Fail(s);
          PrintResult(*args, *fetched, registry_stats, "by the registry");
          return kExitOk;
        }
        if (!fetched.ok() && fetched.status().code() != Status::Code::kUnavailable) return Fail(fetched.status());
        if (!fetched.ok()) {
          std::fprintf(stderr, "spoke: %s\nspoke: compiling locally\n", fetched.status().message().c_str());
          remote.reset();
        }
      }
      auto version = EnsureVersion(**store, remote.get(), args->module, args->version);
      if (!version.ok()) return Fail(version.status());
      auto for_version = RequestForVersion(**store, *version, *languages, *parameters);
      if (!for_version.ok()) return Fail(for_version.status());
      request = std::move(*for_version);
    }
    if (args->explain_key) {
      auto keys = ArtifactKeysFor(request);
      if (!keys.ok()) return Fail(keys.status());
      for (const auto& [language, key] : *keys) {
        std::printf("# %s: key %s\n%s\n", language.c_str(), key.hex.c_str(), key.explanation.c_str());
      }
      return kExitOk;
    }
    auto compiled = CompileWithCache(**store, request, &stats);
    if (!compiled.ok()) return Fail(compiled.status());
    if (Status s = WriteArtifacts(args->out, *compiled); !s.ok()) return Fail(s);
    PrintResult(*args, *compiled, stats, source);
    return kExitOk;
  };
}

}  // namespace spoke::cli
