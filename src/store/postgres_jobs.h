// The PostgreSQL backend's work queue (the jobs table, postgres_schema.h): Sprocket's compiles and
// pack compaction, claimed by any server under a lease. A worker that dies loses its lease when it
// expires and the job is claimed again; work is content-addressed (an artifact, a pack), so a job
// run twice does no harm, and the lease only keeps that rare.
//
// Every call is one statement on its own (autocommit); REQUIRES: `connection` not inside a
// transaction, so a claim is visible to other workers at once.
#ifndef SPOKE_STORE_POSTGRES_JOBS_H_
#define SPOKE_STORE_POSTGRES_JOBS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "postgres/connection.h"
#include "spoke/status.h"

namespace spoke {

struct ClaimedJob {
  int64_t id = 0;
  std::string key;
  int attempts = 0;  // claims so far, this one included
};

// Queues (kind, key) unless the queue has it already, in any state. True when it was added.
Result<bool> EnqueueJob(postgres::Connection& connection, const std::string& kind,
                        const std::string& key);

// Queues (kind, key) for each of `keys` that the queue does not have yet, in one statement, in
// the order given (claims take the oldest first, so a caller lists dependencies first), each
// claimable `delay` from now. The number added. REQUIRES: no key holds a newline.
Result<int> EnqueueJobs(postgres::Connection& connection, const std::string& kind,
                        const std::vector<std::string>& keys, std::chrono::milliseconds delay);

// A job as its row holds it, for reporting (a version's artifact states).
struct JobRecord {
  std::string state;       // "queued", "running" or "done"
  int attempts = 0;        // claims so far
  std::string last_error;  // the last FailJob's error; "" when none
  int64_t not_before = 0;  // seconds since the epoch: not claimed again before then
};

// The job (kind, key), or nullopt when the queue never had it.
Result<std::optional<JobRecord>> ReadJob(postgres::Connection& connection, const std::string& kind,
                                         const std::string& key);

// Jobs of `kind` not done yet (queued or running), those waiting for a back-off included.
Result<int64_t> CountOpenJobs(postgres::Connection& connection, const std::string& kind);

// Claims the oldest open job of `kind` for `owner` until `lease` from now: a queued one whose
// not_before has passed, or a running one whose lease expired. SELECT ... FOR UPDATE SKIP LOCKED,
// so concurrent claimers never take the same job and never wait for each other. nullopt when none.
Result<std::optional<ClaimedJob>> ClaimJob(postgres::Connection& connection,
                                           const std::string& kind, const std::string& owner,
                                           std::chrono::milliseconds lease);

// Extends `owner`'s lease on job `id` to `lease` from now (the heartbeat). Conflict when the
// owner no longer holds it (expired and claimed by another): the worker should stop.
Status RenewJobLease(postgres::Connection& connection, int64_t id, const std::string& owner,
                     std::chrono::milliseconds lease);

// Marks job `id` done. Conflict when `owner` no longer holds it; the work it did stays valid, and
// the job's new owner does it again harmlessly.
Status FinishJob(postgres::Connection& connection, int64_t id, const std::string& owner);

// Puts job `id` back in the queue, claimable after `retry_after`, recording `error`. Conflict
// when `owner` no longer holds it.
Status FailJob(postgres::Connection& connection, int64_t id, const std::string& owner,
               const std::string& error, std::chrono::milliseconds retry_after);

}  // namespace spoke

#endif  // SPOKE_STORE_POSTGRES_JOBS_H_
