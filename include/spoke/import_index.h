// The import index: which module versions provide each .proto path, so an import nobody declared
// can be resolved to a module (the registry's POST /imports/resolve, docs/api.md).
//
// The rule for one path, applied by Resolve():
//   - every module with a version whose files include the path is a provider;
//   - a provider's candidate is its highest release holding the path (a module whose versions
//     holding it are all pre-releases offers its highest pre-release instead);
//   - no module holds the path: by the original Spoke's rule, "M/rest" is the file "rest" of module
//     M (module names may contain '/': the longest M holding "rest" wins), resolved to M's
//     candidate for "rest" with the pin mounted at M (DependencyPin::mount);
//   - one provider: resolved to its candidate. None: unresolved. Several: ambiguous, and every
//     candidate is named. Picking one would make a push's dependencies depend on which module
//     happened to publish the path, so the pusher is asked to declare the one meant (-dep).
//
// The index is derived data: Build() reads every version of a store (a registry does it once at
// start), Add() records each version published after that. Nothing of it is stored.
//
// Thread safety: Add() and the queries may run concurrently from any threads.
#ifndef SPOKE_IMPORT_INDEX_H_
#define SPOKE_IMPORT_INDEX_H_

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "spoke/manifest.h"
#include "spoke/semver.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

// What the index says about one import path.
struct ImportResolution {
  enum class Outcome { kResolved, kUnresolved, kAmbiguous };
  std::string path;
  Outcome outcome = Outcome::kUnresolved;
  // kResolved: the provider's module and version. The registry fills in commit and digest.
  DependencyPin pin;
  // kAmbiguous: "module@version" of every provider's candidate, sorted.
  std::vector<std::string> candidates;
};

// One module providing a path, with every version of it that does (lowest precedence first).
struct ImportProvider {
  std::string module;
  std::vector<std::string> versions;
};

class ImportIndex {
 public:
  ImportIndex() = default;
  // An index of every version in `store`; the store's reads run on a few threads. A version that
  // cannot be read is left out (a registry still serves the rest) and its error appended to
  // `*unreadable` when that is not null. Fails only when the store's refs cannot be listed.
  static Result<std::unique_ptr<ImportIndex>> Build(const Store& store,
                                                    std::vector<Status>* unreadable);

  // Records the files of a published version. Adding a version twice changes nothing.
  // REQUIRES: the manifest's version is valid semver (as every stored manifest's is).
  void Add(const Manifest& manifest);

  // The providers of `path`, sorted by module name; empty when none.
  std::vector<ImportProvider> Providers(const std::string& path) const;
  // Applies the rule above.
  ImportResolution Resolve(const std::string& path) const;
  // How many versions have been added.
  size_t version_count() const;

  ImportIndex(const ImportIndex&) = delete;
  ImportIndex& operator=(const ImportIndex&) = delete;

 private:
  // Versions are interned per module; each path maps every providing module to the indexes (into
  // that module's list) of the versions holding it, so a path costs four bytes per version.
  struct ModuleVersions {
    std::vector<SemVer> versions;
    std::map<std::string, uint32_t> by_name;
  };
  mutable std::shared_mutex mutex_;
  std::map<std::string, ModuleVersions> modules_;
  std::unordered_map<std::string, std::map<std::string, std::vector<uint32_t>>> paths_;
  size_t version_count_ = 0;
};

}  // namespace spoke

#endif  // SPOKE_IMPORT_INDEX_H_
