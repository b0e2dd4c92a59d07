// The job queue's statements. Durations travel as milliseconds and become intervals in SQL
// (make_interval), so no interval text is parsed.
#include "store/postgres_jobs.h"

namespace spoke {
namespace {

using postgres::Param;

Param Milliseconds(std::chrono::milliseconds duration) { return Param::Int64(duration.count()); }

// A lease-holder's update answered: Conflict when it touched nothing (the lease is gone).
Status HeldOrConflict(const Result<postgres::Rows>& rows, int64_t id, const std::string& owner) {
  if (!rows.ok()) return rows.status();
  if (rows->affected() == 0) {
    return Status::Conflict("job " + std::to_string(id) + " is no longer held by " + owner +
                            " (its lease expired and another worker claimed it)");
  }
  return Status::Ok();
}

}  // namespace

Result<bool> EnqueueJob(postgres::Connection& connection, const std::string& kind,
                        const std::string& key) {
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows rows,
      connection.Execute("INSERT INTO jobs (kind, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                         {Param::Text(kind), Param::Text(key)}));
  return rows.affected() == 1;
}

Result<int> EnqueueJobs(postgres::Connection& connection, const std::string& kind,
                        const std::vector<std::string>& keys, std::chrono::milliseconds delay) {
  if (keys.empty()) return 0;
  std::string list;
  for (const std::string& key : keys) {
    if (key.find('\n') != std::string::npos)
      return Status::InvalidArgument("a job key holds a newline: " + key);
    list += (list.empty() ? "" : "\n") + key;
  }
  // One parameter split in SQL, in its order (WITH ORDINALITY), so ids follow the caller's order
  // and a thousand keys cost one round trip.
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows rows,
      connection.Execute("INSERT INTO jobs (kind, key, not_before)"
                         " SELECT $1, k, now() + make_interval(secs => $3 / 1000.0)"
                         " FROM regexp_split_to_table($2, E'\\n') WITH ORDINALITY AS t(k, n)"
                         " ORDER BY n ON CONFLICT DO NOTHING",
                         {Param::Text(kind), Param::Text(list), Milliseconds(delay)}));
  return static_cast<int>(rows.affected());
}

Result<std::optional<JobRecord>> ReadJob(postgres::Connection& connection, const std::string& kind,
                                         const std::string& key) {
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows rows,
      connection.Execute("SELECT state, attempts::bigint, coalesce(last_error, ''),"
                         " extract(epoch FROM not_before)::bigint FROM jobs"
                         " WHERE kind = $1 AND key = $2",
                         {Param::Text(kind), Param::Text(key)}));
  if (rows.size() == 0) return std::optional<JobRecord>();
  JobRecord job;
  job.state = std::string(rows.Bytes(0, 0));
  SPOKE_ASSIGN_OR_RETURN(int64_t attempts, rows.Int64(0, 1));
  job.attempts = static_cast<int>(attempts);
  job.last_error = std::string(rows.Bytes(0, 2));
  SPOKE_ASSIGN_OR_RETURN(job.not_before, rows.Int64(0, 3));
  return std::optional<JobRecord>(std::move(job));
}

Result<int64_t> CountOpenJobs(postgres::Connection& connection, const std::string& kind) {
  SPOKE_ASSIGN_OR_RETURN(postgres::Rows rows,
                         connection.Execute("SELECT count(*) FROM jobs WHERE kind = $1 AND"
                                            " state IN ('queued', 'running')",
                                            {Param::Text(kind)}));
  return rows.Int64(0, 0);
}

Result<std::optional<ClaimedJob>> ClaimJob(postgres::Connection& connection,
                                           const std::string& kind, const std::string& owner,
                                           std::chrono::milliseconds lease) {
  // The inner SELECT walks jobs_open in id order; SKIP LOCKED passes over rows another claim is
  // taking right now, and PostgreSQL re-checks the WHERE clause on a row that changed since the
  // statement's snapshot, so a job just claimed (running, lease in the future) is not taken twice.
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows rows,
      connection.Execute("UPDATE jobs SET state = 'running', lease_owner = $2,"
                         " lease_expires = now() + make_interval(secs => $3 / 1000.0),"
                         " attempts = attempts + 1"
                         " WHERE id = (SELECT id FROM jobs"
                         "  WHERE kind = $1 AND state IN ('queued', 'running')"
                         "  AND (state = 'queued' AND not_before <= now() OR"
                         "       state = 'running' AND lease_expires < now())"
                         "  ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                         " RETURNING id, key, attempts",
                         {Param::Text(kind), Param::Text(owner), Milliseconds(lease)}));
  if (rows.size() == 0) return std::optional<ClaimedJob>();
  ClaimedJob job;
  SPOKE_ASSIGN_OR_RETURN(job.id, rows.Int64(0, 0));
  job.key = std::string(rows.Bytes(0, 1));
  SPOKE_ASSIGN_OR_RETURN(int64_t attempts, rows.Int64(0, 2));
  job.attempts = static_cast<int>(attempts);
  return std::optional<ClaimedJob>(std::move(job));
}

Status RenewJobLease(postgres::Connection& connection, int64_t id, const std::string& owner,
                     std::chrono::milliseconds lease) {
  return HeldOrConflict(
      connection.Execute(
          "UPDATE jobs SET lease_expires = now() + make_interval(secs => $3 / 1000.0)"
          " WHERE id = $1 AND state = 'running' AND lease_owner = $2",
          {Param::Int64(id), Param::Text(owner), Milliseconds(lease)}),
      id, owner);
}

Status FinishJob(postgres::Connection& connection, int64_t id, const std::string& owner) {
  return HeldOrConflict(
      connection.Execute("UPDATE jobs SET state = 'done', lease_owner = NULL, lease_expires = NULL"
                         " WHERE id = $1 AND state = 'running' AND lease_owner = $2",
                         {Param::Int64(id), Param::Text(owner)}),
      id, owner);
}

Status FailJob(postgres::Connection& connection, int64_t id, const std::string& owner,
               const std::string& error, std::chrono::milliseconds retry_after) {
  return HeldOrConflict(
      connection.Execute(
          "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires = NULL,"
          " last_error = $3, not_before = now() + make_interval(secs => $4 / 1000.0)"
          " WHERE id = $1 AND state = 'running' AND lease_owner = $2",
          {Param::Int64(id), Param::Text(owner), Param::Text(error), Milliseconds(retry_after)}),
      id, owner);
}

}  // namespace spoke
