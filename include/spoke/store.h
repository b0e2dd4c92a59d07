// The store: one bare git repository holding every module version of a registry (or of a client's
// local cache, which has the same format).
//
// Layout (docs/storage.md has the full description; refs.h names every ref):
//   refs/tags/<module>/<version>     annotated tag -> the version's commit
//   refs/heads/<module>/_history     the module's branch; each version commit's parent is the
//                                    previous tip, so `git log` shows the module's history. The
//                                    root commit holds "spoke.module.json" (name, description).
// A version commit's tree holds the module's .proto files at their paths plus spoke.manifest.json.
//
// Versions are immutable: a tag is only ever created, never moved. Every ref change goes through
// UpdateRefs(), a compare-and-swap over all the refs it names (see there for what "all or none"
// means on disk).
//
// Where objects and refs live is the store's backend (spoke/sys/store_backend.h): a bare git
// repository on disk (Open with a path), or memory for tests. Callers do not see the difference,
// except where a feature needs files (said at each).
//
// Thread safety: a Store may be used from many threads at once. Reads run in parallel (each takes
// a libgit2 handle from a pool); writes are serialised within the process by a mutex and across
// processes by git's ref lock files.
#ifndef SPOKE_STORE_H_
#define SPOKE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "spoke/manifest.h"
#include "spoke/refs.h"  // the store's refs are named there; callers of ListRefs need its prefixes
#include "spoke/status.h"

namespace spoke {

inline constexpr char kModuleRecordPath[] = "spoke.module.json";

struct VersionInfo {
  std::string module;
  std::string version;
  std::string tag_id;     // the annotated tag object
  std::string commit_id;  // the commit the tag points at
  Manifest manifest;
  int64_t created = 0;  // commit time, seconds since the epoch

  // The pin naming exactly this version, mounted at `mount` (DependencyPin::mount).
  DependencyPin Pin(std::string mount = "") const {
    return {module, version, commit_id, manifest.digest, std::move(mount)};
  }
};

struct ModuleInfo {
  std::string name;
  std::string description;
  // The module's compatibility policy: a breaking-change level ("FILE", "WIRE_JSON", ...) that new
  // versions must keep within a major version, or "" for none. The store keeps it; the registry's
  // version check enforces it (policy.h).
  std::string compatibility;
  std::string branch_tip;  // hex id of the module branch's tip commit
  int64_t created = 0;     // time of the module's root commit
};

struct RefEntry {
  std::string name;
  std::string target;  // what the ref points at (for a version tag: the tag object)
  std::string peeled;  // the commit behind an annotated tag; empty for other refs
};

// One ref change. An empty old_target means "must not exist yet"; an empty new_target is not
// allowed (versions are never deleted).
struct RefUpdate {
  std::string name;
  std::string old_target;
  std::string new_target;
};

struct NewVersion {
  std::string module;
  std::string version;
  std::string description;
  FileSet files;
  std::vector<DependencyPin> dependencies;
};

// What PrepareVersion wrote: objects only, no refs. `updates` are the ref changes that would
// publish it on top of the branch tip it was built on.
struct PreparedVersion {
  std::string tag_id;
  std::string commit_id;
  std::string digest;
  std::vector<RefUpdate> updates;
};

// Outcome of publishing a version: created, or already there with the same content.
struct PutResult {
  VersionInfo version;
  bool created = false;
};

// A module file that differs between two versions.
struct FileChange {
  std::string path;
  std::string status;  // "added", "removed" or "modified"
  std::string patch;   // unified diff ("diff --git a/... b/..."), when asked for
};

struct PackStats {
  size_t objects = 0;
  size_t bytes = 0;
};

// How ApplyPack treats ref updates that do not compare-and-swap cleanly.
enum class RefPolicy {
  // A registry receiving a push: every old_target must match; tags are created only; branches
  // move fast-forward only; a tag that exists with the same content is a no-op.
  kStrict,
  // A client copying a registry's refs: branches follow the registry whatever they were; tags are
  // created, kept when equal, and a different existing tag is a conflict (never overwritten).
  kMirror,
};

// What applying one ref update did.
enum class RefChange {
  kCreated,    // the ref did not exist
  kUpdated,    // a branch moved
  kUnchanged,  // already there: at its target, or a version with the same content
};
// The change's name in the sync protocol and the CLI's output: "created", "updated", "unchanged".
const char* RefChangeName(RefChange change);

struct RefResult {
  std::string name;
  std::string target;
  RefChange change = RefChange::kUnchanged;
};

class SnapshotWriter;
class IncomingFile;
class StoreBackend;

// Whether stores in this process make what they write durable before they report it done: every
// pack, index, loose object and ref file, and every directory whose entries changed, is synced
// (fsync) before the ref that reaches it is written and before ApplyPack, PutVersion or
// UpdateRefs returns. On unless turned off. Turning it off means an acknowledged push can be lost
// in a power failure (never in a crash of the process alone): for tests and benchmarks only
// (spoke-server --no-fsync). Call it before opening stores; it is process-wide, as libgit2's own
// switch is.
void SetSyncWrites(bool enabled);

class Store {
 public:
  // Opens the bare repository at `path`; creates it (and its parents) first when `create` is true
  // and nothing is there. NotFound when absent and !create; InvalidArgument when `path` holds
  // something that is not a bare git repository.
  // The store is on the filesystem backend (spoke/sys/store_backend.h).
  static Result<std::unique_ptr<Store>> Open(const std::string& path, bool create);
  // Opens a store over `backend` (a memory one for tests; another database later). Callers use
  // the Store the same whatever its backend; what a backend cannot do is said where it is made.
  // InvalidArgument for a null backend.
  static Result<std::unique_ptr<Store>> Open(std::unique_ptr<StoreBackend> backend);
  ~Store();

  // The store's directory; "" for a store whose backend keeps no files (the memory backend).
  const std::string& path() const;

  // --- Reading -----------------------------------------------------------------------------

  // Module names, sorted.
  Result<std::vector<std::string>> ListModules() const;
  // NotFound when the module has no branch.
  Result<ModuleInfo> GetModule(const std::string& module) const;
  // Version names of a module, sorted by semver precedence (lowest first). Empty when none.
  Result<std::vector<std::string>> ListVersions(const std::string& module) const;
  // Resolves `version` ("latest" = highest release) and reads its manifest. NotFound when absent.
  Result<VersionInfo> GetVersion(const std::string& module, const std::string& version) const;
  // All files of a version (the manifest excluded), verified against the manifest's hashes.
  Result<FileSet> ReadFiles(const VersionInfo& version) const;
  // Writes the files of a version under `dir` (created as needed), each verified against the
  // manifest's hash and size first; several threads read, hash and write at once. The fast path
  // of a pull. `options` say where the files go and which of them (all by default).
  // REQUIRES: nothing else writes under `dir` meanwhile.
  struct CheckoutOptions {
    // Each file goes to <dir>/<mount>/<path> (DependencyPin::mount); "" for <dir>/<path>.
    std::string mount;
    // The version's own paths to write; null writes every file.
    const std::set<std::string>* only = nullptr;
  };
  Status CheckoutFiles(const VersionInfo& version, const std::string& dir,
                       const CheckoutOptions& options) const;
  Status CheckoutFiles(const VersionInfo& version, const std::string& dir) const {
    return CheckoutFiles(version, dir, CheckoutOptions{});
  }
  // One file's bytes and its blob id. NotFound for a path not in the version.
  Result<std::pair<std::string, std::string>> ReadFile(const VersionInfo& version,
                                                       const std::string& path) const;
  // What ReadFile(GetVersion(module, version), path) gave before, when this Store still holds it
  // in memory (recent reads of files up to 2 MiB); nullopt, having read nothing from disk, when it
  // does not, and always for "latest". Costs a few hash lookups: for callers that must not wait
  // on the disk (the server's event loops).
  std::optional<std::pair<std::string, std::string>> CachedFile(const std::string& module,
                                                                const std::string& version,
                                                                const std::string& path) const;
  // The module files that differ from `from` to `to` (the manifest left out), sorted by path, each
  // with a unified diff (three lines of context) when `with_patch`. A moved file is one removed and
  // one added.
  Result<std::vector<FileChange>> DiffVersions(const VersionInfo& from, const VersionInfo& to,
                                               bool with_patch) const;
  // The module's versions along its branch, newest first.
  Result<std::vector<VersionInfo>> Log(const std::string& module) const;
  // Refs whose names start with `prefix` ("" for all), sorted by name.
  Result<std::vector<RefEntry>> ListRefs(const std::string& prefix) const;
  // The ref's target, or "" when it does not exist.
  Result<std::string> ResolveRef(const std::string& name) const;
  bool HasObject(const std::string& id) const;
  // Whether the object `id` and everything it reaches (a tag's target, a commit's tree and parents,
  // a tree's entries) are all in the store. A store may hold an object without all it reaches
  // (stores written by older Spoke versions could be left so by a crash, or objects came in by
  // other means), so a client that asks only HasObject may skip a fetch it needs; ApplyPack
  // refuses to move a ref to an incomplete closure. Costs a walk of the whole history.
  bool HasCompleteClosure(const std::string& id) const;
  // Those of `ids` whose closure is incomplete (or that are not object ids), in one walk that
  // visits each object once however many of the ids reach it: about the cost of
  // `git fsck --connectivity-only` over what they reach.
  Result<std::set<std::string>> IncompleteClosures(const std::vector<std::string>& ids) const;

  // The blob id of every module file of a version (the manifest excluded): path -> id.
  Result<std::map<std::string, std::string>> ListFileIds(const VersionInfo& version) const;
  // A blob's bytes. NotFound when absent; Corruption when it is not a blob.
  Result<std::string> ReadBlob(const std::string& id) const;
  // Every file of a snapshot commit (see WriteSnapshot), by path.
  Result<FileSet> ReadSnapshot(const std::string& commit_id) const;

  // --- Settings (the repository's git config file, which stock git reads too) -----------------

  // Every value of the multi-valued setting `name` ("section.key", e.g. "spoke.fetch"), in the
  // order the file holds them; empty when it is not set.
  Result<std::vector<std::string>> GetSetting(const std::string& name) const;
  // Replaces every value of `name` with `values` (none: unsets it), in one locked rewrite of the
  // file. InvalidArgument for an empty value; Conflict while another writer holds the file's lock.
  Status SetSetting(const std::string& name, const std::vector<std::string>& values);

  // --- Writing -----------------------------------------------------------------------------

  // The id `content` has, or would have, as a blob in any store; nothing is written.
  static std::string BlobId(std::string_view content);
  // Writes `content` as a blob; returns its id. Identical content is stored once.
  Result<std::string> WriteBlob(const std::string& content);
  // Writes `files` (path -> content, which the caller keeps alive during the call) as a tree and a
  // parentless commit with a fixed author and time, so the same files and message always give the
  // same commit id, on any machine. Used for artifacts; many files land as one pack.
  using FileViews = std::map<std::string, std::string_view>;
  Result<std::string> WriteSnapshot(const FileViews& files, const std::string& message);
  // A snapshot written while its files are still being produced (see SnapshotWriter). On a store
  // without files (path() ""), its blobs are held in memory until Finish() writes them through the
  // backend, like any other object (the PostgreSQL backend then stores them with the next
  // UpdateRefs that needs them, as one pack).
  Result<std::unique_ptr<SnapshotWriter>> StartSnapshot();

  // Validates `request` and writes its blobs, trees, commit and tag, with `parent` (hex, or "" for
  // none: a root module commit is then made first) as the commit's parent. No ref changes.
  Result<PreparedVersion> PrepareVersion(const NewVersion& request, const std::string& parent);

  // Publishes a version in this store: the whole check-write-swap under the write lock, retried
  // when another process moves the branch in between. AlreadyExists when the version exists with
  // different content (and nothing changes); created=false when it exists with the same content.
  Result<PutResult> PutVersion(const NewVersion& request);

  // Creates a module with no versions (its root commit, whose record holds `description` and
  // `compatibility`, "" for none). AlreadyExists when it exists.
  Result<ModuleInfo> CreateModule(const std::string& module, const std::string& description,
                                  const std::string& compatibility = "");

  // Records a new compatibility level for an existing module ("" for none): a new revision of its
  // record on ModuleRecordRef(module), whose first commit's parent is the module's root commit, so
  // `git log` on that ref shows every revision. The write is a compare-and-swap on the ref, retried
  // when another writer moved it. NotFound when the module does not exist.
  Result<ModuleInfo> SetModuleCompatibility(const std::string& module,
                                            const std::string& compatibility);

  // A compare-and-swap over every ref of `updates`: every ref is locked and its old_target checked
  // before any is written, so a Conflict (naming the first ref, in name order, whose value
  // differs) or any other refusal changes nothing. What "all" means once writing starts depends on
  // the backend. On disk, libgit2 writes the refs one after another (each a rename), so:
  //   - another thread or process reading meanwhile may see some of the refs moved and not yet
  //     the others (for microseconds; writers never, as they wait for the locks);
  //   - a crash between two writes is finished by the ref journal at the next Store::Open (roll
  //     forward, never back: the objects were synced first);
  //   - a write that fails between two (an I/O error) returns the error and leaves the journal,
  //     so the same happens at the next open; until then the store shows part of the update.
  // In memory the swap is one step for readers too.
  Status UpdateRefs(const std::vector<RefUpdate>& updates);

  // The refs created or moved since `*position` (start from -1, which only sets it), oldest first,
  // when the backend keeps a log of ref changes (PostgreSQL's ref_changes), so a watcher need not
  // list every ref to find them; nullopt when it keeps none (files, memory: list instead).
  // Errors are the backend's.
  Result<std::optional<std::vector<std::string>>> RefsChangedSince(int64_t* position) const;

  // Removes the git lock files of refs (and packed-refs.lock) that writers killed mid-write left
  // behind, holding spoke-refs.lock, which every live writer holds while its lock files exist:
  // when another writer holds it now, those files are its own and nothing is removed (a dead
  // writer's lock is also cleared by the next write of its ref). Ok for a store without files.
  Status RemoveStaleRefLocks();

  // --- Packs (the sync protocol's payload) ----------------------------------------------------

  // A git pack holding everything reachable from `wants` and not from `haves`. Wants must exist
  // (NotFound otherwise); unknown haves are ignored.
  Result<std::string> BuildPack(const std::vector<std::string>& wants,
                                const std::vector<std::string>& haves, PackStats* stats) const;

  // Receives a pack from outside and the ref updates that come with it. The pack is indexed into a
  // quarantine directory within bounds that no stated size or count can make it exceed, every
  // object it holds is checked (hashes; git fsck --strict's rules for every commit, tree and tag;
  // links to objects of the stated type that exist), every ref that moves is checked to reach a
  // complete closure whatever the store already holds (for version tags: manifest, digest and
  // every file's hash), the ref updates are checked against `policy`, and only then is the pack
  // moved into the store, as one pack, synced, and the refs swapped with UpdateRefs (whose
  // journal finishes, at the next open, a swap a crash interrupted). On any failure before the
  // refs are written the store is exactly as before: Corruption (422) for a pack or object that
  // breaks a rule, naming it and the rule (docs/storage.md). An empty `pack` is allowed when the
  // objects are already present. On a store whose backend keeps no files, the pack is quarantined
  // and checked in SetIncomingDirectory's directory, then handed to the backend as it is
  // (StoreBackend::TakeCheckedPack), or, for a backend that takes no packs, its objects the store
  // lacks are written through the backend; either way they are stored with the refs (the
  // PostgreSQL backend: in the refs' transaction); FailedPrecondition when no such directory was
  // set.
  Result<std::vector<RefResult>> ApplyPack(const std::string& pack,
                                           const std::vector<RefUpdate>& updates, RefPolicy policy);
  // The same for a pack held in the file `pack_path` from byte `offset` to its end (a request
  // body the server streamed to disk, a fetched pack the client streamed to disk), so a large pack
  // is never held in memory: it is read in pieces of at most 1 MiB. The file is only read; the
  // caller removes it. Made with CreateIncomingFile, it lives inside this store, and its bytes
  // become the stored pack with no copy at all when `offset` is 0 (a second name for the same
  // file), or with a copy the kernel makes (copy_file_range) otherwise.
  Result<std::vector<RefResult>> ApplyPackFile(const std::string& pack_path, uint64_t offset,
                                               const std::vector<RefUpdate>& updates,
                                               RefPolicy policy);
  // For a store whose backend keeps no files (path() ""): a local directory of this process's own
  // where ApplyPack and ApplyPackFile quarantine and index received packs (in its spoke-incoming/,
  // swept of dead processes' leftovers as a store's is). The objects are then held in memory
  // until the refs that need them are stored, so a received pack costs its inflated size in
  // memory there. REQUIRES: before any ApplyPack; not called on a store with files.
  void SetIncomingDirectory(const std::string& dir);
  // A place for a pack on its way in (see IncomingFile). IOError when it cannot be made.
  Result<std::unique_ptr<IncomingFile>> CreateIncomingFile();

  // A check every new version must pass before a registry publishes it (PutVersion, and ApplyPack
  // with the strict policy), given the version's manifest and files; its error is the caller's.
  // Registries use it to make sure a version compiles against its dependencies (deps.h).
  using VersionCheck = std::function<Status(const Manifest& manifest, const FileSet& files)>;
  void SetVersionCheck(VersionCheck check);

  // Called once for every version this store publishes (PutVersion, and ApplyPack for each version
  // tag it creates), right after the version's refs are in place, on the publishing thread with the
  // store's write lock held: keep it short and never write to the store from it. Registries keep
  // their import index current with it (import_index.h).
  using PublishListener = std::function<void(const VersionInfo& version)>;
  void SetPublishListener(PublishListener listener);

  // Test hook: called with a stage name ("pack-indexed", "refs-locked") during ApplyPack, so a
  // test can stop the process at an exact point. Not for production use.
  void SetStageHook(std::function<void(const std::string&)> hook);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A file inside a store for bytes on their way in (a push body or a fetched pack streamed to disk),
// for Store::ApplyPackFile. path() does not exist yet: the caller creates and writes it. It lives
// in a private directory under <store>/spoke-incoming/, which is locked (flock) while this object
// lives and removed with the file when it dies; if the process dies first, the next Store::Open
// of the store removes it (the lock is gone), while those of live processes are left alone.
class IncomingFile {
 public:
  ~IncomingFile();
  IncomingFile(const IncomingFile&) = delete;
  IncomingFile& operator=(const IncomingFile&) = delete;
  const std::string& path() const;

 private:
  friend class Store;
  struct Impl;
  explicit IncomingFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A snapshot (Store::WriteSnapshot) whose files arrive one at a time, from a generator that is
// still running: each is hashed and compressed into a pack on a background thread as soon as it is
// added, so the snapshot is nearly stored when the last file arrives. Gives the same commit as
// WriteSnapshot for the same files and message. Nothing reaches the store before Finish(): a writer
// destroyed without it (a compile that failed) leaves nothing behind. Add() and AddFile() are
// thread-safe; the rest is not.
class SnapshotWriter {
 public:
  ~SnapshotWriter();
  // Adds `path` with `content`. A path added again takes its last content (the earlier blob may
  // stay in the store, unreferenced).
  // REQUIRES: `content` stays valid and unchanged until the next Settle() or Finish() returns.
  void Add(const std::string& path, std::string_view content);
  // Adds `path` with the content of the file `file`, which is read on the writer's thread: the
  // caller can free its copy as soon as the file is written.
  // REQUIRES: the file stays unchanged until the next Settle() or Finish() returns.
  void AddFile(const std::string& path, const std::string& file);
  // Waits until every file added so far is stored; none of their contents is read again.
  Status Settle();
  // Stores what is left and writes the tree and the commit; returns the commit id.
  Result<std::string> Finish(const std::string& message);

 private:
  friend class Store;
  struct Impl;
  explicit SnapshotWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spoke

#endif  // SPOKE_STORE_H_
