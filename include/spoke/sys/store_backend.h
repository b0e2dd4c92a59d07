// StoreBackend: where a Store's objects and refs live. For people who plug in storage, not for
// callers of Store (store.h), who never see it.
//
// A Store does all its git work (parsing, walking, packing, checking) through libgit2 repository
// handles. A backend supplies those handles, each reading and writing the backend's own object
// database and ref database, and applies ref changes as a compare-and-swap. This is libgit2's own
// extension point one level up: a backend without files builds its handles from a git_odb_backend
// and a git_refdb_backend (git2/sys/odb_backend.h, git2/sys/refdb_backend.h), so a new kind of
// storage is a backend, not a change to Store or to anything that calls it. Ref changes are the
// backend's own call rather than libgit2's refdb write, because libgit2's compares and writes one
// ref at a time, while Store needs every ref of an update compared before any is written.
//
// Two backends exist (docs/storage.md, "Backends"):
//   - the filesystem backend: a bare git repository on disk, which stock git reads and serves;
//   - the memory backend: objects and refs in memory, gone with the Store; a twin for tests.
// Features that work on files (writing packs, incoming files, settings) need a directory(); on a
// backend without one the Store answers FailedPrecondition for them (store.h). Receiving packs
// needs only a local directory for the quarantine (Store::SetIncomingDirectory): the checked pack
// then goes to the backend (TakeCheckedPack), or its objects through the backend's handles like
// any other write when the backend takes no packs.
#ifndef SPOKE_SYS_STORE_BACKEND_H_
#define SPOKE_SYS_STORE_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spoke/status.h"
#include "spoke/store.h"

struct git_repository;

namespace spoke {

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;

  // The bare git repository's directory (absolute), or "" for a backend that keeps no files.
  virtual const std::string& directory() const = 0;

  // What the store is, for messages: its directory, or a description ("a store in memory").
  virtual std::string Describe() const = 0;

  // A new repository handle over this backend's objects and refs. The caller owns it
  // (git_repository_free) and uses it from one thread at a time; handles may be used on several
  // threads at once. Objects written through any handle are readable through every other.
  // Thread-safe.
  virtual Result<git_repository*> OpenHandle() = 0;

  // Sets every ref of `updates` to its new_target when each one is at its old_target ("" meaning
  // absent), or changes none of them: Conflict naming the first ref (in name order) whose value
  // differs, or one another process is changing. `refs_locked` is called once every ref is locked
  // against other writers and compared, before any is written (a test's stopping point).
  // REQUIRES: `updates` sorted by name, names valid and distinct, every new_target a full object
  // id whose closure is in the store; `handle` from OpenHandle(); no other call of UpdateRefs on
  // this backend from this process meanwhile (the Store's write lock). Other processes are the
  // backend's to exclude.
  virtual Status UpdateRefs(git_repository* handle, const std::vector<RefUpdate>& updates,
                            const std::function<void()>& refs_locked) = 0;

  // For watchers that must not list every ref to find what changed (Store::RefsChangedSince): the
  // names of the refs created or moved after `*position` in the backend's log of ref changes,
  // oldest first, with *position moved past them. A position is the backend's own number; a
  // negative one only sets *position to the log's end (and answers no names). nullopt from a
  // backend without such a log (files, memory), whose watchers list instead. Thread-safe.
  virtual Result<std::optional<std::vector<std::string>>> RefsChangedSince(int64_t* /*position*/) {
    return std::optional<std::vector<std::string>>();
  }

  // A number that changes whenever the backend removed pack files that handles may hold open (the
  // PostgreSQL backend dropping compacted packs from its cache): the Store then frees the handles
  // opened before instead of pooling them again, so the removed files' space comes back. 0 for a
  // backend that never does (the filesystem backend's gc tells through gc.stamp). Thread-safe.
  virtual int64_t RemovedPacksGeneration() const { return 0; }

  // Takes a received pack, indexed and checked in a quarantine (self-contained: a thin pack was
  // completed by the indexer), as this backend's objects, moving its files: they are readable
  // through every handle at once and stored, as they are, by the next UpdateRefs (whatever refs it
  // sets), so receiving a pack costs no memory for its objects. FailedPrecondition for a backend
  // that cannot (the caller then writes the objects through a handle, one by one); the default.
  // REQUIRES: the Store's write lock, as for UpdateRefs; `object_count` the pack's.
  virtual Status TakeCheckedPack(const std::string& pack_path, const std::string& index_path,
                                 int64_t object_count) {
    static_cast<void>(pack_path);
    static_cast<void>(index_path);
    static_cast<void>(object_count);
    return Status::FailedPrecondition(Describe() + " takes no pack files");
  }
};

// Opens the bare git repository at `path`, creating it (and its parents) first when `create` is
// true and nothing is there; what Store::Open(path, create) opens. NotFound when absent and
// !create; InvalidArgument when `path` holds something that is not a bare git repository. Opening
// also finishes a ref transaction a dead process left half done and removes the incoming files
// dead processes left (docs/storage.md). Ref updates are all or none even across a crash, and
// durable (fsync) before UpdateRefs returns unless SetSyncWrites(false).
Result<std::unique_ptr<StoreBackend>> OpenFilesystemBackend(const std::string& path, bool create);

// An empty store in memory, gone when the Store that owns it is; for tests. Thread-safe; a ref
// update is all or none for readers too (they never see part of one). It has no directory(): a
// Store over it cannot receive packs (ApplyPack, ApplyPackFile, CreateIncomingFile) or keep
// settings; those answer FailedPrecondition. WriteSnapshot and StartSnapshot write their blobs
// one by one through the backend instead of as a pack.
std::unique_ptr<StoreBackend> NewMemoryBackend();

}  // namespace spoke

#endif  // SPOKE_SYS_STORE_BACKEND_H_
