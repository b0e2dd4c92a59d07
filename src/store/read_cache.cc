// ReadCache: a byte-bounded LRU map from content addresses to decoded versions and file bytes.
#include "store/read_cache.h"

namespace spoke {
namespace {

// Keys of the three kinds never collide: a tag ref's starts with 't', a version's with 'v', a
// file's with 'f'.
std::string TagKey(const std::string& module, const std::string& version) {
  return "t" + module + "@" + version;
}
std::string VersionKey(const std::string& tag_id) { return "v" + tag_id; }
std::string FileKey(const std::string& commit_id, const std::string& path) {
  return "f" + commit_id + "/" + path;
}

// What a version costs to keep, roughly: its strings and one manifest line per file.
size_t VersionBytes(const VersionInfo& v) {
  size_t bytes = sizeof(VersionInfo) + v.module.size() + v.version.size() + v.tag_id.size() +
                 v.commit_id.size() + v.manifest.description.size();
  for (const auto& file : v.manifest.files) bytes += sizeof(file) + file.path.size() + 64;
  bytes += v.manifest.dependencies.size() * 256;
  return bytes;
}

}  // namespace

ReadCache::ReadCache(size_t budget_bytes) : budget_(budget_bytes) {}

std::optional<std::string> ReadCache::FindTag(const std::string& module,
                                              const std::string& version) {
  std::lock_guard<std::mutex> lock(mutex_);
  Entry* entry = Touch(TagKey(module, version));
  if (!entry || entry->tag_id.empty()) return std::nullopt;
  return entry->tag_id;
}

void ReadCache::PutTag(const std::string& module, const std::string& version,
                       const std::string& tag_id) {
  Entry entry;
  entry.key = TagKey(module, version);
  entry.tag_id = tag_id;
  entry.bytes = sizeof(Entry) + entry.key.size() + tag_id.size();
  std::lock_guard<std::mutex> lock(mutex_);
  Insert(std::move(entry));
}

std::optional<VersionInfo> ReadCache::FindVersion(const std::string& tag_id) {
  std::shared_ptr<const VersionInfo> found;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry* entry = Touch(VersionKey(tag_id));
    if (!entry || !entry->version) return std::nullopt;
    found = entry->version;
  }
  return *found;  // copied outside the lock
}

std::optional<std::string> ReadCache::FindVersionCommit(const std::string& tag_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Entry* entry = Touch(VersionKey(tag_id));
  if (!entry || !entry->version) return std::nullopt;
  return entry->version->commit_id;
}

void ReadCache::PutVersion(const VersionInfo& version) {
  Entry entry;
  entry.key = VersionKey(version.tag_id);
  entry.version = std::make_shared<const VersionInfo>(version);
  entry.bytes = entry.key.size() + VersionBytes(version);
  std::lock_guard<std::mutex> lock(mutex_);
  Insert(std::move(entry));
}

std::optional<std::pair<std::string, std::string>> ReadCache::FindFile(const std::string& commit_id,
                                                                       const std::string& path) {
  std::shared_ptr<const std::pair<std::string, std::string>> found;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry* entry = Touch(FileKey(commit_id, path));
    if (!entry || !entry->file) return std::nullopt;
    found = entry->file;
  }
  return *found;
}

void ReadCache::PutFile(const std::string& commit_id, const std::string& path,
                        const std::string& content, const std::string& blob_id) {
  if (content.size() > budget_ / 16) return;
  Entry entry;
  entry.key = FileKey(commit_id, path);
  entry.file = std::make_shared<const std::pair<std::string, std::string>>(content, blob_id);
  entry.bytes = entry.key.size() + content.size() + blob_id.size() + sizeof(Entry);
  std::lock_guard<std::mutex> lock(mutex_);
  Insert(std::move(entry));
}

ReadCache::Entry* ReadCache::Touch(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &*it->second;
}

void ReadCache::Insert(Entry entry) {
  if (entry.bytes > budget_) return;
  if (auto it = index_.find(entry.key); it != index_.end()) {
    // Another reader decoded the same thing meanwhile: the content is the same, keep the first.
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  bytes_ += entry.bytes;
  lru_.push_front(std::move(entry));
  index_.emplace(lru_.front().key, lru_.begin());
  while (bytes_ > budget_ && !lru_.empty()) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

}  // namespace spoke
