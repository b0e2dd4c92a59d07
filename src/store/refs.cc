// Ref transactions: every ref change in a store is a compare-and-swap over a set of refs that
// applies all or none. The checks every backend shares are made here; the filesystem backend's
// transaction (UpdateRefsOnDisk) is built on libgit2's, which takes each ref's lock file first.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "store/durable.h"
#include "store/ref_journal.h"
#include "store/store_impl.h"

namespace spoke {

RefWriterLock::RefWriterLock(git_repository* repo)
    : path_((std::filesystem::path(git_repository_path(repo)) / "spoke-refs.lock").string()) {}

RefWriterLock::~RefWriterLock() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

Status RefWriterLock::Lock(bool wait) {
  fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return Status::IOError("cannot open " + path_ + ": " + std::strerror(errno));
  while (flock(fd_, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    if (errno == EWOULDBLOCK && !wait)
      return Status::Conflict(path_ + " is held by another writer; try again");
    if (errno != EINTR)
      return Status::IOError("cannot lock " + path_ + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

// libgit2 syncs each ref file before its rename and its directory after it; a directory the
// transaction had to create (refs/tags/<new module>/) is synced here, as are its parents up to
// refs/, so that after a power loss the ref can still be found by its path.
Status SyncRefDirectories(git_repository* repo, const std::vector<RefUpdate>& updates) {
  if (!SyncWritesEnabled()) return Status::Ok();
  std::string git_dir_text = git_repository_path(repo);
  while (git_dir_text.size() > 1 && git_dir_text.back() == '/') git_dir_text.pop_back();
  const std::filesystem::path git_dir = git_dir_text;
  std::set<std::string> dirs;
  for (const auto& update : updates) {
    std::filesystem::path dir = (git_dir / update.name).parent_path();
    for (; dir.string().size() > git_dir_text.size() && dir != git_dir; dir = dir.parent_path()) {
      dirs.insert(dir.string());
    }
  }
  // Deepest first: a directory's entry in its parent is synced after what it holds.
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) SPOKE_RETURN_IF_ERROR(SyncPath(*it));
  return Status::Ok();
}

Status UpdateRefsLocked(git_repository* repo, const std::vector<RefUpdate>& updates,
                        const Store::Impl& impl) {
  if (updates.empty()) return Status::Ok();
  std::vector<RefUpdate> sorted = updates;
  // A fixed lock order keeps two writers from each holding what the other needs.
  std::sort(sorted.begin(), sorted.end(),
            [](const RefUpdate& a, const RefUpdate& b) { return a.name < b.name; });
  for (size_t i = 0; i < sorted.size(); ++i) {
    int valid = 0;
    if (git_reference_name_is_valid(&valid, sorted[i].name.c_str()) != 0 || !valid) {
      return Status::InvalidArgument("invalid ref name " + sorted[i].name);
    }
    if (i > 0 && sorted[i].name == sorted[i - 1].name) {
      return Status::InvalidArgument("ref " + sorted[i].name + " is updated twice");
    }
    if (sorted[i].new_target.empty()) {
      return Status::InvalidArgument("ref " + sorted[i].name +
                                     " cannot be deleted: versions are immutable");
    }
  }
  return impl.backend->UpdateRefs(repo, sorted, [&impl] { impl.Stage("refs-locked"); });
}

Status UpdateRefsOnDisk(git_repository* repo, const std::vector<RefUpdate>& sorted,
                        const std::function<void()>& refs_locked) {
  // Declared before the transaction, so released after it: freeing a transaction that did not
  // commit (a Conflict below) unlinks its lock files by path, and a writer let in before that
  // would take them for a dead writer's, replace them with its own, and lose those.
  RefWriterLock writer(repo);
  SPOKE_RETURN_IF_ERROR(writer.Take());
  git_transaction* raw = nullptr;
  int rc = git_transaction_new(&raw, repo);
  if (rc != 0) return GitError(rc, "cannot start a ref transaction");
  TransactionPtr tx(raw);
  for (const auto& update : sorted) {
    rc = git_transaction_lock_ref(raw, update.name.c_str());
    if (rc == GIT_ELOCKED) {
      // No live Spoke writer holds it (store_impl.h's RefWriterLock): a dead one left it.
      std::error_code ec;
      std::filesystem::remove(
          std::filesystem::path(git_repository_path(repo)) / (update.name + ".lock"), ec);
      rc = git_transaction_lock_ref(raw, update.name.c_str());
    }
    if (rc != 0) {
      return Status::Conflict("ref " + update.name +
                              " is being changed by another writer; try again");
    }
  }
  // With every lock held, nobody else can change these refs: compare, then swap.
  for (const auto& update : sorted) {
    git_oid current;
    rc = git_reference_name_to_id(&current, repo, update.name.c_str());
    std::string current_hex;
    if (rc == 0) {
      current_hex = OidHex(current);
    } else if (rc != GIT_ENOTFOUND) {
      return GitError(rc, "cannot read ref " + update.name);
    }
    if (current_hex != update.old_target) {
      return Status::Conflict(
          "ref " + update.name + " is at " +
          (current_hex.empty() ? std::string("nothing") : current_hex) + ", expected " +
          (update.old_target.empty() ? std::string("nothing") : update.old_target));
    }
  }
  refs_locked();
  SPOKE_ASSIGN_OR_RETURN(SignaturePtr sig, SpokeSignature());
  for (const auto& update : sorted) {
    SPOKE_ASSIGN_OR_RETURN(git_oid target, ParseOid(update.new_target));
    rc = git_transaction_set_target(raw, update.name.c_str(), &target, sig.get(), "spoke: update");
    if (rc != 0) return GitError(rc, "cannot set " + update.name);
  }
  // libgit2 writes the refs one after another: a crash between two must not leave half of them.
  std::unique_ptr<RefJournal> journal;
  if (sorted.size() > 1) {
    SPOKE_ASSIGN_OR_RETURN(journal, RefJournal::Begin(git_repository_path(repo), sorted));
  }
  rc = git_transaction_commit(raw);
  if (rc != 0) {
    if (journal) journal->Keep();
    return GitError(rc, "cannot write refs");
  }
  return SyncRefDirectories(repo, sorted);
}

const char* RefChangeName(RefChange change) {
  switch (change) {
    case RefChange::kCreated:
      return "created";
    case RefChange::kUpdated:
      return "updated";
    case RefChange::kUnchanged:
      return "unchanged";
  }
  return "unchanged";
}

Result<std::optional<std::vector<std::string>>> Store::RefsChangedSince(int64_t* position) const {
  return impl_->backend->RefsChangedSince(position);
}

Status Store::UpdateRefs(const std::vector<RefUpdate>& updates) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  return UpdateRefsLocked(lease.get(), updates, *impl_);
}

Status Store::RemoveStaleRefLocks() {
  if (impl_->path.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  RefWriterLock writer(lease.get());
  if (Status taken = writer.TryTake(); !taken.ok()) {
    return taken.code() == Status::Code::kConflict ? Status::Ok() : taken;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path git_dir = git_repository_path(lease.get());
  for (auto it = fs::recursive_directory_iterator(git_dir / "refs", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code remove_ec;
    if (it->is_regular_file(remove_ec) && it->path().extension() == ".lock")
      fs::remove(it->path(), remove_ec);
  }
  fs::remove(git_dir / "packed-refs.lock", ec);
  return Status::Ok();
}

}  // namespace spoke
