// CheckoutCache: artifacts' generated files as plain files, checked by stat data before use.
#include "spoke/checkout_cache.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>

#include "spoke/artifact_cache.h"
#include "spoke/digest.h"
#include "spoke/files.h"
#include "util/parallel.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

constexpr char kListingMagic[] = "spoke-checkout 2 ";

// Work per thread: below this many files, or bytes to copy, one thread does it all, since starting
// threads would cost more.
constexpr size_t kFilesPerThread = 64;
constexpr uint64_t kBytesPerThread = 1 << 20;

// A half-made entry in tmp/ this old belongs to a process that died.
constexpr auto kStaleTemp = std::chrono::hours(1);

CheckoutFile StatOf(const struct stat& st) {
  CheckoutFile file;
  file.size = static_cast<uint64_t>(st.st_size);
  file.mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                  static_cast<uint64_t>(st.st_mtim.tv_nsec);
  file.inode = static_cast<uint64_t>(st.st_ino);
  return file;
}

// Stat data of a regular file, never following a symbolic link (a link in the cache is refused).
bool StatFile(const std::string& path, CheckoutFile* out) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  const CheckoutFile now = StatOf(st);
  out->size = now.size;
  out->mtime_ns = now.mtime_ns;
  out->inode = now.inode;
  return true;
}

bool SameStat(const CheckoutFile& a, const CheckoutFile& b) {
  return a.size == b.size && a.mtime_ns == b.mtime_ns && a.inode == b.inode;
}

bool IsKey(const std::string& key) {
  return key.size() == 64 && std::all_of(key.begin(), key.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

unsigned ThreadsFor(size_t files, uint64_t bytes) {
  const uint64_t wanted = std::max<uint64_t>(files / kFilesPerThread, bytes / kBytesPerThread);
  const unsigned most = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  return static_cast<unsigned>(std::clamp<uint64_t>(std::min<uint64_t>(wanted, files), 1, most));
}

// Runs `work(i)` for i in [0, count) on ThreadsFor(count, bytes) threads, each taking the next
// index not yet taken, so the order of the indexes is the order work starts in; returns the
// error of the lowest index that failed.
Status ForEachFile(size_t count, uint64_t bytes, const std::function<Status(size_t)>& work) {
  const unsigned threads = ThreadsFor(count, bytes);
  std::vector<Status> statuses(count);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  SPOKE_RETURN_IF_ERROR(RunInParallel(threads, [&](unsigned) -> Status {
    for (size_t i = next++; i < count && !failed; i = next++) {
      statuses[i] = work(i);
      if (!statuses[i].ok()) failed = true;
    }
    return Status::Ok();
  }));
  for (const auto& status : statuses) SPOKE_RETURN_IF_ERROR(status);
  return Status::Ok();
}

void RemoveTree(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

// Waits until the clock the file system stamps mtimes with (a coarse one, ticking every few
// milliseconds) has passed `mtime_ns`, watched by touching a file of its own in `dir`. After
// that, any write to a file whose mtime was `mtime_ns` or less moves its mtime. False when the
// clock did not move within a second.
bool WaitForFileClockPast(const fs::path& dir, uint64_t mtime_ns) {
  std::random_device random;
  const fs::path probe =
      dir / ("clock." + std::to_string(::getpid()) + "." + std::to_string(random()));
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  bool passed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!passed && std::chrono::steady_clock::now() < deadline) {
    struct stat st;
    if (::futimens(fd, nullptr) != 0 || ::fstat(fd, &st) != 0) break;
    const uint64_t now_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                            static_cast<uint64_t>(st.st_mtim.tv_nsec);
    passed = now_ns > mtime_ns;
    if (!passed) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return passed;
}

// Removes entries left in `tmp` by processes that died while making them.
// The pid in a temp's name "<what>.<pid>.<random>", or 0.
pid_t PidOfTemp(const std::string& name) {
  const size_t last = name.rfind('.');
  if (last == std::string::npos || last == 0) return 0;
  const size_t first = name.rfind('.', last - 1);
  if (first == std::string::npos) return 0;
  const std::string digits = name.substr(first + 1, last - first - 1);
  if (digits.empty() || digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), ::isdigit))
    return 0;
  return static_cast<pid_t>(std::stol(digits));
}

void RemoveStaleTemps(const fs::path& tmp) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
    // A compile may run for more than an hour: its process's temps stay while it lives.
    const pid_t pid = PidOfTemp(it->path().filename().string());
    if (pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM)) continue;
    std::error_code time_ec;
    const auto written = fs::last_write_time(it->path(), time_ec);
    if (!time_ec && now - written > kStaleTemp) RemoveTree(it->path());
  }
}

// An exclusive flock on `path` (created as needed), released on destruction.
class FileLock {
 public:
  // `wait`: block until the lock is free; else held() is false when someone holds it.
  explicit FileLock(const std::string& path, bool wait = true)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0 && ::flock(fd_, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() { Release(); }
  void Release() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
    fd_ = -1;
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

// "end <file count> <bytes> <SHA-256 of the listing above>\n".
std::string Trailer(size_t files, uint64_t bytes, std::string_view above) {
  return "end " + std::to_string(files) + " " + std::to_string(bytes) + " " + Sha256Hex(above) +
         "\n";
}

// The bytes a listing's trailer counts, read from its end only: "end <files> <bytes> <64 hex>\n"
// as its last line. nullopt for anything else (a listing of another format, a cut one).
std::optional<uint64_t> ListedBytes(const fs::path& listing) {
  std::ifstream in(listing, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  const std::streamoff size = in.tellg();
  if (size <= 0) return std::nullopt;
  const std::streamoff tail = std::min<std::streamoff>(size, 256);
  std::string end(static_cast<size_t>(tail), '\0');
  in.seekg(size - tail);
  if (!in.read(end.data(), tail) || end.back() != '\n') return std::nullopt;
  const size_t at = end.rfind("\nend ", end.size() - 2);
  if (at == std::string::npos) return std::nullopt;
  std::istringstream fields(end.substr(at + 5));
  uint64_t files = 0, bytes = 0;
  std::string checksum, rest;
  if (!(fields >> files >> bytes >> checksum) || (fields >> rest) || !IsKey(checksum))
    return std::nullopt;
  return bytes;
}

std::string ListingLine(const CheckoutFile& file) {
  return std::to_string(file.size) + " " + std::to_string(file.mtime_ns) + " " +
         std::to_string(file.inode) + " " + file.path + "\n";
}

}  // namespace

std::string CheckoutCache::EntryDir(const std::string& key) const {
  return (fs::path(dir_) / key.substr(0, 2) / key).string();
}

std::string CheckoutCache::KeyPath(const std::string& key, const std::string& suffix) const {
  return (fs::path(dir_) / key.substr(0, 2) / (key + suffix)).string();
}

std::optional<CheckoutEntry> CheckoutCache::Find(const std::string& key) const {
  if (!IsKey(key)) return std::nullopt;
  auto listing = ReadFileToString(KeyPath(key, ".files"));
  if (!listing.ok()) return std::nullopt;
  // The trailer: the count and checksum of everything above it, so a cut or garbled listing is
  // a miss rather than a smaller artifact.
  const size_t trailer = listing->rfind("end ", listing->size() >= 4 ? listing->size() - 4 : 0);
  if (trailer == std::string::npos || (trailer > 0 && (*listing)[trailer - 1] != '\n'))
    return std::nullopt;
  const std::string body = listing->substr(0, trailer);
  std::istringstream in(body);
  std::string line;
  if (!std::getline(in, line) || line != kListingMagic + key) return std::nullopt;
  CheckoutEntry entry{key, EntryDir(key), {}};
  while (std::getline(in, line)) {
    CheckoutFile file;
    std::istringstream fields(line);
    if (!(fields >> file.size >> file.mtime_ns >> file.inode) || fields.get() != ' ')
      return std::nullopt;
    std::getline(fields, file.path);
    // The listing is only ours, but it names files to write under the user's output directory.
    if (!CheckArtifactPath(file.path).ok()) return std::nullopt;
    if (!entry.files.empty() && entry.files.back().path >= file.path) return std::nullopt;
    entry.files.push_back(std::move(file));
  }
  uint64_t bytes = 0;
  for (const auto& file : entry.files) bytes += file.size;
  if (listing->substr(trailer) != Trailer(entry.files.size(), bytes, body)) return std::nullopt;
  Status intact = ForEachFile(entry.files.size(), 0, [&](size_t i) -> Status {
    CheckoutFile now;
    if (!StatFile(entry.dir + "/" + entry.files[i].path, &now) || !SameStat(now, entry.files[i])) {
      return Status::Corruption("changed");
    }
    return Status::Ok();
  });
  if (!intact.ok()) return std::nullopt;
  // The listing's mtime is the entry's last use, for eviction (least recently used goes first).
  ::utimensat(AT_FDCWD, KeyPath(key, ".files").c_str(), nullptr, 0);
  return entry;
}

Status CheckoutCache::MakeEntry(const std::string& key, const std::function<Status()>& make) const {
  if (!IsKey(key)) return Status::InvalidArgument("not an artifact key: \"" + key + "\"");
  const fs::path shard = fs::path(dir_) / key.substr(0, 2);
  std::error_code ec;
  fs::create_directories(shard, ec);
  if (ec) return Status::IOError("cannot create " + shard.string() + ": " + ec.message());
  {
    // One process at a time makes or replaces an entry, so none removes another's fresh one.
    FileLock lock(KeyPath(key, ".lock"));
    if (!lock.held()) return Status::IOError("cannot lock " + KeyPath(key, ".lock"));
    if (!Find(key)) SPOKE_RETURN_IF_ERROR(make());  // else made meanwhile by another process
  }
  if (max_bytes_ > 0) EvictDownTo(max_bytes_, key);
  return Status::Ok();
}

Status CheckoutCache::Add(const std::string& key, const std::string& out,
                          const std::vector<std::string>& paths) const {
  if (IsKey(key) && Find(key)) return Status::Ok();
  return MakeEntry(key, [&] { return AddLocked(key, out, paths); });
}

void CheckoutCache::EvictDownTo(uint64_t max_bytes, const std::string& keep) const {
  struct Listed {
    fs::file_time_type used;
    std::string key;
    uint64_t bytes;
  };
  std::vector<Listed> entries;
  std::vector<std::string> unreadable;  // listings Find() can never accept: of another format, cut
  uint64_t total = 0;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator shard(dir_, ec), end; !ec && shard != end; shard.increment(ec)) {
    if (shard->path().filename().string().size() != 2) continue;  // tmp/, and anything else
    std::error_code shard_ec;
    for (fs::directory_iterator it(shard->path(), shard_ec); !shard_ec && it != end;
         it.increment(shard_ec)) {
      const fs::path& path = it->path();
      const std::string name = path.filename().string();
      std::error_code time_ec;
      const auto written = fs::last_write_time(path, time_ec);
      if (time_ec) continue;
      if (name != keep && IsKey(name) && now - written > kStaleTemp) {
        std::error_code listing_ec;
        const bool listed = fs::exists(KeyPath(name, ".files"), listing_ec);
        if (listing_ec) continue;  // cannot tell whether it is listed: left for a later prune
        if (!listed) {
          unreadable.push_back(name);  // an entry whose listing was never written (a crash)
          continue;
        }
      }
      const std::string key = path.stem().string();
      if (path.extension() != ".files" || !IsKey(key)) continue;
      auto bytes = ListedBytes(path);
      if (!bytes) {
        if (key != keep) unreadable.push_back(key);
        continue;
      }
      entries.push_back({written, key, *bytes});
      total += std::min(*bytes, UINT64_MAX - total);
    }
  }
  // Removes an entry unless someone holds its lock (making it, or replacing it) or it was used
  // since the scan; true when removed.
  auto remove = [&](const std::string& key, std::optional<fs::file_time_type> used) {
    FileLock lock(KeyPath(key, ".lock"), /*wait=*/false);
    if (!lock.held()) return false;
    std::error_code time_ec;
    const auto now_used = fs::last_write_time(KeyPath(key, ".files"), time_ec);
    if (used && (time_ec || now_used != *used)) return false;
    fs::remove(KeyPath(key, ".files"), time_ec);
    RemoveTree(EntryDir(key));
    return true;
  };
  for (const auto& key : unreadable) remove(key, std::nullopt);
  if (total <= max_bytes) return;
  std::sort(entries.begin(), entries.end(), [](const Listed& a, const Listed& b) {
    return a.used != b.used ? a.used < b.used : a.key < b.key;
  });
  for (const auto& entry : entries) {
    if (total <= max_bytes) break;
    if (entry.key != keep && remove(entry.key, entry.used)) total -= entry.bytes;
  }
}

namespace {

// `paths` sorted, without repeats, as the listing's files.
std::vector<CheckoutFile> SortedFiles(const std::vector<std::string>& paths) {
  std::vector<CheckoutFile> files;
  for (const auto& path : paths) files.push_back({path});
  std::sort(files.begin(), files.end(),
            [](const CheckoutFile& a, const CheckoutFile& b) { return a.path < b.path; });
  files.erase(
      std::unique(files.begin(), files.end(),
                  [](const CheckoutFile& a, const CheckoutFile& b) { return a.path == b.path; }),
      files.end());
  return files;
}

}  // namespace

std::string CheckoutCache::NewTempDir(const std::string& what) const {
  const fs::path tmp = fs::path(dir_) / "tmp";
  RemoveStaleTemps(tmp);
  std::random_device random;
  return (tmp / (what + "." + std::to_string(::getpid()) + "." + std::to_string(random())))
      .string();
}

Status CheckoutCache::AddLocked(const std::string& key, const std::string& out,
                                const std::vector<std::string>& paths) const {
  std::vector<CheckoutFile> files = SortedFiles(paths);
  // Built in a directory of its own, then renamed into place, so a reader never sees half of it;
  // linking or copying a file makes the directories it needs.
  const fs::path temp = NewTempDir(key);
  Status filled = ForEachFile(files.size(), 0, [&](size_t i) -> Status {
    const std::string from = (fs::path(out) / files[i].path).string(),
                      to = (temp / files[i].path).string();
    Status linked = LinkFileReplacing(from, to);
    if (linked.code() == Status::Code::kUnavailable) {
      CheckoutFile source;
      if (!StatFile(from, &source))
        return Status::IOError("cannot read " + from + " (not a regular file?)");
      linked = CopyFileReplacing(from, to, source.size);
    }
    return linked;
  });
  if (!filled.ok()) {
    RemoveTree(temp);
    return filled;
  }
  return CommitLocked(key, temp.string(), &files);
}

Status CheckoutCache::CommitLocked(const std::string& key, const std::string& temp,
                                   std::vector<CheckoutFile>* files) const {
  std::error_code made;
  fs::create_directories(temp, made);  // an artifact with no files still gets its (empty) entry
  Status checked = ForEachFile(files->size(), 0, [&](size_t i) -> Status {
    const std::string path = temp + "/" + (*files)[i].path;
    if (!StatFile(path, &(*files)[i]))
      return Status::IOError(path + " is missing or not a regular file");
    return Status::Ok();
  });
  // Once the clock has moved on, any later write changes an mtime; a write before that must show
  // now, or it never will.
  uint64_t newest = 0;
  for (const auto& file : *files) newest = std::max(newest, file.mtime_ns);
  if (checked.ok() && !files->empty() && !WaitForFileClockPast(fs::path(dir_) / "tmp", newest)) {
    checked = Status::IOError("the file system's clock did not move past the files' times");
  }
  if (checked.ok()) {
    checked = ForEachFile(files->size(), 0, [&](size_t i) -> Status {
      CheckoutFile now;
      if (!StatFile(temp + "/" + (*files)[i].path, &now) || !SameStat(now, (*files)[i])) {
        return Status::Conflict((*files)[i].path + " changed while it was being cached");
      }
      return Status::Ok();
    });
  }
  if (!checked.ok()) {
    RemoveTree(temp);
    return checked;
  }

  // What is there now failed Find() under the lock: a left-over of a crash, or a changed file.
  const fs::path entry_dir = EntryDir(key), listing_path = KeyPath(key, ".files");
  std::error_code ec;
  fs::remove(listing_path, ec);
  RemoveTree(entry_dir);
  fs::rename(temp, entry_dir, ec);
  if (ec) {
    RemoveTree(temp);
    return Status::IOError("cannot move " + temp + " to " + entry_dir.string() + ": " +
                           ec.message());
  }
  std::string listing = kListingMagic + key + "\n";
  uint64_t bytes = 0;
  for (const auto& file : *files) {
    listing += ListingLine(file);
    bytes += file.size;
  }
  listing += Trailer(files->size(), bytes, listing);
  Status written = WriteFileAtomically(listing_path.string(), listing);
  if (!written.ok()) RemoveTree(entry_dir);
  return written;
}

Result<std::string> CheckoutCache::StartStage() const {
  const std::string stage = NewTempDir("stage");
  std::error_code ec;
  fs::create_directories(stage, ec);
  if (ec) return Status::IOError("cannot create " + stage + ": " + ec.message());
  return stage;
}

void CheckoutCache::DropStage(const std::string& stage) const { RemoveTree(stage); }

Result<CheckoutEntry> CheckoutCache::Adopt(const std::string& key, const std::string& staged,
                                           const std::vector<std::string>& paths) const {
  SPOKE_RETURN_IF_ERROR(MakeEntry(key, [&] {
    std::vector<CheckoutFile> files = SortedFiles(paths);
    return CommitLocked(key, staged, &files);
  }));
  RemoveTree(staged);  // when an intact entry was there already
  auto entry = Find(key);
  if (!entry)
    return Status::Conflict("the checkout cache entry " + key + " changed as soon as it was made");
  return std::move(*entry);
}

Status CheckoutCache::Place(const CheckoutEntry& entry, const std::string& out,
                            PlaceMethod method) const {
  // The biggest files first, each claimed by whichever thread is free, so the threads end together.
  // No directory is made up front: the first file that needs one makes it, on its own thread,
  // while the other thread copies (a mkdir costs as much as copying a few hundred kilobytes).
  std::vector<size_t> order(entry.files.size());
  uint64_t bytes = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
    if (method == PlaceMethod::kCopy) bytes += entry.files[i].size;
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return entry.files[a].size > entry.files[b].size; });
  // An output directory that is not there yet holds no file to compare with.
  struct stat out_stat;
  const bool new_out = ::lstat(out.c_str(), &out_stat) != 0 && errno == ENOENT;
  return ForEachFile(order.size(), bytes, [&](size_t n) -> Status {
    const CheckoutFile& file = entry.files[order[n]];
    const std::string from = entry.dir + "/" + file.path, to = (fs::path(out) / file.path).string();
    const auto changed = [&] {
      return Status::Conflict(from + " changed after it was found in the checkout cache");
    };
    // A copy is made from a descriptor checked by fstat, so what is copied is the very file the
    // listing names; a link is checked by lstat, since link() takes a path.
    const auto open_checked = [&](struct stat* st) {
      int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd >= 0 &&
          (::fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || !SameStat(StatOf(*st), file))) {
        ::close(fd);
        fd = -1;
      }
      return fd;
    };
    struct stat cached;
    int in = -1;
    if (method == PlaceMethod::kCopy) {
      if ((in = open_checked(&cached)) < 0) return changed();
    } else if (::lstat(from.c_str(), &cached) != 0 || !S_ISREG(cached.st_mode) ||
               !SameStat(StatOf(cached), file)) {
      return changed();
    }
    // Already this very file (a hard link an earlier compile placed): nothing to write, and its
    // mtime stays, so a build tool sees no change where there is none.
    struct stat there;
    if (!new_out && ::lstat(to.c_str(), &there) == 0 && S_ISREG(there.st_mode) &&
        there.st_dev == cached.st_dev && there.st_ino == cached.st_ino) {
      if (in >= 0) ::close(in);
      return Status::Ok();
    }
    if (method == PlaceMethod::kHardLink) {
      Status linked = LinkFileReplacing(from, to);
      if (linked.code() != Status::Code::kUnavailable) return linked;
      if ((in = open_checked(&cached)) < 0) return changed();  // another file system: a copy
    }
    Status copied = CopyOpenFileReplacing(in, from, to, file.size);
    ::close(in);
    return copied;
  });
}

}  // namespace spoke
