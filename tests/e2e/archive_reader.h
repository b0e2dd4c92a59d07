// The registry's downloads, read back in tests: every entry of a zip or tar.gz held in memory,
// through libarchive (a reader independent of the writer's settings), and a way to let stock unzip
// and tar list the same bytes.
#ifndef SPOKE_TESTS_E2E_ARCHIVE_READER_H_
#define SPOKE_TESTS_E2E_ARCHIVE_READER_H_

#include <string>
#include <vector>

#include "spoke/manifest.h"

namespace spoke::e2e {

// Every regular file of the archive in `bytes` (zip or tar.gz, detected from the bytes), keyed
// by its path. Records a test failure, and returns what it read so far, when the archive is
// malformed, holds a path twice, or holds anything but regular files.
FileSet ReadArchive(const std::string& bytes);

// Writes `bytes` to `path` and lists the archive's entry names with stock tools (`unzip -Z1` for a
// zip, `tar tzf` for a tar.gz), one per element in the tool's order. Records a test failure when
// the tool rejects the archive (for a zip, `unzip -tq` must also find every entry intact).
std::vector<std::string> ListWithStockTool(const std::string& bytes, const std::string& path,
                                           bool zip);

}  // namespace spoke::e2e

#endif  // SPOKE_TESTS_E2E_ARCHIVE_READER_H_
