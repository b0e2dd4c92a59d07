// File helpers with errors as values; the CLI and the store's local config use them.
#include "spoke/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "spoke/digest.h"
#include "util/parallel.h"

namespace spoke {

Result<std::string> ReadFileToString(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  auto failed = [&](const char* what) {
    int saved = errno;
    ::close(fd);
    return Status::IOError(std::string(what) + " " + path + ": " + std::strerror(saved));
  };
  struct stat st;
  if (::fstat(fd, &st) != 0) return failed("cannot read");
  std::string content;
  // The size stat gave, read straight into the string; then whatever is beyond it (a file still
  // growing, or one whose size stat does not know, as in /proc), so the result is exact without
  // doubling the string only to meet the end of the file.
  if (S_ISREG(st.st_mode)) content.resize(static_cast<size_t>(st.st_size));
  size_t used = 0;
  while (used < content.size()) {
    ssize_t n = ::read(fd, content.data() + used, content.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed("error reading");
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  content.resize(used);
  char more[16 << 10];
  for (;;) {
    ssize_t n = ::read(fd, more, sizeof more);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed("error reading");
    if (n == 0) break;
    content.append(more, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

Result<std::string> GitBlobIdHexOfFile(const std::string& path) {
  struct stat seen;
  return GitBlobIdHexOfFile(path, &seen);
}

Result<std::string> GitBlobIdHexOfFile(const std::string& path, struct stat* seen) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  struct stat& st = *seen;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::IOError("cannot read " + path + ": not a regular file");
  }
  GitBlobHasher hasher(static_cast<uint64_t>(st.st_size));
  char buffer[64 << 10];
  uint64_t hashed = 0;
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      return Status::IOError("error reading " + path + ": " + std::strerror(saved));
    }
    if (n == 0) break;
    hasher.Update(std::string_view(buffer, static_cast<size_t>(n)));
    hashed += static_cast<uint64_t>(n);
  }
  ::close(fd);
  // The header named the size fstat saw; bytes that came or went since would give a wrong id.
  if (hashed != static_cast<uint64_t>(st.st_size))
    return Status::Conflict(path + " changed while it was read");
  return HexOf(hasher.Finish());
}

Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  std::error_code ec;
  std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return Status::IOError("cannot create directory for " + path + ": " + ec.message());
  std::string temp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError("cannot write " + temp + ": " + std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) return Status::IOError("error writing " + temp);
  }
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    std::error_code ignored;  // the rename's error is the one to report
    std::filesystem::remove(temp, ignored);
    return Status::IOError("cannot rename " + temp + " to " + path + ": " + ec.message());
  }
  return Status::Ok();
}

namespace {

// mkdir -p of `dir`: only the missing directories are made, deepest first tried, so a tree that
// is mostly there costs one call. Another thread or process making the same ones is no error.
bool MakeDirectories(const std::string& dir) {
  if (dir.empty() || dir == "/" || dir == ".") return true;
  if (::mkdir(dir.c_str(), 0777) == 0) return true;
  if (errno == EEXIST) return true;
  if (errno != ENOENT) return false;
  const size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos) return false;
  if (!MakeDirectories(dir.substr(0, slash == 0 ? 1 : slash))) return false;
  return ::mkdir(dir.c_str(), 0777) == 0 || errno == EEXIST;
}

// Makes the directory `path` lives in, as MakeDirectories; false with errno set on failure.
bool MakeParentDirectories(const std::string& path) {
  std::string dir = path;
  while (!dir.empty() && dir.back() == '/') dir.pop_back();
  const size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos) return true;
  dir.resize(slash == 0 ? 1 : slash);
  return MakeDirectories(dir);
}

// Creates `path` for writing; a file already there is unlinked and a new one made, so nothing is
// written through a hard link. Missing parent directories are made on the way. Returns the
// descriptor, or -1 with errno set.
// Another writer of the same path may create it again between our unlink and our create; a few
// rounds settle that, and the last round never unlinks, so the loser of such a race fails rather
// than deleting the winner's file.
constexpr int kReplaceAttempts = 8;

int CreateReplacing(const std::string& path) {
  bool made_parent = false;
  for (int attempt = 1;; ++attempt) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || attempt == kReplaceAttempts) return fd;
    if (errno == ENOENT && !made_parent) {
      made_parent = true;
      if (!MakeParentDirectories(path)) return -1;
      continue;
    }
    if (errno != EEXIST) return -1;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return -1;
  }
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Status WriteFileInPlace(const std::string& path, std::string_view contents) {
  return WriteFileInPlace(path, std::vector<std::string_view>{contents});
}

Status WriteFileInPlace(const std::string& path, const std::vector<std::string_view>& pieces) {
  int fd = CreateReplacing(path);
  if (fd < 0) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  bool written = true;
  for (std::string_view piece : pieces)
    written = written && WriteAll(fd, piece.data(), piece.size());
  int saved = errno;
  bool closed = ::close(fd) == 0;
  if (!written || !closed) {
    return Status::IOError("error writing " + path + ": " + std::strerror(written ? errno : saved));
  }
  return Status::Ok();
}

Status CopyFileReplacing(const std::string& from, const std::string& to, uint64_t size) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return Status::IOError("cannot read " + from + ": " + std::strerror(errno));
  Status copied = CopyOpenFileReplacing(in, from, to, size);
  ::close(in);
  return copied;
}

Status CopyOpenFileReplacing(int in, const std::string& from, const std::string& to,
                             uint64_t size) {
  int out = CreateReplacing(to);
  if (out < 0) {
    const int saved = errno;
    return Status::IOError("cannot write " + to + ": " + std::strerror(saved));
  }
  uint64_t copied = 0;
  bool kernel_copy = true, failed = false;
  std::vector<char> buffer;
  while (!failed) {
    ssize_t n = -1;
    if (kernel_copy) {
      n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
      // Not between these files (another file system, some FUSE or overlay mounts, which may
      // also claim there is nothing to copy): read and write instead.
      const bool unsupported = n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                                         errno == EOPNOTSUPP || errno == EPERM);
      if (copied == 0 && (unsupported || (n == 0 && size > 0))) {
        kernel_copy = false;
        continue;
      }
    } else {
      if (buffer.empty()) buffer.resize(1 << 20);
      n = ::read(in, buffer.data(), buffer.size());
      if (n > 0 && !WriteAll(out, buffer.data(), static_cast<size_t>(n))) n = -1;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) failed = true;
    if (n <= 0) break;
    copied += static_cast<uint64_t>(n);
  }
  int saved = errno;
  bool closed = ::close(out) == 0;
  if (failed || !closed || copied != size) ::unlink(to.c_str());  // no partial file left behind
  if (failed || !closed)
    return Status::IOError("cannot copy " + from + " to " + to + ": " + std::strerror(saved));
  if (copied != size) {
    return Status::Corruption(from + " holds " + std::to_string(copied) + " bytes, not " +
                              std::to_string(size));
  }
  return Status::Ok();
}

Status LinkFileReplacing(const std::string& from, const std::string& to) {
  bool made_parent = false;
  for (int attempt = 1;; ++attempt) {
    if (::link(from.c_str(), to.c_str()) == 0) return Status::Ok();
    if (errno == ENOENT && !made_parent && attempt < kReplaceAttempts) {
      made_parent = true;  // `to`'s directory is missing, or `from` is: the next round tells
      if (!MakeParentDirectories(to)) break;
      continue;
    }
    if (errno != EEXIST || attempt == kReplaceAttempts) break;
    if (::unlink(to.c_str()) != 0 && errno != ENOENT) break;
  }
  const int saved = errno;  // before any allocation below can change it
  if (saved == EXDEV || saved == EPERM || saved == EMLINK || saved == EOPNOTSUPP) {
    return Status::Unavailable("cannot hard-link " + to + " to " + from + ": " +
                               std::strerror(saved));
  }
  return Status::IOError("cannot hard-link " + to + " to " + from + ": " + std::strerror(saved));
}

Status WriteFilesUnder(const std::string& dir, const std::map<std::string, std::string>& files) {
  std::vector<std::pair<std::string, std::string_view>> jobs;
  jobs.reserve(files.size());
  for (const auto& [path, content] : files) {
    jobs.emplace_back((std::filesystem::path(dir) / path).string(), content);
  }
  unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  if (jobs.size() < 64) threads = 1;
  return RunInParallel(threads, [&](unsigned part) -> Status {
    size_t begin = jobs.size() * part / threads, end = jobs.size() * (part + 1) / threads;
    for (size_t i = begin; i < end; ++i)
      SPOKE_RETURN_IF_ERROR(WriteFileInPlace(jobs[i].first, jobs[i].second));
    return Status::Ok();
  });
}

}  // namespace spoke
