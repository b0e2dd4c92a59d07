// What `spoke compile` shares between its two programs: the flags, the request for a local
// directory, and serving a request from the checkout cache. The `spoke` front end
// (front_main.cc) serves checkout-cache hits with only this; spoke-core (cmd_compile.cc) does
// everything else. Nothing here loads libprotoc, libgit2 or the HTTP transport.
#ifndef SPOKE_CLI_COMPILE_COMMON_H_
#define SPOKE_CLI_COMPILE_COMMON_H_

#include <CLI/CLI.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spoke/artifact_cache.h"
#include "spoke/checkout_cache.h"
#include "spoke/source_id_cache.h"
#include "spoke/status.h"

namespace spoke::cli {

struct CompileArgs {
  std::string dir, module, version = "latest", out, languages;
  std::string go_package_prefix;     // empty: the module's default (GoImportPrefixFor)
  std::vector<std::string> options;  // LANG=PARAMETER
  bool recursive = false, json = false, explain_key = false, offline = false, link = false;
  bool exclude_imports = false;  // generate only the module's own files, not its dependencies'
};

// Adds compile's flags (and its help footer) to `sub`, bound to `*args`.
void DefineCompileFlags(CLI::App* sub, CompileArgs* args);

// --opt values as language -> parameter; InvalidArgument for a malformed one or unknown language.
Result<std::map<std::string, std::string>> ParseOptions(const std::vector<std::string>& options);

// "500M", "5G", "1T", "123456": bytes, with K, M, G or T (either case) for powers of 1024.
Result<uint64_t> ParseSize(const std::string& text);

// The local store's checkout cache, bounded by $SPOKE_CHECKOUT_CACHE_MAX (0: no bound).
Result<CheckoutCache> LocalCheckoutCache();

// The blob ids remembered for the sources of `dir`, in checkouts/sources/ of the local store.
// The caller saves it once the command succeeded (a store is there to hold it by then).
SourceIdCache SourceIdsForDir(const std::string& dir);

// The Go import prefix of a compile: --go-package-prefix when given (InvalidArgument when it is not
// a Go import path), else DefaultGoImportPrefix of the module: -module's, or for -dir the module
// its spoke.yaml names, else the directory's base name. Reads spoke.yaml only when a language of
// `languages` takes Go import paths and no prefix was given; empty when none does.
Result<std::string> GoImportPrefixFor(const CompileArgs& args,
                                      const std::vector<std::string>& languages);

// The request for -dir: every .proto file under it as a source named by its git blob id, and as
// targets the module's files directly in it (all of its own with --recursive; never those of a
// nested module, module_dir.h), with GoImportPrefixFor(args). The sources are hashed, not kept,
// and a file whose stat data is as `known` remembers it is not read at all; a miss reads each
// again when the parser opens it (`load`), and fails with Conflict if it no longer has the id the
// key was made from.
Result<CachedCompileRequest> RequestForDir(const CompileArgs& args,
                                           const std::vector<std::string>& languages,
                                           const std::map<std::string, std::string>& parameters,
                                           SourceIdCache* known);

// One language's result, as printed.
struct Outcome {
  std::string language, key;
  std::vector<std::string> files;
  bool cached = false;
};

// Where a language's files go: `out`, or out/<lang> when several languages were asked.
std::string OutputBase(const std::string& out, const std::string& language, size_t languages);

// Serves every language from the checkout cache, or none: nullopt when a key is missing there (or
// a file of it changed while being placed), and the caller goes to the store.
std::optional<std::vector<Outcome>> PlaceFromCheckouts(
    const CompileArgs& args, const CheckoutCache& checkouts,
    const std::map<std::string, std::string>& keys);

// Serves every language of `request` from the checkout cache and prints the outcome: true when it
// did, false when an artifact is missing there (the caller goes to the store). An error is one
// computing the keys (a plugin that is not installed).
Result<bool> ServeFromCheckouts(const CompileArgs& args, const CheckoutCache& checkouts,
                                const CachedCompileRequest& request, const char* source);

// Prints the outcome (--json for scripts); `source` says who compiled ("locally", "by the
// registry").
void PrintResult(const CompileArgs& args, const std::vector<Outcome>& outcomes, int generator_runs,
                 const char* source);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_COMPILE_COMMON_H_
