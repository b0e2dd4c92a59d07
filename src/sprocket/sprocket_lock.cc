// The compiler's lock on a store: flock says whether it is held, the file's JSON says by whom. A
// holder that dies lets go of the flock with its descriptor, so a stale file is only read when
// someone holds the lock again, and rewritten by them.
#include "sprocket/sprocket_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "spoke/json.h"

namespace spoke {
namespace {

// The holder written in the open lock file `fd`; what cannot be parsed (a sprocket of an older
// format wrote only its pid) leaves kind "sprocket" and the pid it finds.
SprocketHolder ReadHolder(int fd) {
  SprocketHolder holder;
  holder.kind = "sprocket";
  char text[4096] = {};
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return holder;
  auto json = Json::Parse(std::string(text, static_cast<size_t>(n)));
  if (!json.ok() || !json->is_object()) {
    holder.pid = std::strtol(text, nullptr, 10);
    return holder;
  }
  if (const Json* pid = json->Get("pid")) holder.pid = static_cast<long>(pid->as_int());
  if (!json->GetString("kind").empty()) holder.kind = json->GetString("kind");
  if (const Json* languages = json->Get("languages"); languages && languages->is_array()) {
    for (const Json& language : languages->as_array()) {
      if (language.is_string()) holder.languages.push_back(language.as_string());
    }
  }
  return holder;
}

std::string Describe(const SprocketHolder& holder) {
  const std::string pid = holder.pid > 0 ? std::to_string(holder.pid) : "?";
  if (holder.kind == "spoke-server")
    return "spoke-server (pid " + pid + ", run with --compile-languages)";
  return "another sprocket (pid " + pid + ")";
}

}  // namespace

Result<int> TakeSprocketLock(const std::string& dir, const SprocketHolder& holder) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  const std::string path = dir + "/lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    SprocketHolder other = ReadHolder(fd);
    close(fd);
    return Status::FailedPrecondition(Describe(other) + " is compiling for this store (it holds " +
                                      path + "); one compiler per store: stop that one first");
  }
  Json body = Json::MakeObject();
  body.Set("format", kSprocketLockFormat);
  body.Set("pid", static_cast<int64_t>(holder.pid));
  body.Set("kind", holder.kind);
  Json languages = Json::MakeArray();
  for (const std::string& language : holder.languages) languages.Push(Json(language));
  body.Set("languages", std::move(languages));
  const std::string text = body.Dump() + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    close(fd);
    return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  }
  return fd;
}

Result<SprocketHolder> SprocketLockHolder(const std::string& dir) {
  const std::string path = dir + "/lock";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return SprocketHolder{};
    return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  }
  // A shared lock is granted only when no one holds the exclusive one.
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    close(fd);
    return SprocketHolder{};
  }
  SprocketHolder holder = ReadHolder(fd);
  close(fd);
  return holder;
}

}  // namespace spoke
