// Reading a module's .proto files from a directory.
#ifndef SPOKE_CLI_MODULE_DIR_H_
#define SPOKE_CLI_MODULE_DIR_H_

#include <string>

#include "spoke/manifest.h"
#include "spoke/status.h"

namespace spoke::cli {

// Every regular *.proto file below `dir`, keyed by its '/'-separated path relative to `dir`.
// Hidden directories (.git) and symlinks are skipped; other files are ignored. InvalidArgument
// when `dir` is not a directory or holds no .proto file.
Result<FileSet> ReadModuleDir(const std::string& dir);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_MODULE_DIR_H_
