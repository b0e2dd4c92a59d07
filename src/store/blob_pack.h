// Writing many new blobs at once as one pack, instead of one loose object file each.
//
// A generated artifact holds thousands of files (16,000 for the C++ of the google-proto-files
// corpus). As loose objects each costs a file creation, zlib at the default level and libgit2's
// collision-detecting SHA-1. As one pack they cost one file, zlib's fastest level on every core
// and OpenSSL's SHA-1, like the packs Spoke sends (pack_writer.h).
#ifndef SPOKE_STORE_BLOB_PACK_H_
#define SPOKE_STORE_BLOB_PACK_H_

#include <git2.h>

#include <string>
#include <string_view>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// Writes `index` (the .idx of the complete pack at `pack_file`, whose trailer is `checksum`) beside
// it, then moves both into `store_path`/objects/pack/ under git's name for them, .pack first: git
// and libgit2 only see a pack once its .idx is there.
Status InstallPack(const std::string& pack_file, const std::string& index,
                   const std::string& checksum, const std::string& store_path);

// The git blob id of `content`, computed without writing anything.
git_oid HashBlob(std::string_view content);

// Makes every blob of `contents` present in the store at `repo` and returns their ids, in order.
// Blobs the store already has are not written again; the others go into one new pack (moved into
// objects/pack/ only once complete, .pack before .idx) when there are at least `pack_threshold`
// of them and the store has a directory, else into loose objects (written through the odb).
Result<std::vector<git_oid>> WriteBlobs(git_repository* repo,
                                        const std::vector<std::string_view>& contents,
                                        size_t pack_threshold);

}  // namespace spoke

#endif  // SPOKE_STORE_BLOB_PACK_H_
