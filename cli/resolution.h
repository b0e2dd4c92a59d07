// What push, lock and batch-push share about dependencies: reading the declared ones, honouring a
// directory's spoke.lock, and reporting what was resolved.
#ifndef SPOKE_CLI_RESOLUTION_H_
#define SPOKE_CLI_RESOLUTION_H_

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "context.h"
#include "spoke/deps.h"
#include "spoke/json.h"
#include "spoke/lockfile.h"
#include "spoke/module_config.h"
#include "spoke/resolve.h"

namespace spoke::cli {

// "module@version" specs (from -dep and spoke.yaml) as unresolved pins.
Result<std::vector<DependencyPin>> ParseDeclared(const std::vector<std::string>& specs);

// dir/spoke.lock when it exists, nullopt when it does not.
Result<std::optional<Lockfile>> LoadDirLock(const std::string& dir);

// Whether the module directory's files need anything from outside it: a dependency spoke.yaml
// declares, or an import that is none of `files`, none of `also_importable` and not the compiler's.
bool NeedsDependencies(const ModuleConfig& config, const FileSet& files,
                       const std::set<std::string>& also_importable);

// The dependencies of the module directory `dir` (its spoke.yaml `config` and its files `files`),
// pinned as `spoke push` pins them: spoke.yaml's deps, dir/spoke.lock, then the registry's import
// index, each version fetched into `store`. When the registry cannot be reached, the same from the
// local store alone, said on stderr, so "validate before you push" works offline too.
Result<Resolution> ResolveDirDependencies(Store& store, const GlobalFlags& flags,
                                          const std::string& dir, const ModuleConfig& config,
                                          const FileSet& files,
                                          const std::set<std::string>& also_importable);

// module@version ("latest" asks the registry) and every version it pins, transitively: from the
// local store when it has them all (no network), else fetched, connecting to the registry (into
// *remote) only then. The root comes first.
struct VersionClosure {
  VersionInfo root;
  std::vector<ReachedVersion> reached;
};
Result<VersionClosure> LoadVersionClosure(Store& store, std::unique_ptr<RemoteClient>* remote,
                                          const GlobalFlags& flags, const std::string& module,
                                          const std::string& version);

// One line per import resolved without a declaration, on stdout:
//   "resolved common/types.proto -> common@v1.2.0 (registry index)", indented by `indent`.
void PrintResolved(const Resolution& resolution, const char* indent);
// The same as a JSON array of {"import", "at", "module", "version", "source"}.
Json ResolvedToJson(const Resolution& resolution);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_RESOLUTION_H_
