// Indexing a received pack of whole objects without libgit2's indexer.
//
// Spoke's own packs never hold deltas (pack_writer.h), so indexing one is a single pass: inflate
// each entry, name it by its SHA-1, note its offset and CRC. That pass also records the SHA-256 and
// size of every blob, so checking a version's files against its manifest needs no second read.
// Packs with deltas (from other writers) are left to libgit2's indexer.
#ifndef SPOKE_STORE_PACK_INDEX_H_
#define SPOKE_STORE_PACK_INDEX_H_

#include <git2.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spoke/status.h"

namespace spoke {

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
Result<std::string> EncodePackIndex(const std::vector<PackIndexEntry>& entries, const std::string& pack_checksum);
// "pack-<hex of pack_checksum>", the name git gives a pack's .pack and .idx.
std::string PackBaseName(const std::string& pack_checksum);

// Checks `pack` (checksum, every entry, every link resolves to an object in the pack or in
// `store_odb`) and writes it with a version 2 index into `dir`. nullopt when the pack holds deltas;
// Corruption for anything malformed. Keeps the content of blobs, in pack order, while their total
// size stays within `keep_content_bytes`.
Result<std::optional<IndexedPack>> IndexWholeObjectPack(const std::string& pack, const std::string& dir,
                                                        git_odb* store_odb, size_t keep_content_bytes);

}  // namespace spoke

#endif  // SPOKE_STORE_PACK_INDEX_H_
