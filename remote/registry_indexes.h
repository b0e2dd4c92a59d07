// The registry's derived indexes, the import index (import_index.h) and the search index
// (search_index.h), and what keeps them following the store: the versions the server publishes
// itself, and the versions other processes write into its store (store_watch.h).
//
// The import index is built before the server answers anything (reading manifests is quick). The
// search index parses every indexed file, seconds for a registry the size of googleapis, so it is
// filled on a thread of its own while the server already serves; a search waits for it, up to a
// bound. A version the server publishes goes into the import index at once and is queued for the
// search index, whose parsing then runs at the next query rather than under the store's write lock.
// Before answering, every index query calls CatchUp().
#ifndef SPOKE_REMOTE_REGISTRY_INDEXES_H_
#define SPOKE_REMOTE_REGISTRY_INDEXES_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "spoke/import_index.h"
#include "spoke/search_index.h"
#include "spoke/status.h"
#include "spoke/store.h"
#include "spoke/store_watch.h"

namespace spoke {

class RegistryIndexes {
 public:
  // How often CatchUp() looks at the store for versions other processes wrote.
  static constexpr std::chrono::milliseconds kWatchInterval{1000};

  // Builds the import index from `store` and starts filling the search index. Versions that cannot
  // be read or parsed are left out and logged on stderr. Fails only when the store's refs cannot be
  // listed. REQUIRES: `store` outlives the result.
  static Result<std::unique_ptr<RegistryIndexes>> Open(const Store& store);
  // Stops the search index's first filling (a server shutting down does not wait for it).
  ~RegistryIndexes();

  // For the store's publish listener (short, no store writes).
  void Published(const VersionInfo& version);
  // Adds what is queued and what other processes wrote since the last look. Thread-safe; a call
  // waits for one already running, so an answer never misses a version published before it began.
  void CatchUp();

  ImportIndex& imports() { return *imports_; }
  const SearchIndex& search() const { return search_; }
  // Waits until the search index holds every version the store had at start, or `timeout` passes.
  // True when it does.
  bool WaitForSearchIndex(std::chrono::milliseconds timeout);

  RegistryIndexes(const RegistryIndexes&) = delete;
  RegistryIndexes& operator=(const RegistryIndexes&) = delete;

 private:
  explicit RegistryIndexes(const Store& store);
  void AddToSearch(const VersionInfo& version);

  const Store& store_;
  StoreWatch watch_;
  std::unique_ptr<ImportIndex> imports_;
  SearchIndex search_;
  std::thread filler_;
  std::atomic<bool> stop_filling_{false};
  std::mutex filled_mutex_;
  std::condition_variable filled_changed_;
  bool filled_ = false;
  std::mutex queue_mutex_;
  std::vector<VersionInfo> queued_;
  std::mutex catch_up_mutex_;
};

}  // namespace spoke

#endif  // SPOKE_REMOTE_REGISTRY_INDEXES_H_
