// Reading a module's .proto files from a directory.
//
// A subdirectory that holds its own spoke.yaml or spoke.lock belongs to another module (a nested
// module, or a dependency tree `spoke pull -recursive` wrote there), so its files are never taken
// as this module's: push leaves them out, and validate and compile may import them but do not
// check or generate them. The directory itself may hold either file; that is its own
// configuration.
#ifndef SPOKE_CLI_MODULE_DIR_H_
#define SPOKE_CLI_MODULE_DIR_H_

#include <map>
#include <string>
#include <vector>

#include "spoke/manifest.h"
#include "spoke/status.h"

namespace spoke::cli {

// A subdirectory left out of a module directory's own files.
struct NestedModuleDir {
  std::string path;    // '/'-separated, relative to the module directory
  std::string marker;  // the file that made it another module's: "spoke.yaml" or "spoke.lock"
};

// A module directory's .proto files, each as its '/'-separated path relative to the directory ->
// its path on disk.
struct ModuleDirListing {
  std::map<std::string, std::string> own;     // the module's files
  std::map<std::string, std::string> nested;  // those below `skipped` directories
  std::vector<NestedModuleDir> skipped;       // sorted by path; the outermost ones only
};

// Every regular *.proto file below `dir`, split into the module's own and the nested modules'.
// Hidden directories (.git) and symlinks are skipped; other files are ignored. InvalidArgument
// when `dir` is not a directory, holds no .proto file of its own (naming the skipped
// directories, if that is why), or holds a path that is not a valid module path.
Result<ModuleDirListing> ListModuleDir(const std::string& dir);

// The same files with their contents, keyed by relative path.
struct ModuleDirFiles {
  FileSet own;
  FileSet nested;
  std::vector<NestedModuleDir> skipped;
};

// Reads what ListModuleDir lists. InvalidArgument naming file:line:col when a file is not UTF-8
// (ValidateProtoText).
Result<ModuleDirFiles> ReadModuleDir(const std::string& dir);

// How a skipped directory is reported: "skipping DIR/PATH: it holds its own MARKER".
std::string DescribeSkipped(const std::string& dir, const NestedModuleDir& skipped);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_MODULE_DIR_H_
