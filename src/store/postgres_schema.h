// The tables of the store's PostgreSQL backend and the one function that creates or upgrades them
// (docs/storage.md, "PostgreSQL backend: the foundation"). The database is Spoke's alone: its
// tables have plain names.
//
//   packs            one row per stored pack, named by its checksum; immutable once written
//   pack_chunks      the pack's and its index's bytes in pieces of at most kPackChunkBytes
//   refs             name -> object id; a version tag is INSERTed (a second pusher hits the
//                    primary key, 23505), a branch moves by UPDATE ... WHERE target = old
//   ref_changes      every change of refs, appended by a trigger on refs, numbered in commit
//                    order; each committing transaction NOTIFYs kRefChangesChannel
//   jobs             work claimed with SELECT ... FOR UPDATE SKIP LOCKED under a lease
//   tokens           the registry's bearer tokens (hashes and scopes; spoke/sys/postgres_tokens.h)
//   schema_version   the migrations applied
#ifndef SPOKE_STORE_POSTGRES_SCHEMA_H_
#define SPOKE_STORE_POSTGRES_SCHEMA_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "postgres/connection.h"
#include "spoke/status.h"

namespace spoke {

// The schema version this code reads and writes.
inline constexpr int kPostgresSchemaVersion = 2;

// The largest pack_chunks.data: far below PostgreSQL's 1 GB value limit and libpq's int lengths,
// large enough that a chunk's row overhead is nothing, small enough that a server streams a pack
// without holding it whole.
inline constexpr size_t kPackChunkBytes = size_t{8} << 20;

// The channel every transaction that changes refs notifies (once, with an empty payload, when it
// commits). A listener re-reads ref_changes after the last sequence number it saw: NOTIFY has no
// replay, so what came while it was not listening is found there.
inline constexpr std::string_view kRefChangesChannel = "spoke_ref_changes";

// Sets the pack that the ref changes of the current transaction bring (ref_changes.pack_id);
// without it they record NULL. REQUIRES: inside a transaction.
Status SetRefChangesPack(postgres::Connection& connection, int64_t pack_id);

// Takes the ref writers' lock until the transaction ends: the lock the ref_changes trigger takes
// at a transaction's first ref change so that sequence numbers commit in order. A writer takes it
// before touching any ref row, so no writer holds a row lock while waiting for it, which two
// writers changing shared refs in different first refs would otherwise deadlock on.
// REQUIRES: inside a transaction.
Status LockRefWriters(postgres::Connection& connection);

struct SchemaMigration {
  int from_version = 0;  // 0: the database had no Spoke tables
  int to_version = 0;
};

// Brings the database's tables to kPostgresSchemaVersion: creates them in an empty database,
// applies the later steps to an older one, and does nothing to a current one (from == to). All in
// one transaction, under an advisory lock, so servers starting together migrate once and a failure
// leaves the database as it was. FailedPrecondition when the database is newer than this code.
Result<SchemaMigration> MigratePostgresSchema(postgres::Connection& connection);

}  // namespace spoke

#endif  // SPOKE_STORE_POSTGRES_SCHEMA_H_
