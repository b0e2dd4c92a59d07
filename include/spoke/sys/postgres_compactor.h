// Pack compaction for the PostgreSQL store (docs/storage.md, "Pack compaction"): every push stores
// one small pack, and a server's cache, libgit2's lookups and each fill's listing all cost per
// pack, so the small packs are merged into one by a job of the `jobs` queue (kind "compact"),
// which any server may claim. Built into the spoke_postgres library.
#ifndef SPOKE_SYS_POSTGRES_COMPACTOR_H_
#define SPOKE_SYS_POSTGRES_COMPACTOR_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "spoke/status.h"

namespace spoke {

namespace postgres {
class Connection;
}

struct PostgresCompactorOptions {
  // A compaction is queued when the database holds more than this many small packs.
  int64_t pack_threshold = 32;
  // A pack of fewer bytes than this is small: merged by compaction. Larger ones (compactions'
  // results once they grew past it) are left alone, so no compaction rewrites everything.
  int64_t small_pack_bytes = int64_t{64} << 20;
  // How often Run() checks the pack count and the queue.
  std::chrono::milliseconds interval{30000};
  // How long a claimed job is this compactor's without a heartbeat (one before each pack fetched
  // and before the transaction).
  std::chrono::milliseconds lease{120000};
  // Who holds a claimed job (jobs.lease_owner): host and process, say.
  std::string owner;
};

// What one compaction did.
struct PackCompaction {
  int64_t job_id = 0;
  int64_t packs_replaced = 0;
  int64_t objects = 0;
  std::string pack_name;   // the new pack
  int64_t pack_bytes = 0;  // its size with its index
};

class PostgresCompactor {
 public:
  // A compactor on the database at `url` (tables created or upgraded first), building packs in
  // temporary directories under `work_dir` (created when absent). Unavailable when the database
  // cannot be reached.
  static Result<std::unique_ptr<PostgresCompactor>> Open(const std::string& url,
                                                         const std::string& work_dir,
                                                         PostgresCompactorOptions options);
  ~PostgresCompactor();

  // Queues a compaction when the small packs are more than the threshold (once per set: the job's
  // key names the newest small pack, so servers that see the same packs queue one job), then
  // claims the oldest open compaction (SELECT ... FOR UPDATE SKIP LOCKED: no two compactors get
  // one job) and runs it: the small packs are fetched into a temporary directory, every object
  // they hold is packed into one new pack (checked to hold each of them), and one transaction
  // stores the new pack and deletes the replaced packs' rows (and so their chunks), refusing
  // (Conflict, nothing changed) when one of them is gone already. A failed run puts the job back
  // for later (FailJob) and answers the failure. nullopt when there was nothing to claim, or the
  // claimed job found fewer than two small packs (it is then done).
  Result<std::optional<PackCompaction>> RunOnce();

  // RunOnce every interval until Stop(); `report` is called with each compaction or failure.
  void Run(const std::function<void(const Result<PackCompaction>&)>& report);
  // Makes Run() return at once (a compaction in progress finishes first). Thread-safe.
  void Stop();

 private:
  PostgresCompactor(std::string url, std::string work_dir, PostgresCompactorOptions options);
  Result<postgres::Connection*> Connected();
  // Queues a job when the threshold is passed.
  Status QueueIfNeeded(postgres::Connection& connection);

  const std::string url_;
  const std::string work_dir_;
  const PostgresCompactorOptions options_;
  std::unique_ptr<postgres::Connection> connection_;
  std::mutex mutex_;
  std::condition_variable stop_changed_;
  bool stopped_ = false;
};

}  // namespace spoke

#endif  // SPOKE_SYS_POSTGRES_COMPACTOR_H_
