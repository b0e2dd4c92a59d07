// Store's private state, shared by the files that implement it (store.cc: opening and reading;
// versions.cc: writing versions; refs.cc: ref transactions; pack_out.cc / pack_in.cc: packs).
#ifndef SPOKE_STORE_STORE_IMPL_H_
#define SPOKE_STORE_STORE_IMPL_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "spoke/quarantine.h"
#include "spoke/store.h"
#include "spoke/sys/store_backend.h"
#include "store/git_handles.h"
#include "store/pack_index.h"
#include "store/pack_reuse.h"
#include "store/read_cache.h"

namespace spoke {

struct Store::Impl {
  // Where the objects and refs live. Never null.
  std::unique_ptr<StoreBackend> backend;
  // The backend's directory(): "" for a backend that keeps no files.
  std::string path;
  // For a backend without files: where received packs are quarantined (SetIncomingDirectory).
  std::string incoming_dir;

  // libgit2 repository handles are not safe to share between threads, so each operation leases one.
  std::mutex pool_mutex;
  std::vector<git_repository*> pool;

  // GcStamp(path) when the pooled handles were opened; a handle taken before a later gc is freed
  // rather than pooled again. Guarded by pool_mutex.
  int64_t gc_stamp = 0;

  // Versions and files decoded by GetVersion and ReadFile, by content address: a server reads
  // the same few again and again.
  ReadCache read_cache{32 << 20};

  // Serialises writers inside this process; git's lock files do it across processes.
  std::mutex write_mutex;

  std::function<void(const std::string&)> stage_hook;
  Store::VersionCheck version_check;
  Store::PublishListener publish_listener;

  // SHA-256 and size (and, for a client, the content) of the blobs the last received pack brought,
  // computed while indexing it, so CheckoutFiles right after a fetch neither inflates nor hashes
  // them a second time. Never null.
  std::mutex digests_mutex;
  std::shared_ptr<const std::map<std::string, BlobDigest>> received_blobs =
      std::make_shared<const std::map<std::string, BlobDigest>>();

  // The store's packs, mapped for copying whole entries into outgoing packs; reloaded when the
  // set of packs changes.
  std::mutex reuse_mutex;
  std::shared_ptr<PackReuse> reuse;
  std::shared_ptr<PackReuse> CurrentPackReuse();

  ~Impl();
  void Stage(const std::string& name) const {
    if (stage_hook) stage_hook(name);
  }
  // FailedPrecondition, saying that `what` ("receive a pack") needs files, for a store whose
  // backend keeps none; Ok otherwise.
  Status RequireDirectory(const std::string& what) const;
  // Where received packs are quarantined: the store's directory, else the incoming directory;
  // FailedPrecondition when there is neither.
  Result<std::string> IncomingRoot() const;
};

// A repository handle borrowed from the pool for the lifetime of this object.
class RepoLease {
 public:
  static Result<RepoLease> Take(Store::Impl* impl);
  RepoLease(RepoLease&& other) noexcept
      : impl_(other.impl_), repo_(other.repo_), stamp_(other.stamp_) {
    other.repo_ = nullptr;
  }
  RepoLease(const RepoLease&) = delete;
  ~RepoLease();
  git_repository* get() const { return repo_; }

 private:
  RepoLease(Store::Impl* impl, git_repository* repo, int64_t stamp)
      : impl_(impl), repo_(repo), stamp_(stamp) {}
  Store::Impl* impl_;
  git_repository* repo_;
  int64_t stamp_;  // the GcStamp the handle was opened under
};

// <store>/gc.stamp, whose mtime every gc that removed files from objects/ moves (gc.h). libgit2
// keeps a pack it has opened open after it is unlinked, so a handle opened before a gc would keep
// the removed packs' disk space for as long as it lives: the handle pool frees such handles.
inline constexpr char kGcStampFile[] = "gc.stamp";
// The stamp's mtime in nanoseconds; 0 when it is absent or the store keeps no files ("").
int64_t GcStamp(const std::string& store_path);

// The signature Spoke writes on commits and tags: SPOKE_AUTHOR_NAME / SPOKE_AUTHOR_EMAIL, or
// "Spoke <spoke@localhost>", at the current time.
Result<SignaturePtr> SpokeSignature();

// The root tree of the commit `commit_hex`.
Result<TreePtr> CommitTree(git_repository* repo, const std::string& commit_hex);
// Reads a version from its tag object (used by GetVersion, Log and pack verification).
Result<VersionInfo> ReadVersionFromTag(git_repository* repo, const git_oid& tag_id);
// Reads and verifies every module file of a commit's tree against its manifest.
Result<FileSet> ReadVerifiedFiles(git_repository* repo, const git_oid& commit_id,
                                  const Manifest& manifest);
// Checks that a version's tree holds exactly the manifest's files with their hashes and sizes,
// reading blobs through `odb` on several threads. Corruption otherwise. Blobs whose digests
// `known` holds (from our own indexer) are not hashed again. With `files`, the version's files
// are put there too, each read at most once: a content `known` kept is moved out of it (it is
// kept there no longer), any other is read from `odb`. Without, blobs `known` holds are not read.
Status VerifyVersionFiles(git_repository* repo, git_odb* odb, const VersionInfo& version,
                          std::map<std::string, BlobDigest>* known, FileSet* files);
// The root commit of a module branch whose tip is `tip` (first parents followed down).
Result<git_oid> FindModuleRoot(git_repository* repo, const git_oid& tip);
// A blob's content at `path` inside a tree; NotFound when absent.
Result<std::string> ReadBlobAtPath(git_repository* repo, git_tree* tree, const std::string& path,
                                   std::string* blob_id);
// Syncs the directories of the refs `updates` name, from each ref's own up to refs/ (durable.h).
Status SyncRefDirectories(git_repository* repo, const std::vector<RefUpdate>& updates);
// Checks `updates` (valid names, none twice, no deletion) and has the backend apply them, all or
// nothing (StoreBackend::UpdateRefs). REQUIRES: write_mutex held.
Status UpdateRefsLocked(git_repository* repo, const std::vector<RefUpdate>& updates,
                        const Store::Impl& impl);

// spoke-refs.lock in a store's git directory, flock'ed (exclusive) by every Spoke writer, in any
// process, for as long as it holds any of the store's ref lock files. The kernel drops it when its
// holder dies, so a ref's git lock file met while holding it was left by a writer killed
// mid-transaction and may be removed. That holds only if no ref lock file is created or removed
// without it: take it before creating a ref transaction, release it after freeing the transaction
// (freeing one that did not commit unlinks its lock files by path).
class RefWriterLock {
 public:
  explicit RefWriterLock(git_repository* repo);
  // Releases the lock if it was taken.
  ~RefWriterLock();
  RefWriterLock(const RefWriterLock&) = delete;
  RefWriterLock& operator=(const RefWriterLock&) = delete;

  // Waits for the lock. IOError when its file cannot be opened or locked. REQUIRES: neither this
  // nor TryTake was called before on this object.
  Status Take() { return Lock(/*wait=*/true); }
  // Takes the lock only if no one holds it: Conflict when another writer does. REQUIRES: as Take.
  Status TryTake() { return Lock(/*wait=*/false); }

 private:
  Status Lock(bool wait);

  std::string path_;
  int fd_ = -1;
};

// The filesystem backend's StoreBackend::UpdateRefs: every ref's git lock taken under
// spoke-refs.lock, every old value compared, then libgit2's transaction writes the refs one by one,
// with a ref journal (ref_journal.h) that makes a crash between two of them finish at the next
// open, and the refs' directories synced.
Status UpdateRefsOnDisk(git_repository* repo, const std::vector<RefUpdate>& sorted,
                        const std::function<void()>& refs_locked);

}  // namespace spoke

#endif  // SPOKE_STORE_STORE_IMPL_H_
