// StoreWatch: the versions that appear in a store, whoever wrote them.
//
// A registry derives indexes from its store (import_index.h, search_index.h) and keeps them current
// as it publishes versions itself. Versions can also arrive from another process: a read-only
// mirror whose store `spoke fetch` updates, a `git push` into the store. StoreWatch notices those
// without a scan per request: it keeps a stamp of the store's refs (the modification time and
// inode of refs/tags/ and every directory below it, and of packed-refs; any ref that is written,
// loose or packed, changes one of them) and lists the version tags again only when the stamp
// differs from the one taken at the last listing. A stamp whose newest time is less than two
// seconds older than the moment it was taken is not trusted (another write within the file
// system's timestamp granularity would leave it unchanged), so the next look lists again, as git
// treats a "racily clean" index.
// A store whose backend keeps no files (store.h's path() is "") has no stamp. When its backend
// keeps a log of ref changes (PostgreSQL's ref_changes, Store::RefsChangedSince), each look reads
// only the log after the last look's position, so its cost follows the pushes, not the number of
// versions; otherwise (the memory backend) every look lists the version tags, at most once per
// interval.
//
// Thread safety: every method may be called from any thread; concurrent NewVersions() calls wait
// for the one that is looking.
#ifndef SPOKE_STORE_WATCH_H_
#define SPOKE_STORE_WATCH_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

// A version by name: (module, version).
using VersionName = std::pair<std::string, std::string>;

class StoreWatch {
 public:
  // Looks at `store` at most once per `interval`. REQUIRES: `store` outlives the watch.
  StoreWatch(const Store& store, std::chrono::milliseconds interval);

  // Every version in the store now, in ref-name order; they count as seen. Call it once, before
  // the indexes it feeds are filled, so that nothing written meanwhile is missed (it shows up in
  // the next NewVersions(), and indexes ignore a version added twice).
  Result<std::vector<VersionName>> Start();

  // The versions that appeared since the last look, in ref-name order; empty without listing
  // anything when less than `interval` has passed since the last look, or when the refs' stamp
  // has not changed (and was not racy). Errors are the store's, when its refs cannot be listed
  // (the next call tries again).
  Result<std::vector<VersionName>> NewVersions();

  StoreWatch(const StoreWatch&) = delete;
  StoreWatch& operator=(const StoreWatch&) = delete;

 private:
  struct Stamp {
    uint64_t hash = 0;
    int64_t newest_ns = 0;  // the newest modification time seen, in ns since the epoch
    int64_t taken_ns = 0;   // when the stamp was taken, in ns since the epoch
    bool operator==(const Stamp& other) const {
      return hash == other.hash && newest_ns == other.newest_ns;
    }
  };
  Stamp TakeStamp() const;
  // Lists the version tags and records those not seen before in `*fresh` (when not null).
  Status List(std::vector<VersionName>* fresh);

  const Store& store_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_look_;
  bool looked_ = false;
  Stamp stamp_;
  bool follows_log_ = false;   // the store has a log of ref changes: read it, do not list
  int64_t log_position_ = -1;  // where in that log the last look ended
  std::set<VersionName> seen_;
};

}  // namespace spoke

#endif  // SPOKE_STORE_WATCH_H_
