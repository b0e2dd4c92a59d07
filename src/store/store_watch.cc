// StoreWatch: a stamp of the store's refs taken with a few stat() calls, and a listing of the
// version tags only when it changed (store_watch.h says why that is enough).
#include "spoke/store_watch.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "spoke/refs.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

// Two seconds: above the timestamp granularity of every file system a store is likely to sit on.
constexpr int64_t kRacyNs = 2'000'000'000;

int64_t Nanoseconds(const struct timespec& t) {
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

int64_t WallNanoseconds() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// FNV-1a over the stat fields that change when an entry is added, removed or replaced.
class StampHash {
 public:
  void Add(const std::string& name, const struct stat* st) {
    Bytes(name.data(), name.size());
    if (st == nullptr) {
      Bytes("-", 1);
      return;
    }
    int64_t fields[] = {Nanoseconds(st->st_mtim), Nanoseconds(st->st_ctim),
                        static_cast<int64_t>(st->st_ino), static_cast<int64_t>(st->st_size)};
    Bytes(fields, sizeof(fields));
    newest_ = std::max({newest_, Nanoseconds(st->st_mtim), Nanoseconds(st->st_ctim)});
  }
  uint64_t hash() const { return hash_; }
  int64_t newest() const { return newest_; }

 private:
  void Bytes(const void* data, size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) hash_ = (hash_ ^ p[i]) * 0x100000001b3ULL;
  }
  uint64_t hash_ = 0xcbf29ce484222325ULL;
  int64_t newest_ = 0;
};

}  // namespace

StoreWatch::StoreWatch(const Store& store, std::chrono::milliseconds interval)
    : store_(store), interval_(interval) {}

StoreWatch::Stamp StoreWatch::TakeStamp() const {
  Stamp stamp;
  stamp.taken_ns = WallNanoseconds();
  StampHash hash;
  const fs::path root(store_.path());
  struct stat st;
  hash.Add("packed-refs", stat((root / "packed-refs").c_str(), &st) == 0 ? &st : nullptr);
  // A loose ref is a file in a directory under refs/tags/: writing one (git and libgit2 both
  // create a lock file and rename it into place) changes that directory's times.
  const fs::path tags = root / "refs" / "tags";
  hash.Add("refs/tags", stat(tags.c_str(), &st) == 0 ? &st : nullptr);
  std::error_code ec;
  for (fs::recursive_directory_iterator it(tags, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_directory(type_ec)) continue;
    hash.Add(it->path().lexically_relative(root).string(),
             stat(it->path().c_str(), &st) == 0 ? &st : nullptr);
  }
  stamp.hash = hash.hash();
  stamp.newest_ns = hash.newest();
  return stamp;
}

Status StoreWatch::List(std::vector<VersionName>* fresh) {
  SPOKE_ASSIGN_OR_RETURN(auto refs, store_.ListRefs(kTagRefsPrefix));
  for (const auto& ref : refs) {
    VersionName name;
    if (!ParseVersionTagRef(ref.name, &name.first, &name.second)) continue;
    if (seen_.insert(name).second && fresh) fresh->push_back(std::move(name));
  }
  return Status::Ok();
}

Result<std::vector<VersionName>> StoreWatch::Start() {
  std::lock_guard lock(mutex_);
  // A store with a log of ref changes (PostgreSQL) is followed from the log's end, taken before
  // the listing: a version written during it is read again from the log, and seen_ drops it.
  if (store_.path().empty()) {
    log_position_ = -1;
    SPOKE_ASSIGN_OR_RETURN(auto log, store_.RefsChangedSince(&log_position_));
    follows_log_ = log.has_value();
  }
  stamp_ = TakeStamp();
  last_look_ = std::chrono::steady_clock::now();
  looked_ = true;
  std::vector<VersionName> all;
  if (Status s = List(&all); !s.ok()) {
    stamp_ = Stamp();
    return s;
  }
  return all;
}

Result<std::vector<VersionName>> StoreWatch::NewVersions() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (looked_ && now - last_look_ < interval_) return std::vector<VersionName>();
  last_look_ = now;
  looked_ = true;
  if (follows_log_) {
    // Only what changed since the last look: a few rows, not every version tag.
    SPOKE_ASSIGN_OR_RETURN(auto changed, store_.RefsChangedSince(&log_position_));
    std::vector<VersionName> fresh;
    for (const std::string& ref : changed.value_or(std::vector<std::string>())) {
      VersionName name;
      if (!ParseVersionTagRef(ref, &name.first, &name.second)) continue;
      if (seen_.insert(name).second) fresh.push_back(std::move(name));
    }
    std::sort(fresh.begin(), fresh.end(), [](const VersionName& a, const VersionName& b) {
      return VersionTagRef(a.first, a.second) < VersionTagRef(b.first, b.second);
    });
    return fresh;
  }
  const bool racy = stamp_.taken_ns - stamp_.newest_ns < kRacyNs;
  Stamp stamp = TakeStamp();
  // A store without files and without a log (the memory one) has no stamp to compare: its refs
  // are listed at every look, which the interval bounds.
  const bool stamped = !store_.path().empty();
  if (stamped && stamp == stamp_ && !racy) return std::vector<VersionName>();
  // Taken before listing: a ref written during the listing changes the stamp again.
  stamp_ = stamp;
  std::vector<VersionName> fresh;
  if (Status s = List(&fresh); !s.ok()) {
    stamp_ = Stamp();
    return s;
  }
  return fresh;
}

}  // namespace spoke
