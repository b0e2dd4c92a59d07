// fsync helpers and a file-to-file copy of a byte range (durable.h).
#include "store/durable.h"

#include <fcntl.h>
#include <git2.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "spoke/store.h"
#include "store/git_handles.h"

namespace spoke {
namespace {

std::atomic<bool> sync_writes{true};

// An open descriptor, closed on scope exit.
struct OwnedFd {
  int fd = -1;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

void SetSyncWrites(bool enabled) {
  EnsureLibgit2();
  sync_writes.store(enabled);
  // libgit2 syncs what it writes itself (loose objects, ref files and their directories, packs
  // its indexer writes) only when told to, process-wide.
  git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled ? 1 : 0);
}

bool SyncWritesEnabled() { return sync_writes.load(); }

Status WriteAll(int fd, std::string_view bytes, const std::string& what) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot write " + what + ": " + std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncFd(int fd, const std::string& what) {
  if (!SyncWritesEnabled()) return Status::Ok();
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return Status::IOError("cannot sync " + what + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status SyncPath(const std::string& path) {
  if (!SyncWritesEnabled()) return Status::Ok();
  OwnedFd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0)
    return Status::IOError("cannot open " + path + " to sync it: " + std::strerror(errno));
  return SyncFd(file.fd, path);
}

Status CopyFileRange(int in, uint64_t offset, uint64_t length, const std::string& to) {
  OwnedFd out{::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)};
  if (out.fd < 0) return Status::IOError("cannot create " + to + ": " + std::strerror(errno));
  auto in_offset = static_cast<off_t>(offset);
  uint64_t left = length;
  bool kernel_copies = true;
  std::vector<char> buffer;
  while (left > 0) {
    ssize_t n = -1;
    if (kernel_copies) {
      n = ::copy_file_range(in, &in_offset, out.fd, nullptr,
                            static_cast<size_t>(std::min<uint64_t>(left, 1 << 30)), 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        kernel_copies = false;
        buffer.resize(1 << 20);
        continue;
      }
    } else {
      n = ::pread(in, buffer.data(), static_cast<size_t>(std::min<uint64_t>(left, buffer.size())),
                  in_offset);
      if (n > 0) {
        for (ssize_t done = 0; done < n;) {
          ssize_t w = ::write(out.fd, buffer.data() + done, static_cast<size_t>(n - done));
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) return Status::IOError("cannot write " + to + ": " + std::strerror(errno));
          done += w;
        }
        in_offset += n;
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot copy into " + to + ": " + std::strerror(errno));
    if (n == 0) return Status::IOError("the file being copied into " + to + " ended early");
    left -= static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

}  // namespace spoke
