// Packs in PostgreSQL (the packs and pack_chunks tables, postgres_schema.h): a verified pack and
// its index go in as chunks of kPackChunkBytes, and come out chunk by chunk, so neither side holds
// a whole pack in memory (packs reach gigabytes; a bytea value stops at 1 GB).
#ifndef SPOKE_STORE_POSTGRES_PACKS_H_
#define SPOKE_STORE_POSTGRES_PACKS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "postgres/connection.h"
#include "spoke/status.h"

namespace spoke {

enum class PackPart { kPack, kIndex };

// A packs row.
struct StoredPack {
  int64_t id = 0;
  std::string name;  // the pack's checksum, 40 hex
  int64_t size = 0;  // of the .pack file
  int64_t index_size = 0;
  int64_t object_count = 0;
};

// Stores the pack file at `pack_path` and its index at `index_path` as a new packs row named
// `name` (the pack's checksum) with their chunks, and answers the row. The pack must have been
// verified already (the quarantine's checks): nothing here reads it as git. REQUIRES: inside a
// transaction, so the pack becomes visible with the refs that need it, or not at all. Conflict
// when a pack of that name is stored already (another server stored the same pack); IOError when
// a file cannot be read.
Result<StoredPack> StorePackFiles(postgres::Connection& connection, const std::string& name,
                                  int64_t object_count, const std::string& pack_path,
                                  const std::string& index_path);

// The packs row named `name`; NotFound when there is none.
Result<StoredPack> FindPack(postgres::Connection& connection, const std::string& name);

// Hands one part of `pack` to `sink` chunk by chunk, in order, one statement per chunk.
// Corruption, naming the pack and the chunk, when a chunk is missing or the chunks do not add up to
// the size the row records; the sink's error, when it answers one, stops the read. Packs are
// immutable, so chunks read in separate statements belong together; a pack that compaction
// removed meanwhile (its row and chunks deleted) reads as Corruption, which is why a cache's fill
// that meets one lists the packs again (postgres_pack_cache.h): the compacted pack holding its
// objects was listed in the same transaction.
Status ReadPackPart(postgres::Connection& connection, const StoredPack& pack, PackPart part,
                    const std::function<Status(std::string_view)>& sink);

}  // namespace spoke

#endif  // SPOKE_STORE_POSTGRES_PACKS_H_
