// Whole-file reads and writes on the local file system, as Status values.
#ifndef SPOKE_UTIL_FILES_H_
#define SPOKE_UTIL_FILES_H_

#include <map>
#include <string>
#include <string_view>

#include "spoke/status.h"

namespace spoke {

Result<std::string> ReadFileToString(const std::string& path);
// Writes through a temporary file and a rename, so a reader never sees half a file. Creates the
// parent directories.
Status WriteFileAtomically(const std::string& path, const std::string& contents);

// Writes `contents` to `path` in place (truncating), like git's checkout: faster than
// WriteFileAtomically for many files. REQUIRES: the parent directory exists.
Status WriteFileInPlace(const std::string& path, std::string_view contents);

// Writes every file of `files` (relative path -> content) under `dir` in place, creating the
// directories first, on several threads. REQUIRES: paths already checked to stay under `dir`.
Status WriteFilesUnder(const std::string& dir, const std::map<std::string, std::string>& files);

}  // namespace spoke

#endif  // SPOKE_UTIL_FILES_H_
