// Sprocket on the job queue of a store shared in PostgreSQL (spoke-server --postgres URL
// --compile-languages; docs/storage.md, "Sprocket on PostgreSQL"). Every server so started runs
// one SprocketQueue, and together they compile each (version, language) once:
//
// - Versions are seen in the database's ref change log (RefChangeFollower: LISTEN, then the log
//   after the last sequence number; from the start of the log when the server starts, so nothing
//   pushed while no server ran is missed). Each new version becomes one job per language, kind
//   "compile-<language>", key "<module>@<version>", enqueued with ON CONFLICT DO NOTHING (every
//   server enqueues what it sees; the queue keeps one row), dependencies first: what the log held
//   when Run() started claimable at once, a version pushed since `SprocketOptions::delay` after
//   the version was seen, so a burst of pushes is compiled once it is over.
// - A worker claims the oldest claimable job (SELECT ... FOR UPDATE SKIP LOCKED) under a lease,
//   renews the lease from a thread of its own while it compiles, and finishes the job, or fails it
//   with its message and a back-off that doubles from max(delay, 1 s) up to an hour (the row's
//   attempts, last_error and not_before), as Sprocket on files does. A compile is
//   CompileWithCache's, with the request a download makes (as Sprocket::Open's), its objects and
//   ref stored through the backend; a job whose artifact is cached already is finished without
//   compiling.
// - A worker killed mid-job stops renewing: its lease expires and another server claims the job.
//   Stop() lets the compile in progress end and finishes its job first.
//
// Thread safety: Stop(), QueueDepth() and StatesOf() from any thread; Run() from one.
#ifndef SPOKE_SPROCKET_QUEUE_H_
#define SPOKE_SPROCKET_QUEUE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spoke/server.h"
#include "spoke/sprocket.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

class SprocketQueue {
 public:
  // A worker compiling `options.languages` into `store`, the store the PostgreSQL database at `url`
  // holds, under leases of `lease` (renewed every third of it). Connects once to check the
  // database; Unavailable when it cannot. REQUIRES: `store` outlives the queue; lease >= 100 ms.
  static Result<std::unique_ptr<SprocketQueue>> Open(Store& store, const std::string& url,
                                                     SprocketOptions options,
                                                     std::chrono::milliseconds lease,
                                                     Sprocket::EventSink on_event);
  ~SprocketQueue();

  // The name this worker claims jobs under (host, pid and a random part): the jobs row's
  // lease_owner.
  const std::string& owner() const;

  // Follows new versions, enqueues and runs jobs until Stop(). `on_pass` gets the counts of each
  // round that ran a job. An error of the database is retried at the next look (about a second
  // later); Run returns Ok once stopped.
  Status Run(const std::function<void(const SprocketPass&)>& on_pass);
  void Stop();

  // Jobs of the configured languages not done yet (waiting for a back-off included), as last
  // counted by Run().
  int QueueDepth() const;

  // The state of each configured language for `version`: ready when the artifact cache holds the
  // download's key, failed (message, attempts, next attempt) when its job waits after a failure,
  // pending otherwise. An error when the database or the store cannot be read.
  Result<std::vector<ArtifactState>> StatesOf(const VersionInfo& version);

  // Test hook: called with "compile-claimed" once a job is claimed and its lease is being renewed,
  // before it is compiled, on the worker's thread (a test stops the process there to kill it).
  void SetStageHook(std::function<void(const std::string&)> hook);

  SprocketQueue(const SprocketQueue&) = delete;
  SprocketQueue& operator=(const SprocketQueue&) = delete;

  struct Impl;

 private:
  explicit SprocketQueue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spoke

#endif  // SPOKE_SPROCKET_QUEUE_H_
