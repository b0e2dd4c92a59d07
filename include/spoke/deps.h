// Dependencies between modules: the source closure of a version (its files plus every pinned
// dependency's, transitively), the check that a version compiles against it, and the dependency
// graph walks behind recursive pulls and the dependencies API.
#ifndef SPOKE_DEPS_H_
#define SPOKE_DEPS_H_

#include <map>
#include <string>
#include <vector>

#include "spoke/imports.h"
#include "spoke/manifest.h"
#include "spoke/schema_image.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

// Parses "module@version" (as -dep takes it). InvalidArgument for anything else.
Result<std::pair<std::string, std::string>> ParseDependencySpec(const std::string& spec);

// One module version reached through the dependency graph, with the path that reached it
// ("order@v1.0.0 -> billing@v2.0.0 -> common@v1.2.0").
struct ReachedVersion {
  VersionInfo version;
  std::string path;
  std::string mount;  // of the pin that reached it (DependencyPin::mount)
};

// Every version `root_pins` lead to, transitively, each read from `store` (which must hold them).
// InvalidArgument naming both paths when two paths pin different versions of one module, or mount
// it in different places (one module's files are seen under one name in a closure); NotFound
// when a pinned version is missing, Corruption when its commit or digest differs from the pin.
Result<std::vector<ReachedVersion>> WalkDependencies(const Store& store,
                                                     const std::string& root_name,
                                                     const std::vector<DependencyPin>& root_pins);

// The sources of a closure for the schema checks: `files` (by content; they are the targets) plus
// every file of every version `pins` lead to (by blob id, read from `store`). InvalidArgument when
// two modules of the closure provide the same path with different content. REQUIRES: `files` and
// `store` outlive every use of the result.
Result<SchemaSources> ClosureSources(const Store& store, const std::string& name,
                                     const FileSet& files, const std::vector<DependencyPin>& pins);
// The same for a version already in `store`: its own files are the targets, read by blob id.
Result<SchemaSources> VersionSources(const Store& store, const VersionInfo& version);

// The original Spoke's import rule, applied to the pins a version declares: an import "M/rest" that
// neither `files` nor the closure of `*pins` provides, where M is the module of one of `*pins` and
// its version holds the file "rest", mounts that pin at M (DependencyPin::mount), so the file is
// seen as "M/rest". Module names may contain '/': the longest M that qualifies wins. A pin that is
// already mounted, or whose files some import needs at their own paths, is left alone. Returns the
// import statements that mounted a pin, one per pin. REQUIRES: `store` holds every pinned version.
Result<std::vector<ImportStatement>> MountByImports(const Store& store,
                                                    const std::string& root_name,
                                                    const FileSet& files,
                                                    std::vector<DependencyPin>* pins);

// Checks that `files` (a version about to be published, whose manifest pins `pins`) parse and
// link against their dependencies' files from `store`. InvalidArgument listing every error as
// file:line:col (an import nothing provides is named with where it is imported).
Status CheckVersionCompiles(const Store& store, const std::string& name, const FileSet& files,
                            const std::vector<DependencyPin>& pins);

}  // namespace spoke

#endif  // SPOKE_DEPS_H_
