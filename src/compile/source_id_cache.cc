// SourceIdCache: source files' blob ids remembered by stat data; see source_id_cache.h.
#include "spoke/source_id_cache.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "spoke/digest.h"
#include "spoke/files.h"

namespace spoke {
namespace {

constexpr std::string_view kMagic = "spoke-source-ids 1 ";
constexpr std::string_view kEnd = "end ";
constexpr size_t kTrailerSize = 4 + 64 + 1;  // "end " <SHA-256 hex> "\n"

// A file whose mtime or ctime is this close to the start of the run that hashed it is hashed
// again: a write in the same clock tick as the hash would leave its stat data as it was. Three
// seconds is more than any local file system's tick (FAT's two seconds included) plus the lag of
// the kernel's coarse clock, and costs only a re-read of a file just edited.
constexpr int64_t kRacyNs = 3'000'000'000;

// File systems whose times come from this machine's clock at a fine grain, with a true ctime.
// Others (NFS, SMB, FUSE, FAT, ...) are never trusted: their files are read every time.
constexpr uint64_t kZfsMagic = 0x2FC12FC1;
constexpr uint64_t kBcachefsMagic = 0xCA451A4E;
bool IsTrustedFileSystem(uint64_t magic) {
  switch (magic) {
    case EXT4_SUPER_MAGIC:  // also ext2 and ext3
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case TMPFS_MAGIC:
    case OVERLAYFS_SUPER_MAGIC:
    case F2FS_SUPER_MAGIC:
    case kZfsMagic:
    case kBcachefsMagic:
      return true;
    default:
      return false;
  }
}

// Nanoseconds since the epoch; -1 for a time before it or too far after it to count in int64.
int64_t Nanoseconds(const struct timespec& time) {
  if (time.tv_sec < 0 || time.tv_sec >= INT64_MAX / 1'000'000'000 - 1) return -1;
  return static_cast<int64_t>(time.tv_sec) * 1'000'000'000 + static_cast<int64_t>(time.tv_nsec);
}

bool SameStat(const struct stat& st, uint64_t size, int64_t mtime_ns, int64_t ctime_ns,
              uint64_t inode, uint64_t device) {
  return static_cast<uint64_t>(st.st_size) == size && Nanoseconds(st.st_mtim) == mtime_ns &&
         Nanoseconds(st.st_ctim) == ctime_ns && static_cast<uint64_t>(st.st_ino) == inode &&
         static_cast<uint64_t>(st.st_dev) == device;
}

// Reads a number and the one space after it off the front of `line`.
template <typename Number>
bool TakeNumber(std::string_view* line, Number* number) {
  auto [end, error] = std::from_chars(line->data(), line->data() + line->size(), *number);
  if (error != std::errc() || end == line->data() || end == line->data() + line->size() ||
      *end != ' ')
    return false;
  line->remove_prefix(static_cast<size_t>(end - line->data()) + 1);
  return true;
}

bool IsHexId(std::string_view id) {
  if (id.size() != 40) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

int64_t NowNs() {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  return Nanoseconds(now);
}

}  // namespace

SourceIdCache SourceIdCache::Load(std::string index_path) {
  SourceIdCache cache(std::move(index_path));
  cache.started_ns_ = NowNs();  // before any file of this run is looked at
  auto text = ReadFileToString(cache.index_path_);
  if (!text.ok()) return cache;
  std::string_view all(*text);
  // The trailer checks everything above it, so a cut or garbled index is an empty one.
  if (all.size() < kTrailerSize) return cache;
  const size_t end = all.size() - kTrailerSize;
  if (all.substr(end, kEnd.size()) != kEnd || all.back() != '\n' ||
      (end > 0 && all[end - 1] != '\n') ||
      all.substr(end + kEnd.size(), 64) != Sha256Hex(all.substr(0, end))) {
    return cache;
  }
  std::string_view body = all.substr(0, end);
  std::map<std::string, Entry> entries;
  int64_t written = 0;
  bool first = true;
  while (!body.empty()) {
    const size_t newline = body.find('\n');
    std::string_view line = body.substr(0, newline);
    body.remove_prefix(newline + 1);
    if (first) {
      first = false;
      if (line.substr(0, kMagic.size()) != kMagic) return cache;
      line.remove_prefix(kMagic.size());
      auto [at, error] = std::from_chars(line.data(), line.data() + line.size(), written);
      if (error != std::errc() || at != line.data() + line.size()) return cache;
      continue;
    }
    Entry entry;
    if (!TakeNumber(&line, &entry.size) || !TakeNumber(&line, &entry.mtime_ns) ||
        !TakeNumber(&line, &entry.ctime_ns) || !TakeNumber(&line, &entry.inode) ||
        !TakeNumber(&line, &entry.device)) {
      return cache;
    }
    if (line.size() < 42 || !IsHexId(line.substr(0, 40)) || line[40] != ' ') return cache;
    entry.id = std::string(line.substr(0, 40));
    std::string name(line.substr(41));
    if (!entries.empty() && entries.rbegin()->first >= name) return cache;
    entries.emplace_hint(entries.end(), std::move(name), std::move(entry));
  }
  if (first) return cache;
  cache.written_ns_ = written;
  cache.loaded_ = std::move(entries);
  return cache;
}

bool SourceIdCache::TrustedFileSystem(uint64_t device, const std::string& on_disk) {
  auto known = trusted_devices_.find(device);
  if (known != trusted_devices_.end()) return known->second;
  struct statfs fs;
  const bool trusted =
      ::statfs(on_disk.c_str(), &fs) == 0 && IsTrustedFileSystem(static_cast<uint64_t>(fs.f_type));
  trusted_devices_.emplace(device, trusted);
  return trusted;
}

Result<std::string> SourceIdCache::IdOf(const std::string& name, const std::string& on_disk) {
  struct stat now;
  const bool stated = ::lstat(on_disk.c_str(), &now) == 0 && S_ISREG(now.st_mode);
  auto loaded = loaded_.find(name);
  if (stated && loaded != loaded_.end()) {
    const Entry& known = loaded->second;
    const bool settled = known.mtime_ns >= 0 && known.ctime_ns >= 0 && written_ns_ >= kRacyNs &&
                         std::max(known.mtime_ns, known.ctime_ns) <= written_ns_ - kRacyNs;
    if (settled &&
        SameStat(now, known.size, known.mtime_ns, known.ctime_ns, known.inode, known.device) &&
        TrustedFileSystem(known.device, on_disk)) {
      used_[name] = known;
      return known.id;
    }
  }
  struct stat seen;
  SPOKE_ASSIGN_OR_RETURN(std::string id, GitBlobIdHexOfFile(on_disk, &seen));
  ++files_hashed_;
  changed_ = true;
  const Entry entry{static_cast<uint64_t>(seen.st_size), Nanoseconds(seen.st_mtim),
                    Nanoseconds(seen.st_ctim),           static_cast<uint64_t>(seen.st_ino),
                    static_cast<uint64_t>(seen.st_dev),  id};
  // Remembered only when the file stood still while it was read: the stat before the read and
  // the one after agree.
  struct stat after;
  if (::stat(on_disk.c_str(), &after) == 0 &&
      SameStat(after, entry.size, entry.mtime_ns, entry.ctime_ns, entry.inode, entry.device)) {
    used_[name] = entry;
  }
  return id;
}

Status SourceIdCache::Save() const {
  bool same_files = used_.size() == loaded_.size();
  for (auto a = used_.begin(), b = loaded_.begin(); same_files && a != used_.end(); ++a, ++b) {
    same_files = a->first == b->first;
  }
  if (!changed_ && same_files) return Status::Ok();
  // Stamped with the time this run began, not the time it ends: a file this run hashed is then
  // trusted only if it had not changed for kRacyNs before it was read, however long the compile
  // between the reading and this write took.
  std::string text = std::string(kMagic) + std::to_string(started_ns_) + "\n";
  for (const auto& [name, entry] : used_) {
    // A name with a line break could not be read back; such a file is simply not remembered.
    if (name.find('\n') != std::string::npos) continue;
    text += std::to_string(entry.size) + " " + std::to_string(entry.mtime_ns) + " " +
            std::to_string(entry.ctime_ns) + " " + std::to_string(entry.inode) + " " +
            std::to_string(entry.device) + " " + entry.id + " " + name + "\n";
  }
  text += std::string(kEnd) + Sha256Hex(text) + "\n";
  return WriteFileAtomically(index_path_, text);
}

void SourceIdCache::Drop() const {
  std::error_code ignored;
  std::filesystem::remove(index_path_, ignored);
}

std::string SourceIdIndexPath(const std::string& cache_dir, const std::string& dir) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
  if (ec) absolute = dir;
  std::string spelled = absolute.lexically_normal().generic_string();
  while (spelled.size() > 1 && spelled.back() == '/') spelled.pop_back();
  return (std::filesystem::path(cache_dir) / Sha256Hex(spelled)).string();
}

}  // namespace spoke
