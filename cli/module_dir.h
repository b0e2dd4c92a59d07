// Reading a module's .proto files from a directory.
#ifndef SPOKE_CLI_MODULE_DIR_H_
#define SPOKE_CLI_MODULE_DIR_H_

#include <map>
#include <string>

#include "spoke/manifest.h"
#include "spoke/status.h"

namespace spoke::cli {

// Every regular *.proto file below `dir`: its '/'-separated path relative to `dir` -> its path on
// disk. Hidden directories (.git) and symlinks are skipped; other files are ignored.
// InvalidArgument when `dir` is not a directory, holds no .proto file, or holds a path that is
// not a valid module path.
Result<std::map<std::string, std::string>> ListModuleDir(const std::string& dir);

// The same files with their contents, keyed by relative path. InvalidArgument naming
// file:line:col when a file is not UTF-8 (ValidateProtoText).
Result<FileSet> ReadModuleDir(const std::string& dir);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_MODULE_DIR_H_
