// A workspace: one directory tree holding several modules, as `spoke batch-push` sees it.
//
// Discovery (DiscoverModules):
//   - Each directory holding a spoke.yaml is a module root: the workspace root itself and its
//     direct subdirectories, or directories at any depth when `recursive` (without it, a deeper
//     spoke.yaml is an error rather than files silently pushed in another module). A module's files are
//     the .proto files below its root, paths relative to it (as `spoke push -dir` reads them),
//     minus those below a nested module root. Its name is spoke.yaml's `module:`, else the root's
//     path relative to the workspace root; its version spoke.yaml's `version:`, else the default.
//     A .proto file outside every module root is an error (it would silently not be pushed).
//   - With no spoke.yaml anywhere, each top-level directory is one module named after it, whose
//     files keep their paths relative to the workspace root: the workspace root is the import
//     root, as for `protoc -I root`. A .proto file directly in the root is an error.
//
// Ordering (OrderByImports): module A needs module B when a file of A imports a file of B, or A
// declares B in its spoke.yaml. Modules are ordered so every module comes after those it needs,
// depth first in name order, so one tree always gives one order; a cycle is an error naming it.
#ifndef SPOKE_WORKSPACE_H_
#define SPOKE_WORKSPACE_H_

#include <map>
#include <string>
#include <vector>

#include "spoke/imports.h"
#include "spoke/manifest.h"
#include "spoke/status.h"

namespace spoke {

struct WorkspaceModule {
  std::string name;
  std::string version;
  std::string dir;  // its module root, or its top-level directory; where its spoke.lock lives
  FileSet files;
  std::vector<std::string> declared;  // spoke.yaml's deps, "module@version"
  // Filled by OrderByImports: the workspace modules it needs, each with the first import that
  // needs it (an import with an empty path when only spoke.yaml declares it).
  std::map<std::string, ImportStatement> needs;
};

struct WorkspaceOptions {
  bool recursive = false;
  std::string default_version;  // for modules whose spoke.yaml names no version
};

// The modules under `root`, sorted by name. InvalidArgument when there is none, for a module
// without a version, a name that is not a valid module name, two modules of one name, and a
// .proto file outside every module.
Result<std::vector<WorkspaceModule>> DiscoverModules(const std::string& root, const WorkspaceOptions& options);

// Fills in each module's `needs` and returns the modules in push order. InvalidArgument when two
// modules hold the same file path, or for a cycle:
//   "import cycle between modules: a -> b -> a (a/a.proto:3:1 imports "b/b.proto";
//    b/b.proto:3:1 imports "a/a.proto")"
Result<std::vector<WorkspaceModule>> OrderByImports(std::vector<WorkspaceModule> modules);

}  // namespace spoke

#endif  // SPOKE_WORKSPACE_H_
