// Archives of generated code for download: zip or tar.gz, built in memory with libarchive.
//
// Archives are deterministic: entries sorted by path, every entry with the same fixed time
// (1980-01-01, the earliest a zip can hold), mode 0644, no owner names, so the same files always
// give the same bytes (and the same ETag).
#ifndef SPOKE_ARCHIVE_H_
#define SPOKE_ARCHIVE_H_

#include <map>
#include <string>

#include "spoke/status.h"

namespace spoke {

enum class ArchiveFormat { kZip, kTarGz };

// "zip" or "tar.gz"; InvalidArgument otherwise.
Result<ArchiveFormat> ParseArchiveFormat(const std::string& name);
const char* ArchiveContentType(ArchiveFormat format);
const char* ArchiveExtension(ArchiveFormat format);

Result<std::string> MakeArchive(const std::map<std::string, std::string>& files,
                                ArchiveFormat format);

}  // namespace spoke

#endif  // SPOKE_ARCHIVE_H_
