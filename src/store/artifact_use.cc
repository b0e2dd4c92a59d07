// The artifacts' last-use record (artifact_use.h): an empty file per key whose mtime is the use.
#include "spoke/artifact_use.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <system_error>

namespace spoke {
namespace {

namespace fs = std::filesystem;

// A use within this long of the recorded one is not written: the order of uses a minute apart is
// all eviction needs, and a download then costs a stat, not a write.
constexpr int64_t kRecordGranularitySeconds = 60;

fs::path RecordPath(const std::string& store_path, const std::string& key) {
  return fs::path(store_path) / "artifact-use" / key.substr(0, 2) / key;
}

bool ValidKey(const std::string& key) {
  if (key.size() < 3) return false;
  for (char c : key) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

void RecordArtifactUse(const std::string& store_path, const std::string& key) {
  if (store_path.empty() || !ValidKey(key)) return;
  const fs::path path = RecordPath(store_path, key);
  struct stat st {};
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (::stat(path.c_str(), &st) == 0) {
    if (now - static_cast<int64_t>(st.st_mtime) < kRecordGranularitySeconds) return;
    ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
    return;
  }
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
}

int64_t LastArtifactUse(const std::string& store_path, const std::string& key) {
  if (store_path.empty() || !ValidKey(key)) return 0;
  struct stat st {};
  if (::stat(RecordPath(store_path, key).c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtime);
}

void ForgetArtifactUse(const std::string& store_path, const std::string& key) {
  if (store_path.empty() || !ValidKey(key)) return;
  std::error_code ec;
  fs::remove(RecordPath(store_path, key), ec);
}

}  // namespace spoke
