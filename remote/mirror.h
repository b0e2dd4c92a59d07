// MirrorSync: keeps a read-only registry's store a copy of its primary's, through the sync protocol
// (FetchPrefixes over every ref: versions, module branches, module records and artifacts), on a
// thread of its own: at start, every interval, and at once when the primary says it changed
// (Notify). What a sync brings goes through Store::ApplyPackFile like any fetch (quarantine, every
// object checked), so a malformed pack from the primary is refused and the store stays as it was;
// the store's publish listener then adds the new versions to the registry's indexes.
//
// A failed sync is retried with a doubling pause, from kFirstRetry up to the interval, so a
// primary that is down is not hammered and one that returns is caught up with soon. The mirror
// serves from its own store all the while.
#ifndef SPOKE_REMOTE_MIRROR_H_
#define SPOKE_REMOTE_MIRROR_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

struct MirrorOptions {
  std::string primary;  // the primary's URL, http://host:port[/prefix]
  std::string token;    // sent to the primary as "Authorization: Bearer <token>" when not empty
  std::chrono::milliseconds interval{30000};
  std::string ca_file;  // an https primary's private CA (PEM); empty: the system's CAs
};

// A snapshot of the mirror's progress (GET /health/ready's "mirror" object, metrics).
struct MirrorState {
  std::string primary;
  std::chrono::milliseconds interval{0};
  // Wall-clock time at which the last successful sync began (everything the primary had then is
  // here); zero (the epoch) before the first one.
  std::chrono::system_clock::time_point last_successful_sync{};
  // How far behind the primary this mirror may be: from the oldest change notice not yet synced
  // when there is one, else from the start of the last successful sync (from the mirror's start
  // before the first one).
  std::chrono::milliseconds lag{0};
  std::string last_error;  // "" after a success
  int consecutive_failures = 0;
  uint64_t syncs = 0;  // successful ones
  uint64_t failed_syncs = 0;
  uint64_t notices = 0;  // change notices received (Notify)
};

class MirrorSync {
 public:
  // The first pause after a failed sync; it doubles with each failure, up to the interval.
  static constexpr std::chrono::milliseconds kFirstRetry{250};
  // Syncs asked for by notices start at least this far apart, so a flood of notices costs at most
  // a few syncs a second.
  static constexpr std::chrono::milliseconds kMinNoticeGap{100};

  // REQUIRES: `store` outlives this object. Nothing starts before Start().
  MirrorSync(Store& store, MirrorOptions options);
  // Stops the thread (Stop).
  ~MirrorSync();

  // Starts the sync thread; the first sync begins at once. InvalidArgument for a primary URL the
  // client cannot use. REQUIRES: called once.
  Status Start();
  // Asks the thread to stop and waits for it; a sync in flight finishes first (its fetch is
  // bounded by the client's timeouts). Safe to call more than once.
  void Stop();

  // The primary changed: sync as soon as the one in flight (if any) is done. Notices that arrive
  // meanwhile are coalesced into that one sync. Thread-safe, never blocks on the network.
  void Notify();

  // Thread-safe.
  MirrorState State() const;

  MirrorSync(const MirrorSync&) = delete;
  MirrorSync& operator=(const MirrorSync&) = delete;

 private:
  void Run();
  // One sync: every ref of the primary into the store. Its error says what failed.
  Status SyncOnce();

  Store& store_;
  const MirrorOptions options_;
  const std::chrono::steady_clock::time_point started_;
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool notified_ = false;  // a notice arrived since the last sync began: sync again
  bool in_flight_ = false;
  // For the lag: the oldest notice that no successful sync has covered yet, and the oldest one
  // that arrived while the sync in flight was running (which that sync may not cover).
  std::optional<std::chrono::steady_clock::time_point> unsynced_notice_;
  std::optional<std::chrono::steady_clock::time_point> notice_during_flight_;
  std::chrono::steady_clock::time_point last_success_start_{};  // steady twin of the state's
  MirrorState state_;
};

}  // namespace spoke

#endif  // SPOKE_REMOTE_MIRROR_H_
