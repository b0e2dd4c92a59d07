// The refs table's compare-and-swap, listing and change log reads.
#include "store/postgres_refs.h"

#include "store/postgres_schema.h"

namespace spoke {
namespace {

using postgres::Param;

std::string OrNothing(const std::string& target) { return target.empty() ? "nothing" : target; }

// The Conflict for `update` once its statement touched no row: what the ref holds now.
Status Mismatch(postgres::Connection& connection, const RefUpdate& update) {
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows rows,
      connection.Execute("SELECT target FROM refs WHERE name = $1", {Param::Text(update.name)}));
  std::string current = rows.size() == 0 ? "" : std::string(rows.Bytes(0, 0));
  return Status::Conflict("ref " + update.name + " is at " + OrNothing(current) + ", expected " +
                          OrNothing(update.old_target));
}

}  // namespace

Status ApplyRefUpdates(postgres::Connection& connection, const std::vector<RefUpdate>& updates) {
  SPOKE_RETURN_IF_ERROR(LockRefWriters(connection));
  for (const RefUpdate& update : updates) {
    Result<postgres::Rows> done = Status::Internal("no statement");
    if (update.old_target.empty()) {
      // ON CONFLICT DO NOTHING rather than a unique violation: the loser learns it lost without
      // aborting its transaction, so the message can say what the ref holds.
      done = connection.Execute(
          "INSERT INTO refs (name, target) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
          {Param::Text(update.name), Param::Text(update.new_target)});
    } else if (update.new_target.empty()) {
      done = connection.Execute("DELETE FROM refs WHERE name = $1 AND target = $2",
                                {Param::Text(update.name), Param::Text(update.old_target)});
    } else {
      done = connection.Execute("UPDATE refs SET target = $3 WHERE name = $1 AND target = $2",
                                {Param::Text(update.name), Param::Text(update.old_target),
                                 Param::Text(update.new_target)});
    }
    if (!done.ok()) return done.status().WithContext("ref " + update.name);
    if (done->affected() != 1) return Mismatch(connection, update);
  }
  return Status::Ok();
}

Result<std::vector<RefEntry>> ListPostgresRefs(postgres::Connection& connection,
                                               const std::string& prefix) {
  // starts_with, not LIKE: a prefix holding '_' or '%' means itself. COLLATE "C": byte order, as
  // git sorts refs.
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows rows,
      connection.Execute("SELECT name, target FROM refs WHERE starts_with(name, $1)"
                         " ORDER BY name COLLATE \"C\"",
                         {Param::Text(prefix)}));
  std::vector<RefEntry> refs;
  refs.reserve(rows.size());
  for (int r = 0; r < rows.size(); ++r) {
    refs.push_back({std::string(rows.Bytes(r, 0)), std::string(rows.Bytes(r, 1)), ""});
  }
  return refs;
}

Result<int64_t> LastRefChangeSeq(postgres::Connection& connection) {
  SPOKE_ASSIGN_OR_RETURN(postgres::Rows rows,
                         connection.Execute("SELECT coalesce(max(seq), 0) FROM ref_changes"));
  return rows.Int64(0, 0);
}

Result<std::vector<LoggedRefChange>> ReadRefChanges(postgres::Connection& connection,
                                                    int64_t after_seq, int limit) {
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows rows,
      connection.Execute("SELECT seq, name, old_target, new_target, coalesce(pack_id, 0)"
                         " FROM ref_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                         {Param::Int64(after_seq), Param::Int64(limit)}));
  std::vector<LoggedRefChange> changes(rows.size());
  for (int r = 0; r < rows.size(); ++r) {
    LoggedRefChange& change = changes[r];
    SPOKE_ASSIGN_OR_RETURN(change.seq, rows.Int64(r, 0));
    change.name = std::string(rows.Bytes(r, 1));
    change.old_target = std::string(rows.Bytes(r, 2));
    change.new_target = std::string(rows.Bytes(r, 3));
    SPOKE_ASSIGN_OR_RETURN(change.pack_id, rows.Int64(r, 4));
  }
  return changes;
}

}  // namespace spoke
