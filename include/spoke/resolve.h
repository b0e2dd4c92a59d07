// Resolving a module's dependencies before it is pushed or locked.
//
// An import must be satisfied, in this order, by: the module's own files; the compiler
// (well-known types); the files of the declared dependencies and everything they pin; a module
// the lock names (when a spoke.lock is honoured); the registry's import index (import_index.h).
// Every dependency ends up pinned to an exact version, commit and digest; the pins of the last two
// steps are reported with the import that needed them, so the CLI can say what it resolved.
//
// Layer: remote (docs/architecture.md). Resolution fetches from a registry (sync.h), so it sits
// with the client, above deps.h, whose walks it uses.
#ifndef SPOKE_RESOLVE_H_
#define SPOKE_RESOLVE_H_

#include <set>
#include <string>
#include <vector>

#include "spoke/imports.h"
#include "spoke/lockfile.h"
#include "spoke/manifest.h"
#include "spoke/remote.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

struct ResolveRequest {
  std::string module;
  std::string version;  // only for messages ("order@v1.0.0 -> common@v1.2.0"); may be empty
  const FileSet* files = nullptr;
  // Declared dependencies: module and version ("latest" allowed); commit and digest empty.
  std::vector<DependencyPin> declared;
  // When set, the lock is honoured: "latest" means the locked version, locked modules are tried
  // before the index, and every version in the closure must match the lock (commit and digest).
  const Lockfile* lock = nullptr;
  std::string lock_path;  // for messages
  // Paths importable besides `files` without a dependency (the files of modules nested in a
  // directory being validated): they satisfy imports and are never resolved. May be null.
  const std::set<std::string>* also_importable = nullptr;

  // "module@version", or the module alone when the version is unknown.
  std::string Label() const { return version.empty() ? module : module + "@" + version; }
};

// An import satisfied by a dependency that was not declared.
struct ResolvedImport {
  ImportStatement import;  // the first statement importing the path
  DependencyPin pin;
  std::string source;  // "spoke.lock", "registry index" or "declared; mounted under its name"
};

struct Resolution {
  // Exact pins for the manifest: the declared ones in their order, then those from the lock, then
  // those from the index (by module name).
  std::vector<DependencyPin> pins;
  std::vector<ResolvedImport> resolved;
};

// Resolves `request`, fetching every version it pins (and theirs) into `local`. With `remote` null
// it works offline: only versions the local store holds are pinned ("latest" is its highest
// release) and the import index is built from the local store. Declared dependencies are mounted
// by the original Spoke's import rule (MountByImports in deps.h); the index and the lock may answer
// with a mounted pin too.
// InvalidArgument when some import cannot be resolved, listing each as
// "file:line:col: <why>": nothing provides it, or several modules do (all named). Conflict when
// the lock disagrees; InvalidArgument naming both paths when two versions of one module are
// needed; Unavailable when the registry cannot be reached.
Result<Resolution> ResolveDependencies(Store& local, RemoteClient* remote,
                                       const ResolveRequest& request);

}  // namespace spoke

#endif  // SPOKE_RESOLVE_H_
