// The filesystem store backend: a bare git repository on disk, created on first use, whose handles
// libgit2 opens from the directory and whose refs change through refs.cc's transaction (git's lock
// files, the ref journal, synced directories). The layout is docs/storage.md's.
#include <algorithm>
#include <filesystem>
#include <mutex>
#include <utility>

#include "spoke/quarantine.h"
#include "spoke/refs.h"
#include "spoke/sys/store_backend.h"
#include "store/git_handles.h"
#include "store/ref_journal.h"
#include "store/store_impl.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

// Whether `dir` holds only what an interrupted `git init` leaves before it writes HEAD (its last
// file): init's own directories and files, its lock and temporary files (HEAD.lock, _git2_*), and
// no object or ref. A process killed there (a first `spoke pull` creating the local store) must
// not leave a directory that is neither empty nor a store; such a directory is initialised again,
// once its dead writer's lock and temporary files are gone (RemoveInitLeftovers).
bool IsInterruptedInit(const std::filesystem::path& dir) {
  static const char* const kInitEntries[] = {"branches",    "config",    "config.lock",
                                             "description", "HEAD.lock", "hooks",
                                             "info",        "objects",   "refs"};
  // increment(ec), not a range for: its operator++ throws when reading the directory fails.
  std::error_code ec;
  for (fs::directory_iterator entry(dir, ec), end; !ec && entry != end; entry.increment(ec)) {
    const std::string name = entry->path().filename().string();
    const bool init_temporary = name.rfind("_git2_", 0) == 0;
    if (!init_temporary && std::find(std::begin(kInitEntries), std::end(kInitEntries), name) ==
                               std::end(kInitEntries)) {
      return false;
    }
    if (name != "objects" && name != "refs") continue;
    std::error_code inner_ec;
    for (fs::recursive_directory_iterator inner(entry->path(), inner_ec), inner_end;
         !inner_ec && inner != inner_end; inner.increment(inner_ec)) {
      if (!inner->is_directory(inner_ec)) return false;
    }
    if (inner_ec) return false;
  }
  return !ec;
}

void RemoveInitLeftovers(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<fs::path> leftovers;
  for (fs::directory_iterator entry(dir, ec), end; !ec && entry != end; entry.increment(ec)) {
    const std::string name = entry->path().filename().string();
    if (name.rfind("_git2_", 0) == 0 || name == "HEAD.lock" || name == "config.lock")
      leftovers.push_back(entry->path());
  }
  for (const auto& path : leftovers) fs::remove(path, ec);
}

// Makes a bare repository at `dir`, which is absent, empty, or an interrupted init's leftovers.
Status InitRepository(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    return Status::InvalidArgument(dir.string() + " exists and is not a directory");
  }
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    if (!IsInterruptedInit(dir)) {
      return Status::InvalidArgument(
          dir.string() + " is not empty and is not a Spoke store (a bare git repository)");
    }
    RemoveInitLeftovers(dir);
  }
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  git_repository* repo = nullptr;
  int rc = git_repository_init(&repo, dir.c_str(), /*is_bare=*/1);
  if (rc != 0) return GitError(rc, "cannot create store at " + dir.string());
  RepoPtr owned(repo);
  git_config* config = nullptr;
  if (git_repository_config(&config, repo) == 0) {
    // Let stock git serve and fsck the store as is; never let gc drop unreferenced history.
    git_config_set_string(config, "spoke.format", "1");
    git_config_set_bool(config, "receive.fsckObjects", 1);
    git_config_free(config);
  }
  // HEAD names a branch that never exists; point it somewhere harmless and valid instead.
  git_repository_set_head(repo, kStoreHeadRef);
  return Status::Ok();
}

class FilesystemBackend : public StoreBackend {
 public:
  FilesystemBackend(std::string directory, git_repository* opened)
      : directory_(std::move(directory)), opened_(opened) {}
  ~FilesystemBackend() override {
    if (opened_) git_repository_free(opened_);
  }

  const std::string& directory() const override { return directory_; }
  std::string Describe() const override { return directory_; }

  Result<git_repository*> OpenHandle() override {
    {
      // The handle opening the store made is the first one handed out, so an open costs one.
      std::lock_guard<std::mutex> lock(opened_mutex_);
      if (opened_) return std::exchange(opened_, nullptr);
    }
    git_repository* repo = nullptr;
    int rc = git_repository_open_bare(&repo, directory_.c_str());
    if (rc != 0) return GitError(rc, "cannot open store " + directory_);
    return repo;
  }

  Status UpdateRefs(git_repository* handle, const std::vector<RefUpdate>& updates,
                    const std::function<void()>& refs_locked) override {
    return UpdateRefsOnDisk(handle, updates, refs_locked);
  }

 private:
  const std::string directory_;
  std::mutex opened_mutex_;
  git_repository* opened_;
};

}  // namespace

Result<std::unique_ptr<StoreBackend>> OpenFilesystemBackend(const std::string& path, bool create) {
  EnsureLibgit2();
  std::error_code ec;
  fs::path dir = fs::absolute(path, ec);
  if (ec) return Status::InvalidArgument("bad store path " + path + ": " + ec.message());
  bool exists = fs::exists(dir / "HEAD", ec) && fs::exists(dir / "objects", ec);
  if (!exists) {
    if (!create) return Status::NotFound("no store at " + dir.string());
    SPOKE_RETURN_IF_ERROR(InitRepository(dir));
  }
  git_repository* repo = nullptr;
  int rc = git_repository_open_bare(&repo, dir.c_str());
  if (rc == GIT_ENOTFOUND) {
    // HEAD and objects/ are there but libgit2 sees no repository: something else lives here.
    return Status::InvalidArgument(dir.string() + " is not a Spoke store (a bare git repository)");
  }
  if (rc != 0) return GitError(rc, "cannot open the store at " + dir.string());
  auto backend = std::make_unique<FilesystemBackend>(dir.string(), repo);
  // Leftovers of a process killed while receiving a pack or writing one: never part of the store.
  // Those of live processes (another command on a shared client store) are locked and stay.
  SweepIncoming(dir.string());
  // A process killed between two refs of one transaction: its journal says how to finish it. One
  // that cannot be finished now (a ref locked by a live process) waits for the next open; the
  // store stays readable meanwhile.
  static_cast<void>(RecoverRefJournals(repo));
  return std::unique_ptr<StoreBackend>(std::move(backend));
}

}  // namespace spoke
