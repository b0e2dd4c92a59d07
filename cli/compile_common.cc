// compile's flags, the request for -dir, and serving from the checkout cache; see compile_common.h.
#include "compile_common.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "context.h"
#include "module_dir.h"
#include "plural.h"
#include "spoke/compiler.h"
#include "spoke/digest.h"
#include "spoke/files.h"
#include "spoke/go_import_path.h"
#include "spoke/json.h"
#include "spoke/module_config.h"
#include "spoke/names.h"
#include "spoke/source_id_cache.h"

namespace spoke::cli {

void DefineCompileFlags(CLI::App* sub, CompileArgs* args) {
  sub->add_option("-d,--dir", args->dir, "Compile the .proto files of this directory");
  sub->add_option("-m,--module", args->module, "Compile a registry module version instead");
  sub->add_option("-v,--version", args->version, "The version with -module, or latest")
      ->capture_default_str();
  sub->add_option("-l,--lang", args->languages, "Languages, comma-separated: cpp,python,go,...")
      ->required();
  sub->add_option("-o,--out", args->out,
                  "Output directory (one subdirectory per language when several)")
      ->required();
  sub->add_option("--opt", args->options, "Generator parameter, LANG=PARAMETER (repeatable)");
  sub->add_option(
      "--go-package-prefix", args->go_package_prefix,
      "Go import path prefix for files without option go_package: such a file gets "
      "PREFIX/<its directory> (default: the module name of -module or of -dir's spoke.yaml, else "
      "-dir's base name, under example/ when it is one element)");
  sub->add_flag("--recursive", args->recursive,
                "With -dir: generate for files in subdirectories too (imports always resolve "
                "across the tree)");
  sub->add_flag(
      "--exclude-imports", args->exclude_imports,
      "Generate code for the module's own files only; by default its dependencies' files are "
      "generated too (at the paths they are imported by), so the output builds on its own");
  sub->add_flag("--explain-key", args->explain_key, "Print what went into each artifact cache key");
  sub->add_flag("--offline", args->offline, "With -module: never ask the registry");
  sub->add_flag("--json", args->json, "Print the result as JSON");
  sub->add_flag("--link", args->link,
                "On a cache hit, hard-link the cached files into -out instead of copying them "
                "(faster; but every "
                "output placed so shares its files, and they keep the time they were first "
                "generated, which can "
                "make mtime-based builds (make, ninja) miss a change: do not edit them in place)");
  sub->footer(
      "A cache hit copies the files from the checkout cache beside the local store, so each gets a "
      "new mtime "
      "and a build tool sees it. SPOKE_CHECKOUT_CACHE_MAX bounds the cache (500M, 5G, ...; default "
      "5G, 0 for no "
      "bound); the least recently used entries go first.");
}

Result<std::map<std::string, std::string>> ParseOptions(const std::vector<std::string>& options) {
  std::map<std::string, std::string> parameters;
  for (const auto& option : options) {
    size_t eq = option.find('=');
    if (eq == std::string::npos)
      return Status::InvalidArgument("--opt takes LANG=PARAMETER, got \"" + option + "\"");
    SPOKE_RETURN_IF_ERROR(FindLanguage(option.substr(0, eq)).status());
    parameters[option.substr(0, eq)] = option.substr(eq + 1);
  }
  return parameters;
}

Result<uint64_t> ParseSize(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string unit = text.substr(digits);
  if (unit.size() == 1)
    unit[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0])));
  int shift = unit.empty()  ? 0
              : unit == "K" ? 10
              : unit == "M" ? 20
              : unit == "G" ? 30
              : unit == "T" ? 40
                            : -1;
  const uint64_t number = digits == 0 || digits > 19 ? 0 : std::stoull(text.substr(0, digits));
  if (digits == 0 || digits > 19 || shift < 0 || number > (UINT64_MAX >> shift)) {
    return Status::InvalidArgument("expected a size such as 500M or 5G, got \"" + text + "\"");
  }
  return number << shift;
}

Result<CheckoutCache> LocalCheckoutCache() {
  uint64_t max_bytes = CheckoutCache::kDefaultMaxBytes;
  if (const char* max = std::getenv("SPOKE_CHECKOUT_CACHE_MAX"); max && *max) {
    auto parsed = ParseSize(max);
    if (!parsed.ok()) return parsed.status().WithContext("SPOKE_CHECKOUT_CACHE_MAX");
    max_bytes = *parsed;
  }
  return CheckoutCache((std::filesystem::path(LocalStorePath()) / "checkouts").string(), max_bytes);
}

SourceIdCache SourceIdsForDir(const std::string& dir) {
  const std::string cache_dir =
      (std::filesystem::path(LocalStorePath()) / "checkouts" / "sources").string();
  return SourceIdCache::Load(SourceIdIndexPath(cache_dir, dir));
}

Result<std::string> GoImportPrefixFor(const CompileArgs& args,
                                      const std::vector<std::string>& languages) {
  if (!args.go_package_prefix.empty()) {
    SPOKE_RETURN_IF_ERROR(ValidateGoImportPrefix(args.go_package_prefix));
    return args.go_package_prefix;
  }
  bool takes_go_import_paths = false;
  for (const auto& name : languages) {
    auto language = FindLanguage(name);
    takes_go_import_paths =
        takes_go_import_paths || (language.ok() && language->takes_go_import_paths);
  }
  if (!takes_go_import_paths) return std::string();
  if (!args.module.empty()) return DefaultGoImportPrefix(args.module);
  SPOKE_ASSIGN_OR_RETURN(ModuleConfig config, LoadModuleConfig(args.dir));
  if (!config.module.empty()) return DefaultGoImportPrefix(config.module);
  // "./proto/" and "." name their directory by what comes before the slash, or by where they are.
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::weakly_canonical(args.dir, ec);
  if (ec || dir.empty()) dir = std::filesystem::path(args.dir).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  return DefaultGoImportPrefix(dir.filename().string());
}

Result<CachedCompileRequest> RequestForDir(const CompileArgs& args,
                                           const std::vector<std::string>& languages,
                                           const std::map<std::string, std::string>& parameters,
                                           SourceIdCache* known) {
  SPOKE_ASSIGN_OR_RETURN(ModuleDirListing listing, ListModuleDir(args.dir));
  CachedCompileRequest request;
  request.languages = languages;
  request.parameters = parameters;
  SPOKE_ASSIGN_OR_RETURN(request.go_import_prefix, GoImportPrefixFor(args, languages));
  // The sources are hashed in pieces for the key and never held: a hit needs only their ids, and
  // a miss reads each once more when the parser opens it, so no copy of them stays in memory
  // through the compile.
  auto by_id = std::make_shared<std::map<std::string, std::string>>();  // blob id -> path on disk
  auto add_source = [&](const std::string& path, const std::string& on_disk) -> Status {
    SPOKE_ASSIGN_OR_RETURN(std::string id, known->IdOf(path, on_disk));
    request.sources[path] = id;
    by_id->emplace(std::move(id), on_disk);
    return Status::Ok();
  };
  for (const auto& [path, on_disk] : listing.own) {
    SPOKE_RETURN_IF_ERROR(add_source(path, on_disk));
    if (args.recursive || path.find('/') == std::string::npos) request.targets.push_back(path);
  }
  // Another module's files (below its own spoke.yaml or spoke.lock) may be imported, never
  // generated.
  for (const auto& [path, on_disk] : listing.nested)
    SPOKE_RETURN_IF_ERROR(add_source(path, on_disk));
  request.load = [by_id](const std::string& id) -> Result<std::string> {
    auto it = by_id->find(id);
    if (it == by_id->end()) return Status::NotFound("no source with blob id " + id);
    SPOKE_ASSIGN_OR_RETURN(std::string content, ReadFileToString(it->second));
    SPOKE_RETURN_IF_ERROR(ValidateProtoText(it->second, content));
    // What is compiled must be what the key named.
    if (GitBlobIdHex(content) != id) {
      return Status::Conflict(it->second +
                              " changed while it was being compiled; run the compile again");
    }
    return content;
  };
  if (request.targets.empty()) {
    return Status::InvalidArgument("no .proto files directly in " + args.dir + "; use --recursive");
  }
  return request;
}

std::string OutputBase(const std::string& out, const std::string& language, size_t languages) {
  return languages > 1 ? (std::filesystem::path(out) / language).string() : out;
}

std::optional<std::vector<Outcome>> PlaceFromCheckouts(
    const CompileArgs& args, const CheckoutCache& checkouts,
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

Result<bool> ServeFromCheckouts(const CompileArgs& args, const CheckoutCache& checkouts,
                                const CachedCompileRequest& request, const char* source) {
  SPOKE_ASSIGN_OR_RETURN(auto keys, ArtifactKeysFor(request));
  std::map<std::string, std::string> hex;
  for (const auto& [language, key] : keys) hex[language] = key.hex;
  auto placed = PlaceFromCheckouts(args, checkouts, hex);
  if (!placed) return false;
  PrintResult(args, *placed, 0, source);
  return true;
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
    std::printf(
        "%-12s %s  %s  key %s\n", outcome.language.c_str(),
        Plural(outcome.files.size(), "file").c_str(),
        outcome.cached ? "(cached)" : std::string("(compiled, ").append(source).append(")").c_str(),
        outcome.key.substr(0, 16).c_str());
  }
}

}  // namespace spoke::cli
