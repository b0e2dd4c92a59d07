// PullIntoDir: a pull planned against what is on disk and what earlier pulls wrote (the pull
// record), refused as a whole when it would destroy local work, then applied (pull_record.h).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "spoke/files.h"
#include "spoke/pull_record.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

// Holds an exclusive flock on a file beside the record for as long as it lives, so two pulls into
// one directory do not plan against each other's half-written files.
class RecordLock {
 public:
  static Result<RecordLock> Take(const std::string& path) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      return Status::IOError("cannot lock " + path + ": " + std::strerror(saved));
    }
    return RecordLock(fd);
  }
  RecordLock(RecordLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RecordLock& operator=(RecordLock&&) = delete;
  ~RecordLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }

 private:
  explicit RecordLock(int fd) : fd_(fd) {}
  int fd_;
};

// What is at a path of the directory.
struct OnDisk {
  // kInTheWay: a directory, a special file, or a path behind a symbolic link.
  enum class Kind { kMissing, kFile, kSymlink, kInTheWay } kind = Kind::kMissing;
  std::string id;    // the file's blob id, for kFile
  std::string what;  // for kInTheWay: "a directory", ...
};

// A path whose parent directories, between `dir` and it, include a symbolic link would be written
// (or removed) somewhere outside the directory: git refuses that too.
bool BehindSymlink(const fs::path& dir, const std::string& path) {
  fs::path at = dir;
  fs::path parents = fs::path(path).parent_path();
  for (const auto& part : parents) {
    at /= part;
    struct stat st;
    if (::lstat(at.c_str(), &st) != 0) return false;  // missing: made as a directory
    if (S_ISLNK(st.st_mode)) return true;
  }
  return false;
}

Result<OnDisk> Inspect(const fs::path& dir, const std::string& path) {
  OnDisk seen;
  if (BehindSymlink(dir, path)) {
    seen.kind = OnDisk::Kind::kInTheWay;
    seen.what = "behind a symbolic link";
    return seen;
  }
  const std::string on_disk = (dir / path).string();
  struct stat st;
  if (::lstat(on_disk.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return seen;
    return Status::IOError("cannot stat " + on_disk + ": " + std::strerror(errno));
  }
  if (S_ISREG(st.st_mode)) {
    seen.kind = OnDisk::Kind::kFile;
    SPOKE_ASSIGN_OR_RETURN(seen.id, GitBlobIdHexOfFile(on_disk));
    return seen;
  }
  if (S_ISLNK(st.st_mode)) {
    seen.kind = OnDisk::Kind::kSymlink;
    return seen;
  }
  seen.kind = OnDisk::Kind::kInTheWay;
  seen.what = S_ISDIR(st.st_mode) ? "a directory" : "not a regular file";
  return seen;
}

// Removes the directories under `dir` that held `path` and are empty now, deepest first.
void RemoveEmptyParents(const fs::path& dir, const std::string& path) {
  for (fs::path parent = fs::path(path).parent_path(); !parent.empty();
       parent = parent.parent_path()) {
    std::error_code ec;
    if (!fs::is_empty(dir / parent, ec) || ec || !fs::remove(dir / parent, ec)) return;
  }
}

// What the pull will do, before it does anything.
struct Plan {
  std::map<size_t, std::set<std::string>> writes;  // target index -> its own paths to write
  std::vector<std::string> removes;
  std::map<std::string, std::string> unsettled;  // path -> the blob of spoke's it holds before
  PullOutcome outcome;
  std::vector<std::string> local_changes;  // each with why, for the refusal
  std::vector<std::string> in_the_way;     // never replaced, even when forced
};

std::string Refusal(const Plan& plan) {
  std::string message;
  if (!plan.local_changes.empty()) {
    message = "your local changes to the following files would be overwritten by pull:\n";
    for (const auto& line : plan.local_changes) message += "\t" + line + "\n";
    message += "use --force to overwrite them, or move them away first";
  }
  if (!plan.in_the_way.empty()) {
    if (!message.empty()) message += "\n";
    message += "pull will not replace these paths, even with --force:\n";
    for (const auto& line : plan.in_the_way) message += "\t" + line + "\n";
    message += "move them away first";
  }
  return message;
}

}  // namespace

Result<PullOutcome> PullIntoDir(const Store& store, const std::string& store_dir,
                                const std::string& dir, const std::vector<PullTarget>& targets,
                                const PullOptions& options) {
  const std::string record_path = PullRecordPath(store_dir, dir);
  SPOKE_ASSIGN_OR_RETURN(RecordLock lock, RecordLock::Take(record_path + ".lock"));
  PullRecord previous;
  if (auto loaded = PullRecord::Load(record_path); loaded.ok()) {
    previous = std::move(*loaded);
  } else if (loaded.status().code() != Status::Code::kNotFound) {
    return loaded.status();
  }

  // Where every file of every target goes; two targets may share a path only with one content.
  struct Wanted {
    std::string id;
    size_t target;
    std::string own_path;
  };
  std::map<std::string, Wanted> wanted;
  for (size_t t = 0; t < targets.size(); ++t) {
    const VersionInfo& v = targets[t].version;
    SPOKE_ASSIGN_OR_RETURN(auto ids, store.ListFileIds(v));
    DependencyPin placement{v.module, v.version, "", "", targets[t].mount};
    for (const auto& [own_path, id] : ids) {
      if (!store.HasObject(id)) {
        return Status::NotFound("file " + own_path + " of " + v.module + "@" + v.version +
                                " is missing from the local store");
      }
      const std::string path = placement.Mounted(own_path);
      auto [it, inserted] = wanted.emplace(path, Wanted{id, t, own_path});
      if (!inserted && it->second.id != id) {
        const VersionInfo& other = targets[it->second.target].version;
        return Status::InvalidArgument("file " + path + " is provided by both " + other.module +
                                       "@" + other.version + " and " + v.module + "@" + v.version);
      }
    }
  }

  // The contents earlier pulls left at each path (an interrupted one may have left either of two).
  std::map<std::string, std::set<std::string>> spokes;
  std::set<std::string> owned;
  for (const auto& [name, module] : previous.modules) {
    for (const auto& [path, id] : module.files) {
      spokes[path].insert(id);
      owned.insert(path);
    }
  }
  for (const auto& [path, id] : previous.unsettled) spokes[path].insert(id);
  // What this pull may remove: the earlier files of the modules it writes, and what an interrupted
  // pull meant to remove; never a path it writes now.
  std::set<std::string> stale;
  for (const PullTarget& target : targets) {
    auto it = previous.modules.find(target.version.module);
    if (it == previous.modules.end()) continue;
    for (const auto& [path, id] : it->second.files) stale.insert(path);
  }
  for (const auto& [path, id] : previous.unsettled) {
    if (!owned.count(path)) stale.insert(path);
  }
  for (const auto& [path, file] : wanted) stale.erase(path);

  const fs::path base(dir);
  Plan plan;
  auto is_spokes = [&](const std::string& path, const std::string& id) {
    auto it = spokes.find(path);
    return it != spokes.end() && it->second.count(id);
  };
  for (const auto& [path, file] : wanted) {
    SPOKE_ASSIGN_OR_RETURN(OnDisk seen, Inspect(base, path));
    if (seen.kind == OnDisk::Kind::kInTheWay) {
      plan.in_the_way.push_back(path + " (" + seen.what + ")");
      continue;
    }
    if (seen.kind == OnDisk::Kind::kFile && seen.id == file.id) {
      plan.outcome.kept.push_back(path);
      continue;
    }
    if (seen.kind == OnDisk::Kind::kFile && is_spokes(path, seen.id)) {
      plan.unsettled[path] = seen.id;
    } else if (seen.kind != OnDisk::Kind::kMissing) {
      // A symbolic link is never what spoke wrote; replacing it unlinks it, its target stays.
      const char* why = seen.kind == OnDisk::Kind::kSymlink ? " (a symbolic link)"
                        : spokes.count(path)                ? ""
                                                            : " (not written by spoke)";
      plan.local_changes.push_back(path + why);
      plan.outcome.overwritten_local_changes.push_back(path);
    }
    plan.writes[file.target].insert(file.own_path);
    plan.outcome.written.push_back(path);
  }
  for (const auto& path : stale) {
    SPOKE_ASSIGN_OR_RETURN(OnDisk seen, Inspect(base, path));
    // A directory or special file there now is not what spoke wrote, and nothing is written
    // there: left alone.
    if (seen.kind == OnDisk::Kind::kMissing || seen.kind == OnDisk::Kind::kInTheWay) continue;
    if (seen.kind == OnDisk::Kind::kFile && is_spokes(path, seen.id)) {
      plan.unsettled[path] = seen.id;
    } else {
      plan.local_changes.push_back(path + " (would be removed)");
      plan.outcome.overwritten_local_changes.push_back(path);
    }
    plan.removes.push_back(path);
    plan.outcome.removed.push_back(path);
  }
  if (!plan.in_the_way.empty() || (!plan.local_changes.empty() && !options.force)) {
    return Status::Conflict(Refusal(plan));
  }

  // The record after the pull: the modules written replace their entries, and take their paths
  // from any other module that had them.
  PullRecord next = previous;
  next.dir = CanonicalPullDir(dir);
  next.unsettled.clear();
  for (const PullTarget& target : targets) next.modules.erase(target.version.module);
  for (auto it = next.modules.begin(); it != next.modules.end();) {
    for (const auto& [path, file] : wanted) it->second.files.erase(path);
    it = it->second.files.empty() ? next.modules.erase(it) : std::next(it);
  }
  for (const auto& [path, file] : wanted) {
    const PullTarget& target = targets[file.target];
    PulledModule& module = next.modules[target.version.module];
    module.version = target.version.version;
    module.mount = target.mount;
    module.files[path] = file.id;
  }

  if (!plan.writes.empty() || !plan.removes.empty()) {
    // Written first, so a pull cut short anywhere below leaves a record that knows every file it
    // may have left: the new content or the old one.
    PullRecord applying = next;
    applying.unsettled = plan.unsettled;
    SPOKE_RETURN_IF_ERROR(applying.Save(record_path));
  }
  for (const auto& [t, paths] : plan.writes) {
    Store::CheckoutOptions checkout;
    checkout.mount = targets[t].mount;
    checkout.only = &paths;
    SPOKE_RETURN_IF_ERROR(store.CheckoutFiles(targets[t].version, dir, checkout));
  }
  for (const auto& path : plan.removes) {
    std::error_code ec;
    fs::remove(base / path, ec);
    if (ec) return Status::IOError("cannot remove " + (base / path).string() + ": " + ec.message());
    RemoveEmptyParents(base, path);
  }
  if (next.Serialize() != previous.Serialize() || !plan.writes.empty() || !plan.removes.empty()) {
    SPOKE_RETURN_IF_ERROR(next.Save(record_path));
  }
  std::sort(plan.outcome.overwritten_local_changes.begin(),
            plan.outcome.overwritten_local_changes.end());
  return std::move(plan.outcome);
}

}  // namespace spoke
