// Writing a set of objects as one pack with its index: what the PostgreSQL backend (a push's
// objects held in memory), its compaction (small packs merged) and `spoke-server migrate` (a
// store's objects) all do before storing a pack in the database.
#ifndef SPOKE_STORE_PACK_WRITE_H_
#define SPOKE_STORE_PACK_WRITE_H_

#include <git2.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "spoke/status.h"

namespace spoke {

struct WrittenPack {
  std::string name;        // the pack's checksum, hex
  std::string pack_path;   // <dir>/pack-<name>.pack
  std::string index_path;  // <dir>/pack-<name>.idx
  int64_t object_count = 0;
};

// Packs the `count` objects at `ids`, read from `repo`, into `dir` with libgit2's packbuilder
// (which finds deltas among them). An error naming the object that could not be read or the
// directory that could not be written. REQUIRES: `dir` exists.
Result<WrittenPack> WritePackOf(git_repository* repo, const git_oid* ids, size_t count,
                                const std::string& dir);

}  // namespace spoke

#endif  // SPOKE_STORE_PACK_WRITE_H_
