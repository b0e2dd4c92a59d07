// spoke compile: generated code for a local directory (through the local store's artifact cache)
// or for a registry version (the registry's cached artifact when it has one, else compiled here).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "context.h"
#include "module_dir.h"
#include "spoke/artifact_cache.h"
#include "spoke/checkout_cache.h"
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
  bool recursive = false, json = false, explain_key = false, offline = false, link = false;
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

// One language's result, as printed.
struct Outcome {
  std::string language, key;
  std::vector<std::string> files;
  bool cached = false;
};

// Where a language's files go: `out`, or out/<lang> when several languages were asked.
std::string OutputBase(const std::string& out, const std::string& language, size_t languages) {
  return languages > 1 ? (std::filesystem::path(out) / language).string() : out;
}

// "500M", "5G", "1T", "123456": bytes, with K, M, G or T (either case) for powers of 1024.
Result<uint64_t> ParseSize(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string unit = text.substr(digits);
  if (unit.size() == 1) unit[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0])));
  int shift = unit.empty() ? 0 : unit == "K" ? 10 : unit == "M" ? 20 : unit == "G" ? 30 : unit == "T" ? 40 : -1;
  const uint64_t number = digits == 0 || digits > 19 ? 0 : std::stoull(text.substr(0, digits));
  if (digits == 0 || digits > 19 || shift < 0 || number > (UINT64_MAX >> shift)) {
    return Status::InvalidArgument("expected a size such as 500M or 5G, got \"" + text + "\"");
  }
  return number << shift;
}

// The local store's checkout cache, bounded by $SPOKE_CHECKOUT_CACHE_MAX (0: no bound).
Result<CheckoutCache> LocalCheckoutCache() {
  uint64_t max_bytes = CheckoutCache::kDefaultMaxBytes;
  if (const char* max = std::getenv("SPOKE_CHECKOUT_CACHE_MAX"); max && *max) {
    auto parsed = ParseSize(max);
    if (!parsed.ok()) return Status::InvalidArgument("SPOKE_CHECKOUT_CACHE_MAX: " + parsed.status().message());
    max_bytes = *parsed;
  }
  return CheckoutCache((std::filesystem::path(LocalStorePath()) / "checkouts").string(), max_bytes);
}

// Serves every language from the checkout cache, or none: nullopt when a key is missing there (or
// a file of it changed while being placed), and the caller goes to the store.
std::optional<std::vector<Outcome>> PlaceFromCheckouts(const CompileArgs& args, const CheckoutCache& checkouts,
                                                        const std::map<std::string, std::string>& keys) {
  std::vector<CheckoutEntry> entries;
  for (const auto& [language, key] : keys) {
    auto entry = checkouts.Find(key);
    if (!entry) return std::nullopt;
    entries.push_back(std::move(*entry));
  }
  std::vector<Outcome> outcomes;
  size_t i = 0;
  for (const auto& [language, key] : keys) {
    const CheckoutEntry& entry = entries[i++];
    Status placed = checkouts.Place(entry, OutputBase(args.out, language, keys.size()),
                                    args.link ? PlaceMethod::kHardLink : PlaceMethod::kCopy);
    if (!placed.ok()) return std::nullopt;
    Outcome outcome{language, key, {}, true};
    for (const auto& file : entry.files) outcome.files.push_back(file.path);
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

void WarnNotKept(const std::string& key, const Status& status) {
  std::fprintf(stderr, "spoke: warning: the checkout cache did not keep %s: %s\n", key.c_str(),
               status.message().c_str());
}

// Writes each language's artifact under its output base and keeps its files in the checkout cache
// for the next hit, with one copy of the bytes on disk when `out` is on the store's file system:
// a staged artifact (compiled just now, its files already in the cache's file system) becomes a
// cache entry by a rename and is hard-linked into `out`; an artifact read whole from a store is
// written to `out` and hard-linked into the cache.
Result<std::vector<Outcome>> WriteArtifacts(const CompileArgs& args, const CheckoutCache& checkouts, Store* store,
                                            const std::map<std::string, Artifact>& artifacts,
                                            const CompileStats& stats) {
  std::vector<Outcome> outcomes;
  for (const auto& [language, artifact] : artifacts) {
    const std::string base = OutputBase(args.out, language, artifacts.size());
    Outcome outcome{language, artifact.key, {}, false};
    outcome.cached = std::find(stats.hits.begin(), stats.hits.end(), artifact.key) != stats.hits.end();
    for (const auto& [path, content] : artifact.files) outcome.files.push_back(path);
    if (!artifact.staged_dir.empty()) {
      auto entry = checkouts.Adopt(artifact.key, artifact.staged_dir, outcome.files);
      Status placed = entry.ok() ? checkouts.Place(*entry, base, PlaceMethod::kHardLink) : entry.status();
      if (placed.ok()) {
        outcomes.push_back(std::move(outcome));
        continue;
      }
      WarnNotKept(artifact.key, placed);
      // The staged files may have gone with a failed entry, or with one another compile evicted
      // meanwhile; the store has the artifact whole.
      auto stored = store ? LookupArtifact(*store, artifact.key) : Result<std::optional<Artifact>>(std::nullopt);
      if (!stored.ok()) return stored.status();
      if (!*stored) return Status::Internal("artifact " + artifact.key + " is neither staged nor stored");
      SPOKE_RETURN_IF_ERROR(WriteFilesUnder(base, (*stored)->files));
      outcomes.push_back(std::move(outcome));
      continue;
    }
    // In place and on several threads, as protoc writes its outputs in place: a temporary file
    // and a rename per file cost more than the writes themselves on thousands of files.
    SPOKE_RETURN_IF_ERROR(WriteFilesUnder(base, artifact.files));
    if (Status kept = checkouts.Add(artifact.key, base, outcome.files); !kept.ok()) WarnNotKept(artifact.key, kept);
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
Result<RegistryAnswer> AskRegistry(RemoteClient& remote, const std::string& module, const std::string& version,
                                   const std::vector<std::string>& languages,
                                   const std::map<std::string, std::string>& parameters, CompileStats* stats) {
  RegistryAnswer answer;
  for (const auto& language : languages) {
    std::string path = "/modules/" + module + "/versions/" + version + "/compile/" + language;
    if (auto it = parameters.find(language); it != parameters.end()) path += "?parameter=" + it->second;
    SPOKE_ASSIGN_OR_RETURN(Json reply, remote.PostJson(path, Json::MakeObject()));
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

void PrintResult(const CompileArgs& args, const std::vector<Outcome>& outcomes, int generator_runs,
                 const char* source) {
  if (args.json) {
    Json out = Json::MakeObject();
    Json list = Json::MakeArray();
    for (const auto& outcome : outcomes) {
      Json entry = Json::MakeObject();
      entry.Set("language", outcome.language);
      entry.Set("key", outcome.key);
      entry.Set("cached", outcome.cached);
      Json files = Json::MakeArray();
      for (const auto& path : outcome.files) files.Push(path);
      entry.Set("files", std::move(files));
      list.Push(std::move(entry));
    }
    out.Set("source", source);
    out.Set("out", args.out);
    out.Set("generator_runs", generator_runs);
    out.Set("artifacts", std::move(list));
    std::printf("%s\n", out.Dump(2).c_str());
    return;
  }
  for (const auto& outcome : outcomes) {
    std::printf("%-12s %zu files  %s  key %s\n", outcome.language.c_str(), outcome.files.size(),
                outcome.cached ? "(cached)" : std::string("(compiled, ").append(source).append(")").c_str(),
                outcome.key.substr(0, 16).c_str());
  }
}

// Writes and prints; the command's exit code.
int Finish(const CompileArgs& args, const CheckoutCache& checkouts, Store* store,
           const Result<std::map<std::string, Artifact>>& artifacts, const CompileStats& stats,
           const char* source) {
  if (!artifacts.ok()) return Fail(artifacts.status());
  auto outcomes = WriteArtifacts(args, checkouts, store, *artifacts, stats);
  if (!outcomes.ok()) return Fail(outcomes.status());
  PrintResult(args, *outcomes, stats.generator_runs, source);
  return kExitOk;
}

// Prints each key's explanation (--explain-key); the exit code.
int ExplainKeys(const CachedCompileRequest& request) {
  auto keys = ArtifactKeysFor(request);
  if (!keys.ok()) return Fail(keys.status());
  for (const auto& [language, key] : *keys) {
    std::printf("# %s: key %s\n%s\n", language.c_str(), key.hex.c_str(), key.explanation.c_str());
  }
  return kExitOk;
}

// Serves the request from the checkout cache when it has every key (without opening the store),
// else compiles with the store's cache. The exit code.
int CompileWithCaches(const CompileArgs& args, const CheckoutCache& checkouts, const CachedCompileRequest& request,
                      Store* store, const char* source) {
  auto keys = ArtifactKeysFor(request);
  if (!keys.ok()) return Fail(keys.status());
  std::map<std::string, std::string> hex;
  for (const auto& [language, key] : *keys) hex[language] = key.hex;
  if (auto placed = PlaceFromCheckouts(args, checkouts, hex)) {
    PrintResult(args, *placed, 0, source);
    return kExitOk;
  }
  std::unique_ptr<Store> opened;
  if (!store) {
    auto local = OpenLocalStore();
    if (!local.ok()) return Fail(local.status());
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
  int code = Finish(args, checkouts, store, compiled, stats, source);
  if (stage.ok()) checkouts.DropStage(*stage);
  return code;
}

int CompileDir(const CompileArgs& args, const CheckoutCache& checkouts, const std::vector<std::string>& languages,
               const std::map<std::string, std::string>& parameters) {
  auto files = ReadModuleDir(args.dir);
  if (!files.ok()) return Fail(files.status());
  CachedCompileRequest request;
  request.languages = languages;
  request.parameters = parameters;
  // The sources are only named (hashed) for the key; a miss reads them from memory, and nothing
  // of them is written to the store.
  auto by_id = std::make_shared<std::map<std::string, std::string>>();
  for (auto& [path, content] : *files) {
    std::string id = Store::BlobId(content);
    request.sources[path] = id;
    if (args.recursive || path.find('/') == std::string::npos) request.targets.push_back(path);
    by_id->emplace(id, std::move(content));
  }
  request.load = [by_id](const std::string& id) -> Result<std::string> {
    auto it = by_id->find(id);
    if (it == by_id->end()) return Status::NotFound("no source with blob id " + id);
    return it->second;
  };
  if (request.targets.empty()) {
    return Fail(Status::InvalidArgument("no .proto files directly in " + args.dir + "; use --recursive"));
  }
  if (args.explain_key) return ExplainKeys(request);
  // A hit in the checkout cache never opens the store: libgit2's start-up alone costs more than
  // placing a typical module's files.
  return CompileWithCaches(args, checkouts, request, nullptr, "locally");
}

int CompileModule(const CompileArgs& args, const GlobalFlags& flags, const CheckoutCache& checkouts,
                  const std::vector<std::string>& languages, const std::map<std::string, std::string>& parameters) {
  if (Status s = ValidateModuleName(args.module); !s.ok()) return UsageError(s);
  if (args.version != "latest") {
    if (auto v = SemVer::Parse(args.version); !v.ok()) return UsageError(v.status());
  }
  auto store = OpenLocalStore();
  if (!store.ok()) return Fail(store.status());
  std::unique_ptr<RemoteClient> remote;
  if (!args.offline) {
    auto connected = ConnectRegistry(flags);
    if (!connected.ok()) return UsageError(connected.status());
    remote = std::move(*connected);
  }
  if (remote && !args.explain_key) {
    CompileStats registry_stats;
    Result<std::map<std::string, Artifact>> fetched = Status::Unavailable("");
    auto version = EnsureVersion(**store, remote.get(), args.module, args.version);
    auto answer = version.ok() ? AskRegistry(*remote, args.module, version->version, languages, parameters,
                                             &registry_stats)
                               : Result<RegistryAnswer>(version.status());
    if (answer.ok()) {
      if (auto placed = PlaceFromCheckouts(args, checkouts, answer->keys)) {
        PrintResult(args, *placed, 0, "by the registry");
        return kExitOk;
      }
      fetched = FetchArtifacts(**store, *remote, *answer);
    } else {
      fetched = answer.status();
    }
    if (fetched.ok()) return Finish(args, checkouts, store->get(), fetched, registry_stats, "by the registry");
    if (fetched.status().code() != Status::Code::kUnavailable) return Fail(fetched.status());
    std::fprintf(stderr, "spoke: %s\nspoke: compiling locally\n", fetched.status().message().c_str());
    remote.reset();
  }
  auto version = EnsureVersion(**store, remote.get(), args.module, args.version);
  if (!version.ok()) return Fail(version.status());
  auto request = RequestForVersion(**store, *version, languages, parameters);
  if (!request.ok()) return Fail(request.status());
  if (args.explain_key) return ExplainKeys(*request);
  return CompileWithCaches(args, checkouts, *request, store->get(), "locally");
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
  sub->add_flag("--link", args->link,
                "On a cache hit, hard-link the cached files into -out instead of copying them (faster; every "
                "output placed so shares its files: do not edit them in place)");
  sub->footer(
      "A cache hit copies the files from the checkout cache beside the local store. "
      "SPOKE_CHECKOUT_CACHE_MAX bounds it (500M, 5G, ...; default 5G, 0 for no bound); the least recently used "
      "entries go first.");
  *run = [args, flags]() -> int {
    if (args->dir.empty() == args->module.empty()) {
      return UsageError(Status::InvalidArgument("give exactly one of -dir or -module"));
    }
    auto languages = ParseLanguageList(args->languages);
    if (!languages.ok()) return UsageError(languages.status());
    auto parameters = ParseOptions(args->options);
    if (!parameters.ok()) return UsageError(parameters.status());
    auto checkouts = LocalCheckoutCache();
    if (!checkouts.ok()) return UsageError(checkouts.status());
    if (!args->dir.empty()) return CompileDir(*args, *checkouts, *languages, *parameters);
    return CompileModule(*args, *flags, *checkouts, *languages, *parameters);
  };
}

}  // namespace spoke::cli
