// The mirror's sync thread (mirror.h): when to sync (start, interval, notices, back-off after a
// failure) and what a sync is (FetchPrefixes of every ref of the primary).
#include "mirror.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "spoke/backoff.h"
#include "spoke/refs.h"
#include "spoke/remote.h"
#include "spoke/sync.h"

namespace spoke {
namespace {

using Clock = std::chrono::steady_clock;

RemoteOptions PrimaryOptions(const MirrorOptions& options) {
  RemoteOptions remote;
  remote.url = options.primary;
  remote.token = options.token;
  remote.ca_file = options.ca_file;
  return remote;
}

}  // namespace

MirrorSync::MirrorSync(Store& store, MirrorOptions options)
    : store_(store), options_(std::move(options)), started_(Clock::now()) {
  state_.primary = options_.primary;
  state_.interval = std::max(options_.interval, kMinNoticeGap);
}

MirrorSync::~MirrorSync() { Stop(); }

Status MirrorSync::Start() {
  // The URL is checked here, so a typo is a start-up error rather than a sync failing forever.
  SPOKE_RETURN_IF_ERROR(RemoteClient::Create(PrimaryOptions(options_)).status());
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void MirrorSync::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MirrorSync::Notify() {
  const auto now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    ++state_.notices;
    notified_ = true;
    if (!unsynced_notice_) unsynced_notice_ = now;
    if (in_flight_ && !notice_during_flight_) notice_during_flight_ = now;
  }
  wake_.notify_all();
}

MirrorState MirrorSync::State() const {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  MirrorState state = state_;
  Clock::time_point since = state_.syncs > 0 ? last_success_start_ : started_;
  if (unsynced_notice_) since = std::min(since, *unsynced_notice_);
  state.lag = std::chrono::duration_cast<std::chrono::milliseconds>(now - since);
  return state;
}

Status MirrorSync::SyncOnce() {
  SPOKE_ASSIGN_OR_RETURN(auto primary, RemoteClient::Create(PrimaryOptions(options_)));
  return FetchPrefixes(store_, *primary, {kAllRefsPrefix}).status();
}

void MirrorSync::Run() {
  const Backoff retry{kFirstRetry, state_.interval};
  std::unique_lock lock(mutex_);
  Clock::time_point next = Clock::now();  // the first sync starts at once
  Clock::time_point last_start{};
  while (true) {
    wake_.wait_until(lock, next, [this] { return stopping_ || notified_; });
    if (stopping_) return;
    if (notified_) {
      // Notices may come as fast as anyone can send them; syncs do not.
      const auto earliest = last_start + kMinNoticeGap;
      if (wake_.wait_until(lock, earliest, [this] { return stopping_; })) return;
    }
    notified_ = false;
    in_flight_ = true;
    notice_during_flight_.reset();
    last_start = Clock::now();
    const auto wall_start = std::chrono::system_clock::now();
    lock.unlock();
    Status synced = SyncOnce();
    lock.lock();
    in_flight_ = false;
    if (synced.ok()) {
      if (state_.consecutive_failures > 0) {
        std::fprintf(stderr, "spoke-server: mirror: in sync with %s again after %d failed syncs\n",
                     options_.primary.c_str(), state_.consecutive_failures);
      }
      ++state_.syncs;
      state_.consecutive_failures = 0;
      state_.last_error.clear();
      state_.last_successful_sync = wall_start;
      last_success_start_ = last_start;
      // A notice that came during the sync may name a change the sync began too early to see.
      unsynced_notice_ = notice_during_flight_;
      next = last_start + state_.interval;
    } else {
      ++state_.failed_syncs;
      ++state_.consecutive_failures;
      state_.last_error = synced.message();
      // Logged when failing starts, then at every doubling: a long outage is not a flood of lines.
      const int n = state_.consecutive_failures;
      if ((n & (n - 1)) == 0) {
        std::fprintf(stderr, "spoke-server: mirror: sync from %s failed (%d in a row): %s\n",
                     options_.primary.c_str(), n, synced.message().c_str());
      }
      next = Clock::now() + retry.Ceiling(n);
    }
  }
}

}  // namespace spoke
