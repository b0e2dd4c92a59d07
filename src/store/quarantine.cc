// Quarantines under flock, the sweep that removes those of dead processes (quarantine.h), and
// the IncomingFile a store hands out, which is a file in one.
#include "spoke/quarantine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <system_error>

#include "spoke/store.h"
#include "store/store_impl.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

constexpr char kIncomingDir[] = "spoke-incoming";
// A directory keeps its "n-" name only between its mkdir and its rename, microseconds apart; one
// that old belongs to a process that died in between.
constexpr auto kUnlockedCreationGrace = std::chrono::minutes(1);

std::string RandomName() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::to_string(rng());
}

// An flock taken without waiting on the file or directory at `path`; -1 when another process
// holds it (or it cannot be opened). The caller closes the descriptor, which releases the lock.
int TryLock(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

Quarantine::Quarantine(const std::string& store_path) {
  const fs::path root = fs::path(store_path) / kIncomingDir;
  const std::string name = RandomName();
  dir_ = root / ("q-" + name);
  std::error_code ec;
  fs::create_directories(root, ec);
  // Made under a name the sweep leaves alone, locked, and only then given its q- name: a sweep in
  // another process never sees an unlocked q- directory of a live process.
  const fs::path creating = root / ("n-" + name);
  if (::mkdir(creating.c_str(), 0700) != 0) return;
  int fd = ::open(creating.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::flock(fd, LOCK_EX) != 0 || ::rename(creating.c_str(), dir_.c_str()) != 0) {
    if (fd >= 0) ::close(fd);
    fs::remove_all(creating, ec);
    return;
  }
  lock_fd_ = fd;
}

Quarantine::~Quarantine() {
  if (lock_fd_ < 0) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
  ::close(lock_fd_);
}

int SweepIncoming(const std::string& store_path) {
  const fs::path root = fs::path(store_path) / kIncomingDir;
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path path = it->path();
    const std::string name = path.filename().string();
    // Only what Quarantine makes: anything else there is someone else's to remove.
    if (name.rfind("q-", 0) != 0 && name.rfind("n-", 0) != 0) continue;
    if (name.rfind("n-", 0) == 0) {
      std::error_code time_ec;
      auto age = fs::file_time_type::clock::now() - fs::last_write_time(path, time_ec);
      if (time_ec || age < kUnlockedCreationGrace) continue;
    }
    int fd = TryLock(path);
    if (fd < 0) continue;  // a live process's, or already gone
    std::error_code remove_ec;
    if (fs::remove_all(path, remove_ec) > 0 && !remove_ec) ++removed;
    ::close(fd);
  }
  return removed;
}

struct IncomingFile::Impl {
  explicit Impl(const std::string& store_path) : quarantine(store_path) {}
  Quarantine quarantine;
  std::string path;
};

IncomingFile::IncomingFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IncomingFile::~IncomingFile() = default;
const std::string& IncomingFile::path() const { return impl_->path; }

Result<std::unique_ptr<IncomingFile>> Store::CreateIncomingFile() {
  SPOKE_RETURN_IF_ERROR(impl_->RequireDirectory("take incoming files"));
  auto impl = std::make_unique<IncomingFile::Impl>(impl_->path);
  if (!impl->quarantine.ok())
    return Status::IOError("cannot create a directory under " + impl_->path + "/spoke-incoming");
  impl->path = (impl->quarantine.dir() / "incoming").string();
  return std::unique_ptr<IncomingFile>(new IncomingFile(std::move(impl)));
}

}  // namespace spoke
