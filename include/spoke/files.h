// Whole-file reads and writes on the local file system, as Status values.
#ifndef SPOKE_FILES_H_
#define SPOKE_FILES_H_

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spoke/status.h"

namespace spoke {

Result<std::string> ReadFileToString(const std::string& path);
// The git blob id (hex) of the regular file at `path`, read in pieces and never held whole.
// Conflict when the file changed size while it was read.
Result<std::string> GitBlobIdHexOfFile(const std::string& path);
// The same, and `*seen` is the file's stat data as it was opened (before it was read).
Result<std::string> GitBlobIdHexOfFile(const std::string& path, struct stat* seen);
// Writes through a temporary file and a rename, so a reader never sees half a file. Creates the
// parent directories.
Status WriteFileAtomically(const std::string& path, const std::string& contents);

// Writes `contents` to `path` without a temporary file, like git's checkout: faster than
// WriteFileAtomically for many files. A file already at `path` is unlinked first, never truncated
// and written through: it may be a hard link shared with a cache (checkout_cache.h). Missing
// parent directories are made, as `mkdir -p` would (several threads or processes may make the
// same ones at once).
Status WriteFileInPlace(const std::string& path, std::string_view contents);
// The same for contents given in pieces, written one after another.
Status WriteFileInPlace(const std::string& path, const std::vector<std::string_view>& pieces);

// Copies the regular file `from` (never a symlink) to `to` (replaced as WriteFileInPlace replaces),
// through copy_file_range where the kernel can, so the bytes never pass through user space. Fails,
// leaving no file at `to`, when `from` does not hold exactly `size` bytes.
Status CopyFileReplacing(const std::string& from, const std::string& to, uint64_t size);
// The same from `in`, a descriptor open for reading at offset 0 (left open); `from` names it in
// errors.
Status CopyOpenFileReplacing(int in, const std::string& from, const std::string& to, uint64_t size);

// Hard-links `to` to `from` (a file already at `to` is replaced; missing parent directories are
// made). Unavailable when the file
// system cannot (another file system, no hard links, too many links): the caller copies instead.
Status LinkFileReplacing(const std::string& from, const std::string& to);

// Writes every file of `files` (relative path -> content) under `dir` in place, each making the
// directories it needs, on several threads. REQUIRES: paths already checked to stay under `dir`.
Status WriteFilesUnder(const std::string& dir, const std::map<std::string, std::string>& files);

}  // namespace spoke

#endif  // SPOKE_FILES_H_
