// Refs in PostgreSQL (the refs and ref_changes tables, postgres_schema.h): the compare-and-swap a
// backend's UpdateRefs runs inside its transaction, and what a server following other servers'
// writes reads.
#ifndef SPOKE_STORE_POSTGRES_REFS_H_
#define SPOKE_STORE_POSTGRES_REFS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "postgres/connection.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

// Applies every update when each ref is at its old_target ("" meaning absent): a ref that must not
// exist is INSERTed (a version tag: whoever inserts first wins, the others find it there), one
// that exists moves by UPDATE ... WHERE target = old_target, and an empty new_target deletes it
// the same way. Conflict, in the form of the other backends ("ref R is at X, expected Y"), naming
// the first ref in `updates`' order that differs; the updates before it stay applied in the
// transaction, which the caller then rolls back. A concurrent writer of the same ref makes this
// wait for its commit, then compare with what it committed. REQUIRES: inside a transaction (the
// pack rows first: this takes the ref writers' lock, LockRefWriters, which serialises ref writers
// until commit), `updates` sorted by name.
Status ApplyRefUpdates(postgres::Connection& connection, const std::vector<RefUpdate>& updates);

// Every ref whose name starts with `prefix`, sorted by name. RefEntry::peeled is left empty:
// peeling needs the objects, which the caller has.
Result<std::vector<RefEntry>> ListPostgresRefs(postgres::Connection& connection,
                                               const std::string& prefix);

// One row of ref_changes. An empty old_target: created; an empty new_target: deleted.
struct LoggedRefChange {
  int64_t seq = 0;
  std::string name;
  std::string old_target;
  std::string new_target;
  int64_t pack_id = 0;  // 0 when the writer declared none
};

// The changes committed after `after_seq`, oldest first, at most `limit` of them: what a server
// reads when it (re)connects and on every notification, from the last seq it applied. Sequence
// numbers become visible in order (postgres_schema.cc), so nothing below the last one read can
// appear later.
Result<std::vector<LoggedRefChange>> ReadRefChanges(postgres::Connection& connection,
                                                    int64_t after_seq, int limit);

// The sequence number of the last change committed (0 when none): where a follower that wants
// only what comes next starts, or where a backlog ends.
Result<int64_t> LastRefChangeSeq(postgres::Connection& connection);

}  // namespace spoke

#endif  // SPOKE_STORE_POSTGRES_REFS_H_
