// Indexing a received pack, read from a file in pieces, without libgit2's indexer.
//
// Spoke's own packs never hold deltas (pack_writer.h), so indexing one is a single pass: inflate
// each entry, name it by its SHA-1, check it the way `git fsck --strict` would
// (object_checks.h), note its offset and CRC. That pass also records the SHA-256 and size of
// every blob, so checking a version's files against its manifest needs no second read. Packs with
// deltas (from other writers) are only walked and bounded here, then left to libgit2's indexer.
//
// Nothing is sized by a number the pack states before the bytes exist: entries are inflated in
// pieces of at most 256 KiB as their bytes arrive, no count is trusted beyond what the pack's size
// can hold, and the bounds below are checked before an entry is inflated.
#ifndef SPOKE_STORE_PACK_INDEX_H_
#define SPOKE_STORE_PACK_INDEX_H_

#include <git2.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// Bounds on a received pack (docs/storage.md, "Received packs"). A commit, tree or tag is held
// whole to be parsed and checked, so it may not exceed kMaxStructuralObjectBytes (a tree of 16 MiB
// lists some 200,000 files). A blob, or what a delta rebuilds, is hashed as it inflates and never
// held unless kept (below); it may not exceed kMaxBlobBytes, which an index of 32-bit offsets
// could not hold twice over anyway. All the entries of a pack may inflate to at most
// kInflationRatio times the pack's size plus kInflationSlack: zlib can reach about 1000:1, so
// this bounds the work a small pack can cause (a zlib bomb) while leaving generated code, which
// compresses at most some 10:1 at the level Spoke writes, far inside it.
inline constexpr uint64_t kMaxStructuralObjectBytes = uint64_t{16} << 20;
inline constexpr uint64_t kMaxBlobBytes = uint64_t{1} << 30;
inline constexpr uint64_t kInflationRatio = 64;
inline constexpr uint64_t kInflationSlack = uint64_t{64} << 20;

struct BlobDigest {
  std::string sha256;  // hex
  size_t size = 0;
  // The inflated content, when the indexer was asked to keep it (content_kept); a checkout that
  // follows then writes files without inflating every blob a second time.
  std::string content;
  bool content_kept = false;
};

struct IndexedPack {
  std::string pack_path, index_path;
  size_t objects = 0;
  std::map<std::string, BlobDigest> blobs;  // blob id (hex) -> digest
};

// One object of a pack, as a version 2 index records it.
struct PackIndexEntry {
  git_oid id;
  uint64_t offset;  // of the entry's header in the .pack
  uint32_t crc;     // CRC-32 of the entry's bytes (header and compressed data)
};

// The version 2 .idx of a pack whose trailer is `pack_checksum` (20 raw bytes). REQUIRES: `entries`
// sorted by id without duplicates. TooLarge for offsets past 2 GiB.
Result<std::string> EncodePackIndex(const std::vector<PackIndexEntry>& entries,
                                    const std::string& pack_checksum);
// "pack-<hex of pack_checksum>", the name git gives a pack's .pack and .idx.
std::string PackBaseName(const std::string& pack_checksum);

// Checks the pack that is the whole file `pack_path` (header, checksum, every entry's bounds).
// When it holds only whole objects, also names and checks every object (object_checks.h) and
// every link (to an object of the type the link says, in the pack or in `store_odb`), writes its
// version 2 index beside it and renames both to `dir`/pack-<checksum>.{pack,idx}: the result.
// nullopt when it holds deltas (everything but naming, checking and linking was done; libgit2's
// indexer is next). Corruption, naming what is wrong, for anything malformed or out of bounds.
// Keeps the content of blobs, in pack order, while their total size stays within
// `keep_content_bytes`. Nothing is synced (the caller does that when it moves the files).
Result<std::optional<IndexedPack>> IndexPackFile(const std::string& pack_path,
                                                 const std::string& dir, git_odb* store_odb,
                                                 size_t keep_content_bytes);

// The same for a pack held in memory, written to `dir` first (for tests and fuzzing).
Result<std::optional<IndexedPack>> IndexWholeObjectPack(const std::string& pack,
                                                        const std::string& dir, git_odb* store_odb,
                                                        size_t keep_content_bytes);

}  // namespace spoke

#endif  // SPOKE_STORE_PACK_INDEX_H_
