// spoke compile: generated code for a local directory (through the local store's artifact cache)
// or for a registry version (the registry's cached artifact when it has one, else compiled here).
// The checkout-cache hit of a -dir compile is normally served by the `spoke` front end before this
// program starts (front_main.cc); everything here runs in spoke-core.
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "compile_common.h"
#include "context.h"
#include "module_dir.h"
#include "resolution.h"
#include "spoke/artifact_cache.h"
#include "spoke/checkout_cache.h"
#include "spoke/compiler.h"
#include "spoke/deps.h"
#include "spoke/files.h"
#include "spoke/go_import_path.h"
#include "spoke/module_config.h"
#include "spoke/names.h"
#include "spoke/semver.h"
#include "spoke/sync.h"

namespace spoke::cli {
namespace {

void WarnNotKept(const std::string& key, const Status& status) {
  std::fprintf(stderr, "spoke: warning: the checkout cache did not keep %s: %s\n", key.c_str(),
               status.message().c_str());
}

// Writes each language's artifact under its output base and keeps its files in the checkout cache
// for the next hit, with one copy of the bytes on disk when `out` is on the store's file system:
// a staged artifact (compiled just now, its files already in the cache's file system) becomes a
// cache entry by a rename and is hard-linked into `out`; an artifact read whole from a store is
// written to `out` and hard-linked into the cache.
Result<std::vector<Outcome>> WriteArtifacts(const CompileArgs& args, const CheckoutCache& checkouts,
                                            Store* store,
                                            const std::map<std::string, Artifact>& artifacts,
                                            const CompileStats& stats) {
  std::vector<Outcome> outcomes;
  for (const auto& [language, artifact] : artifacts) {
    const std::string base = OutputBase(args.out, language, artifacts.size());
    Outcome outcome{language, artifact.key, {}, false};
    outcome.cached =
        std::find(stats.hits.begin(), stats.hits.end(), artifact.key) != stats.hits.end();
    for (const auto& [path, content] : artifact.files) outcome.files.push_back(path);
    if (!artifact.staged_dir.empty()) {
      auto entry = checkouts.Adopt(artifact.key, artifact.staged_dir, outcome.files);
      Status placed =
          entry.ok() ? checkouts.Place(*entry, base, PlaceMethod::kHardLink) : entry.status();
      if (placed.ok()) {
        outcomes.push_back(std::move(outcome));
        continue;
      }
      WarnNotKept(artifact.key, placed);
      // The staged files may have gone with a failed entry, or with one another compile evicted
      // meanwhile; the store has the artifact whole.
      auto stored = store ? LookupArtifact(*store, artifact.key)
                          : Result<std::optional<Artifact>>(std::nullopt);
      if (!stored.ok()) return stored.status();
      if (!*stored)
        return Status::Internal("artifact " + artifact.key + " is neither staged nor stored");
      SPOKE_RETURN_IF_ERROR(WriteFilesUnder(base, (*stored)->files));
      outcomes.push_back(std::move(outcome));
      continue;
    }
    // In place and on several threads, as protoc writes its outputs in place: a temporary file
    // and a rename per file cost more than the writes themselves on thousands of files.
    SPOKE_RETURN_IF_ERROR(WriteFilesUnder(base, artifact.files));
    if (Status kept = checkouts.Add(artifact.key, base, outcome.files); !kept.ok())
      WarnNotKept(artifact.key, kept);
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

// What the registry answered for each language: the artifact's key and the ref to fetch it by.
struct RegistryAnswer {
  std::map<std::string, std::string> keys;  // language -> key
  std::vector<RefEntry> refs;
};

// Asks the registry to compile (or find) each language's artifact of the version; the keys it
// already had cached are added to stats->hits. Unavailable when the registry cannot help (down,
// or missing a plugin), so the caller compiles locally instead.
Result<RegistryAnswer> AskRegistry(RemoteClient& remote, const std::string& module,
                                   const std::string& version,
                                   const std::vector<std::string>& languages,
                                   const std::map<std::string, std::string>& parameters,
                                   const std::string& go_import_prefix, bool include_imports,
                                   CompileStats* stats) {
  RegistryAnswer answer;
  for (const auto& language : languages) {
    RemoteClient::CompileQuery query;
    query.include_imports = include_imports;
    if (auto it = parameters.find(language); it != parameters.end()) query.parameter = it->second;
    // Said even when it is the default, which the registry would pick too: the key must be ours.
    SPOKE_ASSIGN_OR_RETURN(Language described, FindLanguage(language));
    if (described.takes_go_import_paths) query.go_package_prefix = go_import_prefix;
    SPOKE_ASSIGN_OR_RETURN(Json reply, remote.Compile(module, version, language, query));
    answer.refs.push_back({reply.GetString("ref"), reply.GetString("commit"), ""});
    answer.keys[language] = reply.GetString("key");
    if (const Json* cached = reply.Get("cached"); cached && cached->as_bool()) {
      stats->hits.push_back(answer.keys[language]);
    }
  }
  return answer;
}

// The registry's artifacts, fetched into the local store (so a later compile works from the
// local store when the registry is down).
Result<std::map<std::string, Artifact>> FetchArtifacts(Store& local, RemoteClient& remote,
                                                       const RegistryAnswer& answer) {
  SPOKE_RETURN_IF_ERROR(FetchRefs(local, remote, answer.refs).status());
  std::map<std::string, Artifact> artifacts;
  for (const auto& [language, key] : answer.keys) {
    SPOKE_ASSIGN_OR_RETURN(auto artifact, LookupArtifact(local, key));
    if (!artifact) return Status::Corruption("registry artifact " + key + " did not arrive whole");
    artifacts[language] = std::move(*artifact);
  }
  return artifacts;
}

// Writes and prints.
Status Finish(const CompileArgs& args, const CheckoutCache& checkouts, Store* store,
              const Result<std::map<std::string, Artifact>>& artifacts, const CompileStats& stats,
              const char* source) {
  if (!artifacts.ok()) return artifacts.status();
  auto outcomes = WriteArtifacts(args, checkouts, store, *artifacts, stats);
  if (!outcomes.ok()) return outcomes.status();
  PrintResult(args, *outcomes, stats.generator_runs, source);
  return Status::Ok();
}

// Prints each key's explanation (--explain-key).
Status ExplainKeys(const CachedCompileRequest& request) {
  auto keys = ArtifactKeysFor(request);
  if (!keys.ok()) return keys.status();
  for (const auto& [language, key] : *keys) {
    std::printf("# %s: key %s\n%s\n", language.c_str(), key.hex.c_str(), key.explanation.c_str());
  }
  return Status::Ok();
}

// Serves the request from the checkout cache when it has every key (without opening the store),
// else compiles with the store's cache.
Status CompileWithCaches(const CompileArgs& args, const CheckoutCache& checkouts,
                         const CachedCompileRequest& request, Store* store, const char* source) {
  auto served = ServeFromCheckouts(args, checkouts, request, source);
  if (!served.ok()) return served.status();
  if (*served) return Status::Ok();
  std::unique_ptr<Store> opened;
  if (!store) {
    auto local = OpenLocalStore();
    if (!local.ok()) return local.status();
    opened = std::move(*local);
    store = opened.get();
  }
  CompileStats stats;
  // What is compiled goes straight to disk, into a stage in the checkout cache's file system,
  // rather than staying in memory until the end: memory stays what the parse needs.
  CachedCompileRequest staged = request;
  auto stage = checkouts.StartStage();
  if (stage.ok()) staged.stage_dir = *stage;
  auto compiled = CompileWithCache(*store, staged, &stats);
  Status finished = Finish(args, checkouts, store, compiled, stats, source);
  if (stage.ok()) checkouts.DropStage(*stage);
  return finished;
}

// Adds what the files in args.dir need from outside it to `request`: the files of its
// dependencies, resolved as `spoke push` resolves them (resolution.h), at their mounted paths and
// read from the local store, which is opened into *store. Nothing when the directory's own files
// and its nested modules' satisfy every import.
Status AddDirDependencies(const CompileArgs& args, const GlobalFlags& flags,
                          CachedCompileRequest* request, std::unique_ptr<Store>* store) {
  SPOKE_ASSIGN_OR_RETURN(ModuleConfig config, LoadModuleConfig(args.dir));
  SPOKE_ASSIGN_OR_RETURN(ModuleDirFiles read, ReadModuleDir(args.dir));
  std::set<std::string> nested;
  for (const auto& [path, content] : read.nested) nested.insert(path);
  if (!NeedsDependencies(config, read.own, nested)) return Status::Ok();
  SPOKE_ASSIGN_OR_RETURN(*store, OpenLocalStore());
  SPOKE_ASSIGN_OR_RETURN(Resolution resolution, ResolveDirDependencies(**store, flags, args.dir,
                                                                       config, read.own, nested));
  const std::string name = config.module.empty() ? args.dir : config.module;
  // Built with the module's own files so a dependency's file at one of their paths is refused.
  SPOKE_ASSIGN_OR_RETURN(SchemaSources closure,
                         ClosureSources(**store, name, read.own, resolution.pins));
  for (const auto& [path, id] : closure.sources) {
    if (read.own.count(path)) continue;
    request->sources[path] = id;  // a dependency wins over a nested module's file at its path
    if (!args.exclude_imports) request->targets.push_back(path);
  }
  request->load = [on_disk = std::move(request->load),
                   from = store->get()](const std::string& id) -> Result<std::string> {
    auto content = on_disk(id);
    if (content.ok() || content.status().code() != Status::Code::kNotFound) return content;
    return from->ReadBlob(id);
  };
  return Status::Ok();
}

Status CompileDir(const CompileArgs& args, const GlobalFlags& flags, const CheckoutCache& checkouts,
                  const std::vector<std::string>& languages,
                  const std::map<std::string, std::string>& parameters) {
  SourceIdCache known = SourceIdsForDir(args.dir);
  auto request = RequestForDir(args, languages, parameters, &known);
  if (!request.ok()) return request.status();
  std::unique_ptr<Store> store;
  if (Status s = AddDirDependencies(args, flags, &*request, &store); !s.ok()) return s;
  if (args.explain_key) return ExplainKeys(*request);
  // A hit in the checkout cache never opens the store: libgit2's start-up alone costs more than
  // placing a typical module's files (the `spoke` front end serves most hits before this runs).
  Status compiled = CompileWithCaches(args, checkouts, *request, store.get(), "locally");
  // After a success the next hit need not read the sources (a failed save only means it will);
  // after a failure nothing remembered is kept, in case a remembered id is what failed.
  if (compiled.ok()) {
    IgnoreError(known.Save(), "a lost record only makes the next hit read the sources");
  } else {
    known.Drop();
  }
  return compiled;
}

CommandOutcome CompileModule(const CompileArgs& args, const GlobalFlags& flags,
                             const CheckoutCache& checkouts,
                             const std::vector<std::string>& languages,
                             const std::map<std::string, std::string>& parameters) {
  if (Status s = ValidateModuleName(args.module); !s.ok()) return Usage(s);
  if (args.version != "latest") {
    if (auto v = SemVer::Parse(args.version); !v.ok()) return Usage(v.status());
  }
  auto go_import_prefix = GoImportPrefixFor(args, languages);
  if (!go_import_prefix.ok()) return Usage(go_import_prefix.status());
  auto store = OpenLocalStore();
  if (!store.ok()) return store.status();
  std::unique_ptr<RemoteClient> remote;
  if (!args.offline) {
    auto connected = ConnectRegistry(flags);
    if (!connected.ok()) return Usage(connected.status());
    remote = std::move(*connected);
  }
  if (remote && !args.explain_key) {
    CompileStats registry_stats;
    Result<std::map<std::string, Artifact>> fetched = Status::Unavailable("");
    auto version = EnsureVersion(**store, remote.get(), args.module, args.version);
    auto answer = version.ok()
                      ? AskRegistry(*remote, args.module, version->version, languages, parameters,
                                    *go_import_prefix, !args.exclude_imports, &registry_stats)
                      : Result<RegistryAnswer>(version.status());
    if (answer.ok()) {
      if (auto placed = PlaceFromCheckouts(args, checkouts, answer->keys)) {
        PrintResult(args, *placed, 0, "by the registry");
        return Status::Ok();
      }
      fetched = FetchArtifacts(**store, *remote, *answer);
    } else {
      fetched = answer.status();
    }
    if (fetched.ok())
      return Finish(args, checkouts, store->get(), fetched, registry_stats, "by the registry");
    if (!RegistryUnreachable(fetched.status())) return fetched.status();
    WarnUsingLocalStore(fetched.status(), "compiling locally");
    remote.reset();
  }
  auto version = EnsureVersion(**store, remote.get(), args.module, args.version);
  if (!version.ok()) return version.status();
  auto request = RequestForVersion(**store, *version, languages, parameters);
  if (!request.ok()) return request.status();
  if (!go_import_prefix->empty()) request->go_import_prefix = *go_import_prefix;
  if (!args.exclude_imports) IncludeImports(&*request);
  if (args.explain_key) return ExplainKeys(*request);
  return CompileWithCaches(args, checkouts, *request, store->get(), "locally");
}

}  // namespace

void SetupCompile(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  auto args = std::make_shared<CompileArgs>();
  DefineCompileFlags(sub, args.get());
  *run = [args, flags]() -> CommandOutcome {
    if (args->dir.empty() == args->module.empty()) {
      return Usage(Status::InvalidArgument("give exactly one of -dir or -module"));
    }
    auto languages = ParseLanguageList(args->languages);
    if (!languages.ok()) return Usage(languages.status());
    auto parameters = ParseOptions(args->options);
    if (!parameters.ok()) return Usage(parameters.status());
    if (!args->go_package_prefix.empty()) {
      Status valid = ValidateGoImportPrefix(args->go_package_prefix);
      if (!valid.ok()) return Usage(valid);
    }
    auto checkouts = LocalCheckoutCache();
    if (!checkouts.ok()) return Usage(checkouts.status());
    // Generated files come and go in blocks of up to a megabyte on every thread. glibc's default
    // raises its mmap threshold to the largest block freed, after which they come from the
    // threads' arenas and stay resident when freed: 3 MB of a module's peak. A fixed threshold
    // gives them back at once, at no measurable cost in time.
    mallopt(M_MMAP_THRESHOLD, 128 << 10);
    if (!args->dir.empty()) return CompileDir(*args, *flags, *checkouts, *languages, *parameters);
    return CompileModule(*args, *flags, *checkouts, *languages, *parameters);
  };
}

}  // namespace spoke::cli
