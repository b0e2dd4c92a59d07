// ReadCache: what the store's hottest reads decoded last, keyed by content address, so serving a
// version's file again costs a ref lookup and a copy rather than four object reads, two inflates
// and a JSON parse.
//
// Only keys whose value cannot change: a tag object id determines the version it describes, a
// commit id and a path determine the file's bytes, and a version's tag ref, once it exists, names
// the same tag for good (versions are immutable: no Spoke writer moves or deletes a version tag,
// and gc keeps every one). An entry can therefore never be stale; the cache only forgets, least
// recently used first, to stay within its byte budget. Only found tags are kept: a version that
// does not exist yet is looked up in the refs every time. (A tag deleted by hand, behind Spoke's
// back, stays visible to a running process that had read it.)
#ifndef SPOKE_STORE_READ_CACHE_H_
#define SPOKE_STORE_READ_CACHE_H_

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "spoke/store.h"

namespace spoke {

class ReadCache {
 public:
  // At most about `budget_bytes` of keys, versions and file contents.
  explicit ReadCache(size_t budget_bytes);

  // The tag id (hex) of version `version` of `module`, if cached.
  std::optional<std::string> FindTag(const std::string& module, const std::string& version);
  void PutTag(const std::string& module, const std::string& version, const std::string& tag_id);

  // The version the annotated tag `tag_id` (hex) describes, if cached.
  std::optional<VersionInfo> FindVersion(const std::string& tag_id);
  // Only its commit id (hex), without copying the rest.
  std::optional<std::string> FindVersionCommit(const std::string& tag_id);
  void PutVersion(const VersionInfo& version);

  // The bytes and blob id (hex) of `path` in the tree of commit `commit_id` (hex), if cached.
  std::optional<std::pair<std::string, std::string>> FindFile(const std::string& commit_id,
                                                              const std::string& path);
  // Files larger than a sixteenth of the budget are not kept.
  void PutFile(const std::string& commit_id, const std::string& path, const std::string& content,
               const std::string& blob_id);

  ReadCache(const ReadCache&) = delete;
  ReadCache& operator=(const ReadCache&) = delete;

 private:
  struct Entry {
    std::string key;
    std::string tag_id;                                               // for a tag ref's key
    std::shared_ptr<const VersionInfo> version;                       // for a version's key
    std::shared_ptr<const std::pair<std::string, std::string>> file;  // for a file's key
    size_t bytes = 0;
  };
  using Lru = std::list<Entry>;

  // The entry under `key`, moved to the front; nullptr when absent. REQUIRES: mutex_ held.
  Entry* Touch(const std::string& key);
  void Insert(Entry entry);  // REQUIRES: mutex_ held

  const size_t budget_;
  std::mutex mutex_;
  Lru lru_;  // most recently used first
  std::unordered_map<std::string, Lru::iterator> index_;
  size_t bytes_ = 0;
};

}  // namespace spoke

#endif  // SPOKE_STORE_READ_CACHE_H_
