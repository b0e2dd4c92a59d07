// CheckoutCache: artifacts' generated files as plain files, checked by stat data before use.
#include "spoke/checkout_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "spoke/artifact_cache.h"
#include "util/files.h"
#include "util/parallel.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

constexpr char kListingMagic[] = "spoke-checkout 1 ";

// Work per thread: below this many files, or bytes to copy, one thread does it all, since starting
// threads would cost more.
constexpr size_t kFilesPerThread = 64;
constexpr uint64_t kBytesPerThread = 1 << 20;

struct FileStat {
  uint64_t size = 0, mtime_ns = 0, inode = 0;
};

bool StatFile(const std::string& path, FileStat* out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  out->size = static_cast<uint64_t>(st.st_size);
  out->mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u + static_cast<uint64_t>(st.st_mtim.tv_nsec);
  out->inode = static_cast<uint64_t>(st.st_ino);
  return true;
}

bool IsKey(const std::string& key) {
  return key.size() == 64 && std::all_of(key.begin(), key.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

unsigned ThreadsFor(size_t files, uint64_t bytes) {
  const uint64_t wanted = std::max<uint64_t>(files / kFilesPerThread, bytes / kBytesPerThread);
  return static_cast<unsigned>(
      std::clamp<uint64_t>(std::min<uint64_t>(wanted, files), 1, std::min(std::thread::hardware_concurrency(), 8u)));
}

// Runs `work(i)` for i in [0, count) on ThreadsFor(count, bytes) threads; the first error by
// index wins.
Status ForEachFile(size_t count, uint64_t bytes, const std::function<Status(size_t)>& work) {
  const unsigned threads = ThreadsFor(count, bytes);
  std::vector<Status> statuses(count);
  std::atomic<bool> failed{false};
  SPOKE_RETURN_IF_ERROR(RunInParallel(threads, [&](unsigned part) -> Status {
    size_t begin = count * part / threads, end = count * (part + 1) / threads;
    for (size_t i = begin; i < end && !failed; ++i) {
      statuses[i] = work(i);
      if (!statuses[i].ok()) failed = true;
    }
    return Status::Ok();
  }));
  for (const auto& status : statuses) SPOKE_RETURN_IF_ERROR(status);
  return Status::Ok();
}

Status CreateParentDirs(const std::string& root, const std::vector<std::string>& paths) {
  std::set<fs::path> dirs;
  for (const auto& path : paths) dirs.insert((fs::path(root) / path).parent_path());
  for (const auto& dir : dirs) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  }
  return Status::Ok();
}

void RemoveTree(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

}  // namespace

std::string CheckoutCache::EntryDir(const std::string& key) const {
  return (fs::path(dir_) / key.substr(0, 2) / key).string();
}

std::string CheckoutCache::ListingPath(const std::string& key) const {
  return (fs::path(dir_) / key.substr(0, 2) / (key + ".files")).string();
}

std::optional<CheckoutEntry> CheckoutCache::Find(const std::string& key) const {
  if (!IsKey(key)) return std::nullopt;
  auto listing = ReadFileToString(ListingPath(key));
  if (!listing.ok()) return std::nullopt;
  std::istringstream in(*listing);
  std::string line;
  if (!std::getline(in, line) || line != kListingMagic + key) return std::nullopt;
  CheckoutEntry entry{key, EntryDir(key), {}};
  std::vector<FileStat> recorded;
  while (std::getline(in, line)) {
    FileStat stat;
    std::istringstream fields(line);
    std::string path;
    if (!(fields >> stat.size >> stat.mtime_ns >> stat.inode) || fields.get() != ' ') return std::nullopt;
    std::getline(fields, path);
    // The listing is only ours, but it names files to write under the user's output directory.
    if (!CheckArtifactPath(path).ok()) return std::nullopt;
    if (!entry.files.empty() && entry.files.back().first >= path) return std::nullopt;
    entry.files.emplace_back(std::move(path), stat.size);
    recorded.push_back(stat);
  }
  Status intact = ForEachFile(entry.files.size(), 0, [&](size_t i) -> Status {
    FileStat now;
    if (!StatFile(entry.dir + "/" + entry.files[i].first, &now) || now.size != recorded[i].size ||
        now.mtime_ns != recorded[i].mtime_ns || now.inode != recorded[i].inode) {
      return Status::Corruption("changed");
    }
    return Status::Ok();
  });
  if (!intact.ok()) return std::nullopt;
  return entry;
}

Status CheckoutCache::Add(const std::string& key, const std::string& out, const std::vector<std::string>& paths) const {
  if (!IsKey(key)) return Status::InvalidArgument("not an artifact key: \"" + key + "\"");
  if (Find(key)) return Status::Ok();
  std::vector<std::string> sorted = paths;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  // Built in a directory of its own, then renamed into place, so a reader never sees half of it.
  std::random_device random;
  const fs::path temp = fs::path(dir_) / "tmp" / (key + "." + std::to_string(::getpid()) + "." + std::to_string(random()));
  SPOKE_RETURN_IF_ERROR(CreateParentDirs(temp.string(), sorted));
  std::vector<FileStat> stats(sorted.size());
  Status filled = ForEachFile(sorted.size(), 0, [&](size_t i) -> Status {
    const std::string from = (fs::path(out) / sorted[i]).string(), to = (temp / sorted[i]).string();
    Status linked = LinkFileReplacing(from, to);
    if (linked.code() == Status::Code::kUnavailable) {
      FileStat source;
      if (!StatFile(from, &source)) return Status::IOError("cannot read " + from);
      linked = CopyFileReplacing(from, to, source.size);
    }
    SPOKE_RETURN_IF_ERROR(linked);
    if (!StatFile(to, &stats[i])) return Status::IOError("cannot stat " + to);
    return Status::Ok();
  });
  if (!filled.ok()) {
    RemoveTree(temp);
    return filled;
  }

  const fs::path entry_dir = EntryDir(key), listing_path = ListingPath(key);
  std::error_code ec;
  fs::create_directories(entry_dir.parent_path(), ec);
  // An entry dir without a valid listing is a leftover (a crash, a changed file): replace it.
  fs::remove(listing_path, ec);
  RemoveTree(entry_dir);
  fs::rename(temp, entry_dir, ec);
  if (ec) {
    RemoveTree(temp);
    // Another process may have made the same entry meanwhile; identical output, so theirs will do.
    if (Find(key)) return Status::Ok();
    return Status::IOError("cannot move " + temp.string() + " to " + entry_dir.string() + ": " + ec.message());
  }
  std::string listing = kListingMagic + key + "\n";
  for (size_t i = 0; i < sorted.size(); ++i) {
    listing += std::to_string(stats[i].size) + " " + std::to_string(stats[i].mtime_ns) + " " +
               std::to_string(stats[i].inode) + " " + sorted[i] + "\n";
  }
  Status written = WriteFileAtomically(listing_path.string(), listing);
  if (!written.ok()) RemoveTree(entry_dir);
  return written;
}

Status CheckoutCache::Place(const CheckoutEntry& entry, const std::string& out, PlaceMethod method) const {
  std::vector<std::string> paths;
  paths.reserve(entry.files.size());
  for (const auto& [path, size] : entry.files) paths.push_back(path);
  SPOKE_RETURN_IF_ERROR(CreateParentDirs(out, paths));
  uint64_t bytes = 0;
  if (method == PlaceMethod::kCopy) {
    for (const auto& [path, size] : entry.files) bytes += size;
  }
  return ForEachFile(entry.files.size(), bytes, [&](size_t i) -> Status {
    const auto& [path, size] = entry.files[i];
    const std::string from = entry.dir + "/" + path, to = (fs::path(out) / path).string();
    if (method == PlaceMethod::kHardLink) {
      Status linked = LinkFileReplacing(from, to);
      if (linked.code() != Status::Code::kUnavailable) return linked;
    }
    return CopyFileReplacing(from, to, size);
  });
}

}  // namespace spoke
