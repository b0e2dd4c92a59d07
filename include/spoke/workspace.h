// A workspace: one directory tree holding several modules, as `spoke batch-push` sees it.
//
// Discovery (FindModules, then ReadModuleFiles):
//   - Each directory holding a spoke.yaml is a module root: the workspace root itself and its
//     direct subdirectories, or directories at any depth when `recursive` (without it, a deeper
//     spoke.yaml is an error rather than files silently pushed in another module). A module's files
//     are the .proto files below its root, paths relative to it (as `spoke push -dir` reads them),
//     minus those below a nested module root. Its name is spoke.yaml's `module:`, else the root's
//     path relative to the workspace root; its version spoke.yaml's `version:`, else none (the
//     caller decides: batch-push's -version, or one derived from git).
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
  std::string version;  // FindModules: spoke.yaml's version, empty when it names none
  std::string dir;      // its module root, or its top-level directory; where its spoke.lock lives
  std::map<std::string, std::string> sources;  // its file paths -> their paths on disk
  FileSet files;                               // their contents, filled by ReadModuleFiles
  std::vector<std::string> declared;           // spoke.yaml's deps, "module@version"
  // Filled by OrderByImports: the workspace modules it needs, each with the first import that
  // needs it (an import with an empty path when only spoke.yaml declares it).
  std::map<std::string, ImportStatement> needs;
};

// The modules under `root`, sorted by name, with their sources but not their contents; spoke.yaml
// files below the top level are module roots only when `recursive`. InvalidArgument when the tree
// is not one of modules: `root` is not a directory or holds no .proto file, a spoke.yaml is below
// the top level without `recursive` or does not parse, a name is not a valid module name, two
// modules have one name, a .proto file is outside every module or its path is not a valid module
// path. IOError when the tree cannot be read.
Result<std::vector<WorkspaceModule>> FindModules(const std::string& root, bool recursive);

// Reads each module's sources into its files. InvalidArgument naming file:line:col for text that
// is not UTF-8 (ValidateProtoText); IOError when a file cannot be read.
Status ReadModuleFiles(std::vector<WorkspaceModule>* modules);

// Fills in each module's `needs` and returns the modules in push order. InvalidArgument when two
// modules hold the same file path, or for a cycle:
//   "import cycle between modules: a -> b -> a (a/a.proto:3:1 imports "b/b.proto";
//    b/b.proto:3:1 imports "a/a.proto")"
Result<std::vector<WorkspaceModule>> OrderByImports(std::vector<WorkspaceModule> modules);

}  // namespace spoke

#endif  // SPOKE_WORKSPACE_H_
