// Sprocket: the background compiler. It watches a store, or a running registry, and has every
// version that lacks an artifact for a configured language compiled, so that a later download of
// generated code is a cache hit.
//
// Each (version, language) is compiled with exactly the request the registry's
// GET /modules/{m}/versions/{v}/download/{lang} builds without query parameters: RequestForVersion,
// its dependencies' files included (IncludeImports), the module's default Go import prefix. The
// artifact then has the key that download looks up (artifact_cache.h). On a store, Sprocket
// computes the key and skips what the cache already holds (its ref exists), so a restart redoes
// nothing; against a registry it asks POST .../compile/{lang}, which answers a cached artifact at
// once. Versions are compiled dependencies first (by their manifests' pins).
//
// On a store, artifacts are written through CompileWithCache's normal path (a snapshot commit,
// then a compare-and-swap of its ref under git's lock files), so a registry may serve the same
// store meanwhile, and may even compile the same key at the same moment.
//
// A compile that fails (sources a generator refuses, a plugin's error) is recorded with its
// message and time, and tried again only after a back-off that doubles from max(delay, 1 s) up to
// an hour; a new key for it (a replaced plugin) is tried at once. On a store the record is
// <store>/sprocket/failures.json (docs/storage.md), so the back-off holds across restarts, and one
// Sprocket at a time serves a store: Open holds <store>/sprocket/lock, which names the holder
// (a sprocket, or a spoke-server run with --compile-languages) and its languages. Against a
// registry the record is kept in memory.
//
// What a registry lists as a version's artifact states (StatesOf) is derived from those files
// and the artifact cache, not kept apart: ready when the cache holds the key, failed when
// failures.json records it, pending otherwise.
//
// Thread safety: Stop() and QueueDepth() may be called from any thread (a signal-handling one, a
// metrics scrape); StatesOf from any; everything else from one thread.
#ifndef SPOKE_SPROCKET_H_
#define SPOKE_SPROCKET_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "spoke/remote.h"
#include "spoke/server.h"
#include "spoke/status.h"
#include "spoke/store.h"
#include "spoke/store_watch.h"

namespace spoke {

class SprocketBackend;

struct SprocketOptions {
  // Languages to compile every version for. REQUIRES: not empty, each known to FindLanguage.
  std::vector<std::string> languages;
  // How long after the last change of a burst of pushes Run() waits before compiling, so that a
  // burst is compiled once it is over; it also sets the back-off of failures (see above).
  std::chrono::milliseconds delay{std::chrono::seconds(10)};
  // Who runs it, written into the store's lock for a refused one to name: "sprocket" or
  // "spoke-server".
  std::string holder = "sprocket";
  // Told the duration of every compile that ran (not of cache hits), on the compiling thread, for
  // metrics; may be empty.
  std::function<void(const std::string& language, double seconds, bool succeeded)> on_compile;
};

// What became of one (version, language) in a pass.
struct SprocketEvent {
  enum class Kind {
    kCompiled,  // compiled and stored now
    kFailed,    // the compile failed; recorded, tried again at `next_attempt`
    kDeferred,  // failed before and its back-off has not passed: not tried in this pass
  };
  Kind kind = Kind::kCompiled;
  std::string module;
  std::string version;
  std::string language;
  std::string key;                    // the artifact key (empty when it could not be computed)
  size_t files = 0;                   // kCompiled: generated files
  std::chrono::milliseconds took{0};  // kCompiled, kFailed: the compile's duration
  std::string message;                // kFailed, kDeferred: why it failed
  int attempts = 0;          // kFailed, kDeferred: failed attempts so far, this one included
  int64_t next_attempt = 0;  // kFailed, kDeferred: seconds since the epoch
};

// Counts of one pass over the pending versions.
struct SprocketPass {
  int compiled = 0;
  int failed = 0;
  int cached = 0;    // found in the cache (compiled before, by Sprocket or the registry)
  int deferred = 0;  // failed before, back-off not over
};

// The languages whose generator is here: built into libprotoc, or a plugin found on PATH.
std::vector<std::string> InstalledLanguages();
// ParseLanguageList, with "all" for InstalledLanguages() (an error when none is installed).
Result<std::vector<std::string>> LanguagesFromFlag(const std::string& list);

class Sprocket {
 public:
  using EventSink = std::function<void(const SprocketEvent&)>;

  // A Sprocket that compiles into `store`. Takes <store>/sprocket/lock (writing options.holder,
  // this pid and the languages into it) and reads the recorded failures. FailedPrecondition,
  // naming the holder's kind and pid, when another Sprocket (a sprocket, or a spoke-server with
  // --compile-languages) serves the store;
  // Corruption when failures.json cannot be read. REQUIRES: `store` outlives the Sprocket;
  // `on_event` may be empty.
  static Result<std::unique_ptr<Sprocket>> Open(Store& store, SprocketOptions options,
                                                EventSink on_event);
  // A Sprocket that has the registry at `registry` compile (POST .../compile/{lang}, a write: it
  // may need RemoteOptions::token). InvalidArgument for a URL RemoteClient refuses.
  static Result<std::unique_ptr<Sprocket>> OpenRegistry(const RemoteOptions& registry,
                                                        SprocketOptions options,
                                                        EventSink on_event);
  ~Sprocket();

  // What it watches: the store's path, or the registry's URL.
  std::string Describe() const;

  // One pass over every version there: compiles what is pending, dependencies first, and returns
  // the counts (events go to the sink as they happen). A stop request ends it after the compile in
  // progress. Errors are the store's or the registry's when the versions cannot be listed; a
  // version that cannot be compiled is a kFailed event, not an error.
  Result<SprocketPass> CompilePending();

  // Runs until Stop(): a first pass at once, then a pass `delay` after the last change seen, and
  // whenever a failure's back-off is over, though never later than 4 x delay after the first
  // change of a burst, so a steady stream of pushes cannot postpone compiling for ever. A store is
  // looked at every min(delay, 1 s) (a few stat calls), a registry every max(delay, 1 s) (a
  // request). `on_pass` gets each pass's counts. An error looking is retried at the next look
  // (only the first listing's error is returned); Run returns Ok once stopped.
  Status Run(const std::function<void(const SprocketPass&)>& on_pass);

  // Asks CompilePending() or Run() to return after the compile in progress.
  void Stop();

  // (version, language) pairs known and not yet found compiled, those waiting for a back-off
  // included: what the running or next pass has to do. Thread-safe.
  int QueueDepth() const { return queue_depth_.load(); }

  // The artifact state of each language for `version` in the store at `store`, as a registry
  // lists them: when a Sprocket holds the store's lock (in this process or another), one per
  // language it compiles (ready, failed with its message and back-off, or pending); when none
  // does, only the installed languages whose artifact the cache holds, as ready. Thread-safe;
  // reads the lock, failures.json and the artifact refs. An error when they cannot be read.
  static Result<std::vector<ArtifactState>> StatesOf(Store& store, const VersionInfo& version);

  Sprocket(const Sprocket&) = delete;
  Sprocket& operator=(const Sprocket&) = delete;

 private:
  class FailureLog;
  Sprocket(std::unique_ptr<SprocketBackend> backend, SprocketOptions options, EventSink on_event,
           int lock_fd, std::unique_ptr<FailureLog> failures);
  // The pass over `versions` (all the versions known).
  SprocketPass PassOver(const std::vector<VersionName>& versions);
  // Compiles one language of a version unless its failure's back-off is not over; counts it as
  // compiled, cached, failed or deferred and tells the sink.
  void CompileOne(const VersionName& name, const std::string& language, SprocketPass* pass);
  // The earliest time (seconds since the epoch) a recorded failure of a configured language may be
  // tried again, or 0.
  int64_t NextRetry() const;
  bool stopping() const { return stop_.load(); }

  std::unique_ptr<SprocketBackend> backend_;
  const SprocketOptions options_;
  const EventSink on_event_;
  const int lock_fd_;  // -1 against a registry
  std::unique_ptr<FailureLog> failures_;
  // (version, language) pairs known to be in the cache: never looked at again by this process.
  std::set<std::pair<VersionName, std::string>> done_;
  std::atomic<bool> stop_{false};
  std::atomic<int> queue_depth_{0};
  std::mutex stop_mutex_;
  std::condition_variable stop_changed_;
};

}  // namespace spoke

#endif  // SPOKE_SPROCKET_H_
