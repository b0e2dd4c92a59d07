// Receiving a pack from outside (a push to a registry, or a fetch into a local store).
//
// The pack is never trusted: it is put in a quarantine directory beside the object store and
// indexed there, read from its file in pieces (pack_index.h: bounds, checksum, every object's
// hash, git's fsck rules for every commit, tree and tag, every link), its version tags are read
// back and checked against their manifests, every ref that moves is checked for a complete
// closure, and the ref updates are checked against the policy. Only then is the pack moved into
// objects/pack (always as one pack: its .idx appearing is what makes all its objects visible at
// once) and synced, and the refs swapped in one transaction. A failure at any step, or a crash,
// leaves the store as it was: the quarantine is not part of the object store and is removed when
// done, or by the next open after a crash. A store whose backend keeps no files quarantines in
// its incoming directory instead, and writes the checked objects through the backend, which
// stores them with the refs (PostgreSQL: in the refs' transaction).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "spoke/files.h"
#include "spoke/refs.h"
#include "spoke/semver.h"
#include "spoke/sys/store_backend.h"
#include "store/durable.h"
#include "store/object_checks.h"
#include "store/pack_index.h"
#include "store/store_impl.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

// How much inflated blob content a client keeps from one received pack for the checkout that
// follows: a whole large module (the google-proto-files corpus is 70 MB) without letting a clone
// of a huge registry hold all of it in memory.
constexpr size_t kKeptBlobBytes = size_t{256} << 20;

// libgit2's indexer (packs with deltas) is fed the quarantined file in pieces this big.
constexpr size_t kIndexerPieceBytes = 1 << 20;

struct OwnedFd {
  int fd = -1;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
};

// The objects of a received pack, readable together with the store's own objects.
struct IncomingObjects {
  OdbPtr combined;   // the store's objects + the quarantined pack
  RepoPtr repo;      // a repository over `combined`, for parsing commits, trees and tags
  OdbPtr pack_only;  // the quarantined pack alone, to list what it holds
  size_t object_count = 0;
  fs::path pack_file, index_file;
  std::map<std::string, BlobDigest>
      blobs;  // what the indexer learnt of the blobs, when it was ours
};

// Feeds the pack file to libgit2's indexer, which resolves deltas and writes the .pack and .idx
// into the quarantine; the input file is removed afterwards.
Status IndexWithLibgit2(const std::string& pack_file, const Quarantine& quarantine,
                        git_odb* store_odb, IncomingObjects* incoming) {
  git_indexer_options opts = GIT_INDEXER_OPTIONS_INIT;
  opts.verify = 1;
  git_indexer* idx_raw = nullptr;
  int rc = git_indexer_new(&idx_raw, quarantine.dir().c_str(), 0, store_odb, &opts);
  if (rc != 0) return GitError(rc, "cannot start indexing the pack");
  IndexerPtr idx(idx_raw);
  OwnedFd in{::open(pack_file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return Status::IOError("cannot read " + pack_file + ": " + std::strerror(errno));
  git_indexer_progress progress{};
  std::vector<char> piece(kIndexerPieceBytes);
  while (rc == 0) {
    ssize_t n = ::read(in.fd, piece.data(), piece.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read " + pack_file + ": " + std::strerror(errno));
    if (n == 0) break;
    rc = git_indexer_append(idx_raw, piece.data(), static_cast<size_t>(n), &progress);
  }
  if (rc == 0) rc = git_indexer_commit(idx_raw, &progress);
  if (rc != 0) {
    const git_error* err = git_error_last();
    return Status::Corruption(std::string("malformed pack: ") +
                              (err && err->message ? err->message : "indexing failed"));
  }
  incoming->object_count = progress.indexed_objects;
  std::string name = std::string("pack-") + git_indexer_name(idx_raw);
  incoming->pack_file = quarantine.dir() / (name + ".pack");
  incoming->index_file = quarantine.dir() / (name + ".idx");
  std::error_code ec;
  if (fs::path(pack_file) != incoming->pack_file) fs::remove(pack_file, ec);
  return Status::Ok();
}

// What the own indexer checks as it reads, for a pack libgit2 indexed (one with deltas): git's
// fsck rules on every commit, tree and tag, and every link to an object of the stated type.
Status CheckIndexedObjects(git_odb* pack_only, git_odb* combined) {
  std::vector<git_oid> ids;
  int rc = git_odb_foreach(
      pack_only,
      [](const git_oid* id, void* payload) -> int {
        static_cast<std::vector<git_oid>*>(payload)->push_back(*id);
        return 0;
      },
      &ids);
  if (rc != 0) return GitError(rc, "cannot list the received objects");
  std::vector<ObjectLink> links;
  for (const auto& id : ids) {
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    rc = git_odb_read_header(&size, &type, pack_only, &id);
    if (rc != 0) return GitError(rc, "cannot read received object " + OidHex(id));
    if (type == GIT_OBJECT_BLOB) continue;
    if (size > kMaxStructuralObjectBytes) {
      return Status::Corruption("malformed pack: object " + OidHex(id) + " has " +
                                std::to_string(size) + " bytes, over the limit of " +
                                std::to_string(kMaxStructuralObjectBytes));
    }
    git_odb_object* raw = nullptr;
    rc = git_odb_read(&raw, pack_only, &id);
    if (rc != 0) return GitError(rc, "cannot read received object " + OidHex(id));
    OdbObjectPtr object(raw);
    SPOKE_RETURN_IF_ERROR(
        CheckObject(type, id,
                    std::string_view(static_cast<const char*>(git_odb_object_data(raw)),
                                     git_odb_object_size(raw)),
                    &links));
  }
  for (const auto& link : links) {
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, combined, &link.to) != 0) {
      return Status::Corruption("malformed pack: object " + OidHex(link.from) + " links to " +
                                OidHex(link.to) +
                                ", which is neither in the pack nor in the store");
    }
    if (type != link.type) {
      return Status::Corruption("malformed pack: object " + OidHex(link.from) + " links to " +
                                OidHex(link.to) + " as a " + git_object_type2string(link.type) +
                                ", but it is a " + git_object_type2string(type));
    }
  }
  return Status::Ok();
}

// The store's objects as an object database of this call's own, to which the received pack is
// added: the objects directory on files, a fresh handle's database on a backend without files
// (the leased handle's must not keep the quarantined pack).
Result<OdbPtr> OpenStoreObjects(git_repository* store_repo, StoreBackend* backend_without_files) {
  git_odb* odb = nullptr;
  if (backend_without_files == nullptr) {
    std::string objects_dir = git_repository_path(store_repo) + std::string("objects");
    int rc = git_odb_open(&odb, objects_dir.c_str());
    if (rc != 0) return GitError(rc, "cannot open the object store");
    return OdbPtr(odb);
  }
  SPOKE_ASSIGN_OR_RETURN(git_repository * fresh, backend_without_files->OpenHandle());
  RepoPtr owned(fresh);
  int rc = git_repository_odb(&odb, fresh);  // a reference of its own: outlives the handle
  if (rc != 0) return GitError(rc, "cannot open the object store");
  return OdbPtr(odb);
}

// Indexes the quarantined `pack_file` ("" for no pack) and opens its objects beside the store's.
Result<IncomingObjects> IndexIntoQuarantine(git_repository* store_repo,
                                            StoreBackend* backend_without_files,
                                            const std::string& pack_file,
                                            const Quarantine& quarantine,
                                            size_t keep_content_bytes) {
  IncomingObjects incoming;
  git_odb* store_odb = nullptr;
  int rc = git_repository_odb(&store_odb, store_repo);
  if (rc != 0) return GitError(rc, "cannot open the object store");
  OdbPtr store_odb_owned(store_odb);

  std::optional<IndexedPack> own;
  if (!pack_file.empty()) {
    SPOKE_ASSIGN_OR_RETURN(
        own, IndexPackFile(pack_file, quarantine.dir().string(), store_odb, keep_content_bytes));
  }
  const bool libgit2_indexed = !pack_file.empty() && !own;
  if (own) {
    incoming.object_count = own->objects;
    incoming.pack_file = own->pack_path;
    incoming.index_file = own->index_path;
    incoming.blobs = std::move(own->blobs);
  } else if (libgit2_indexed) {
    SPOKE_RETURN_IF_ERROR(IndexWithLibgit2(pack_file, quarantine, store_odb, &incoming));
  }

  SPOKE_ASSIGN_OR_RETURN(incoming.combined, OpenStoreObjects(store_repo, backend_without_files));
  git_odb* combined = incoming.combined.get();
  git_odb* pack_only = nullptr;
  rc = git_odb_new(&pack_only);
  if (rc != 0) return GitError(rc, "cannot open the pack");
  incoming.pack_only.reset(pack_only);
  if (!pack_file.empty()) {
    for (git_odb* odb : {combined, pack_only}) {
      git_odb_backend* backend = nullptr;
      rc = git_odb_backend_one_pack(&backend, incoming.index_file.c_str());
      if (rc != 0) return GitError(rc, "cannot open the received pack");
      rc = git_odb_add_backend(odb, backend, 1000);
      if (rc != 0) return GitError(rc, "cannot open the received pack");
    }
  }
  git_repository* repo = nullptr;
  rc = git_repository_wrap_odb(&repo, combined);
  if (rc != 0) return GitError(rc, "cannot read the received pack");
  incoming.repo.reset(repo);
  if (libgit2_indexed) SPOKE_RETURN_IF_ERROR(CheckIndexedObjects(pack_only, combined));
  return incoming;
}

// What one ref update will do once the checks pass.
struct PlannedUpdate {
  RefUpdate update;
  std::string module, version;  // set for version tags
  std::string digest;           // the incoming version's digest (tags)
  std::string commit;           // the incoming version's commit (tags)
  bool artifact = false;        // an artifact ref (mirror policy only)
  bool needs_check = false;     // a version new to this registry: run the store's version check
  // For a version that needs the check, what the check is given: read and verified once, when
  // the ref was checked, so no file is read or hashed a second time.
  Manifest manifest;
  FileSet files;
};

// An artifact ref must name a snapshot commit whose record carries the same key.
Status CheckIncomingArtifact(git_repository* incoming_repo, git_odb* incoming_odb, git_object* obj,
                             const std::string& name, const std::string& key) {
  if (git_object_type(obj) != GIT_OBJECT_COMMIT) {
    return Status::Corruption("artifact ref " + name + " must point at a commit");
  }
  git_tree* tree_raw = nullptr;
  int rc = git_commit_tree(&tree_raw, reinterpret_cast<git_commit*>(obj));
  if (rc != 0) return GitError(rc, "cannot read artifact " + name);
  TreePtr tree(tree_raw);
  auto record = ReadBlobAtPath(incoming_repo, tree_raw, "artifact.json", nullptr);
  if (!record.ok()) return Status::Corruption("artifact " + name + " has no artifact.json");
  auto json = Json::Parse(*record);
  if (!json.ok() || json->GetString("key") != key) {
    return Status::Corruption("artifact " + name + " records a different key");
  }
  // Every file of the snapshot must be there: the ref is what says the artifact is whole.
  struct WalkState {
    git_odb* odb;
    std::string missing;
  } state{incoming_odb, ""};
  rc = git_tree_walk(
      tree_raw, GIT_TREEWALK_PRE,
      [](const char* root, const git_tree_entry* entry, void* payload) -> int {
        auto* s = static_cast<WalkState*>(payload);
        if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
        if (git_odb_exists(s->odb, git_tree_entry_id(entry)) == 1) return 0;
        s->missing = std::string(root) + git_tree_entry_name(entry);
        return -1;
      },
      &state);
  if (!state.missing.empty()) {
    return Status::Corruption("artifact " + name + " lacks its file " + state.missing +
                              "; it is neither in the pack nor in the store");
  }
  if (rc != 0)
    return Status::Corruption("artifact " + name +
                              " lacks part of its tree: " + GitError(rc, "").message());
  return Status::Ok();
}

// The commits from `tip` down to `stop` (or to the roots) are all there: a branch that moves
// brings its whole history, or has it already.
Status CheckCommitChain(git_repository* incoming_repo, const std::string& branch,
                        const std::string& tip, const std::string& stop) {
  std::vector<std::string> todo = {tip};
  std::set<std::string> seen;
  while (!todo.empty()) {
    std::string at = std::move(todo.back());
    todo.pop_back();
    if (at == stop || !seen.insert(at).second) continue;
    SPOKE_ASSIGN_OR_RETURN(git_oid id, ParseOid(at));
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, incoming_repo, &id) != 0) {
      return Status::Corruption("ref " + branch + " reaches commit " + at +
                                ", which is neither in the pack nor in the store");
    }
    CommitPtr commit(raw);
    for (unsigned i = 0; i < git_commit_parentcount(raw); ++i)
      todo.push_back(OidHex(*git_commit_parent_id(raw, i)));
  }
  return Status::Ok();
}

// Checks what one ref update would publish. `current` is the ref's value in the store ("" when
// absent). Whatever objects the store already holds, a ref that moves must reach a complete,
// checked closure: a store can hold objects no ref reaches (left by a crash of an older Spoke
// between its objects and its refs, or brought in by other means), and such a tag proves nothing
// about its tree and files. Only a ref already at its new target needs nothing more.
// With `keep_checked`, a version that needs the store's version check keeps its manifest and
// files in `plan`.
Status CheckIncomingRef(git_repository* incoming_repo, git_odb* incoming_odb,
                        std::map<std::string, BlobDigest>* known_blobs, const std::string& current,
                        PlannedUpdate* plan, RefPolicy policy, bool keep_checked) {
  const std::string& name = plan->update.name;
  SPOKE_ASSIGN_OR_RETURN(git_oid target, ParseOid(plan->update.new_target));
  const bool moves = current != plan->update.new_target;
  git_object* obj_raw = nullptr;
  int rc = git_object_lookup(&obj_raw, incoming_repo, &target, GIT_OBJECT_ANY);
  if (rc != 0) {
    return Status::Corruption("ref " + name + " points at " + plan->update.new_target +
                              ", which is neither in the pack nor in the store");
  }
  ObjectPtr obj(obj_raw);
  std::string module;
  if (ParseVersionTagRef(name, &plan->module, &plan->version)) {
    if (git_object_type(obj_raw) != GIT_OBJECT_TAG) {
      return Status::Corruption("version ref " + name + " must point at an annotated tag");
    }
    auto version = ReadVersionFromTag(incoming_repo, target);
    if (!version.ok()) return Status::Corruption(version.status().message());
    if (version->module != plan->module || version->version != plan->version) {
      return Status::Corruption("ref " + name + " points at the tag of " + version->module + "@" +
                                version->version);
    }
    // Every file is read and hashed, whether it arrived now or was already here: the manifest's
    // digest must describe exactly these bytes, and every one of them must be present.
    if (moves) {
      plan->needs_check = policy == RefPolicy::kStrict && current.empty();
      const bool keep = keep_checked && plan->needs_check;
      Status verified = VerifyVersionFiles(incoming_repo, incoming_odb, *version, known_blobs,
                                           keep ? &plan->files : nullptr);
      if (!verified.ok()) return Status::Corruption(verified.message());
      if (keep) plan->manifest = version->manifest;
    }
    plan->digest = version->manifest.digest;
    plan->commit = version->commit_id;
    return Status::Ok();
  }
  if (ParseModuleBranchRef(name, &module)) {
    if (git_object_type(obj_raw) != GIT_OBJECT_COMMIT) {
      return Status::Corruption("module branch " + name + " must point at a commit");
    }
    // The strict policy walks the branch's move in detail later (CheckBranchMove).
    if (moves && policy == RefPolicy::kMirror) {
      return CheckCommitChain(incoming_repo, name, plan->update.new_target, current);
    }
    return Status::Ok();
  }
  if (ParseModuleRecordRef(name, &module)) {
    // A module's record (its compatibility level) changes through the API, which checks who may
    // change it; a mirror copies the revisions its registry made.
    if (policy == RefPolicy::kStrict) {
      return Status::PermissionDenied(
          "module records cannot be pushed; set the compatibility "
          "level through the API (" +
          name + ")");
    }
    if (git_object_type(obj_raw) != GIT_OBJECT_COMMIT) {
      return Status::Corruption("module record " + name + " must point at a commit");
    }
    if (moves) return CheckCommitChain(incoming_repo, name, plan->update.new_target, current);
    return Status::Ok();
  }
  std::string key;
  if (ParseArtifactRef(name, &key)) {
    // A registry compiles its own artifacts; it never takes generated code on a client's word.
    if (policy == RefPolicy::kStrict) {
      return Status::PermissionDenied("artifacts cannot be pushed; the registry compiles them (" +
                                      name + ")");
    }
    plan->artifact = true;
    if (!moves) return Status::Ok();
    return CheckIncomingArtifact(incoming_repo, incoming_odb, obj_raw, name, key);
  }
  return Status::InvalidArgument("ref " + name +
                                 " is not a Spoke ref (refs/tags/<module>/<version>, "
                                 "refs/heads/<module>/_history, refs/meta/<module>/_record or "
                                 "refs/artifacts/<xx>/<key>)");
}

// Moves the quarantined pack into objects/pack, .pack before .idx (git and libgit2 only see a pack
// once its .idx is there, so all its objects appear at once), with both files and the directory
// synced before any ref can point into them.
Status MoveIntoStore(const IncomingObjects& incoming, git_repository* store_repo) {
  if (incoming.object_count == 0) return Status::Ok();
  const fs::path objects_dir = fs::path(git_repository_path(store_repo)) / "objects";
  const fs::path pack_dir = objects_dir / "pack";
  std::error_code ec;
  const bool made_pack_dir = fs::create_directories(pack_dir, ec);
  if (ec) return Status::IOError("cannot create " + pack_dir.string() + ": " + ec.message());
  SPOKE_RETURN_IF_ERROR(SyncPath(incoming.pack_file.string()));
  SPOKE_RETURN_IF_ERROR(SyncPath(incoming.index_file.string()));
  fs::rename(incoming.pack_file, pack_dir / incoming.pack_file.filename(), ec);
  if (!ec) fs::rename(incoming.index_file, pack_dir / incoming.index_file.filename(), ec);
  if (ec) return Status::IOError("cannot move the received pack into the store: " + ec.message());
  SPOKE_RETURN_IF_ERROR(SyncPath(pack_dir.string()));
  if (made_pack_dir) SPOKE_RETURN_IF_ERROR(SyncPath(objects_dir.string()));
  return Status::Ok();
}

// On a backend without files: writes the received objects the store lacks through `store_repo`,
// which keeps them until the UpdateRefs that needs them stores them with the refs (as one pack in
// the PostgreSQL backend's transaction), so no other server sees a ref before its objects.
Status WriteIntoBackend(const IncomingObjects& incoming, git_repository* store_repo) {
  if (incoming.object_count == 0) return Status::Ok();
  git_odb* raw = nullptr;
  int rc = git_repository_odb(&raw, store_repo);
  if (rc != 0) return GitError(rc, "cannot open the object store");
  OdbPtr store_odb(raw);
  struct Copy {
    git_odb* from;
    git_odb* to;
    int rc = 0;
  } copy{incoming.pack_only.get(), store_odb.get()};
  rc = git_odb_foreach(
      copy.from,
      [](const git_oid* id, void* payload) {
        auto* c = static_cast<Copy*>(payload);
        if (git_odb_exists(c->to, id)) return 0;
        git_odb_object* object = nullptr;
        if ((c->rc = git_odb_read(&object, c->from, id)) != 0) return c->rc;
        git_oid written;
        c->rc = git_odb_write(&written, c->to, git_odb_object_data(object),
                              git_odb_object_size(object), git_odb_object_type(object));
        git_odb_object_free(object);
        return c->rc;
      },
      &copy);
  if (rc != 0 || copy.rc != 0)
    return GitError(copy.rc != 0 ? copy.rc : rc, "cannot write the received objects");
  return Status::Ok();
}

// Whether `commit` is a module's root commit: no parent, and a tree holding only a module record
// that names `module`.
bool IsModuleRoot(git_repository* repo, const git_oid& commit_id, const std::string& module) {
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo, &commit_id) != 0) return false;
  CommitPtr commit(raw);
  if (git_commit_parentcount(raw) != 0) return false;
  git_tree* tree_raw = nullptr;
  if (git_commit_tree(&tree_raw, raw) != 0) return false;
  TreePtr tree(tree_raw);
  if (git_tree_entrycount(tree_raw) != 1) return false;
  auto record = ReadBlobAtPath(repo, tree_raw, kModuleRecordPath, nullptr);
  if (!record.ok()) return false;
  auto json = Json::Parse(*record);
  return json.ok() && json->GetString("module") == module;
}

// A registry's branches only ever hold a module's root commit and then its versions, one after
// the other. A branch may move from its current tip (or, for a new module, from a root commit of
// this module) along a first-parent chain of commits that are each the commit of a version tag
// created by the same push; a new module may also start at its root commit alone. Returns the
// commits of the chain.
Result<std::set<std::string>> CheckBranchMove(
    git_repository* incoming_repo, const std::string& module, const std::string& current,
    const std::string& new_tip, const std::set<std::string>& created_version_commits) {
  const std::string branch = ModuleBranchRef(module);
  std::set<std::string> chain;
  std::string at = new_tip;
  while (true) {
    if (at == current) return chain;
    SPOKE_ASSIGN_OR_RETURN(git_oid id, ParseOid(at));
    if (current.empty() && IsModuleRoot(incoming_repo, id, module)) return chain;
    if (!created_version_commits.count(at)) {
      if (!chain.empty() || !current.empty()) {
        return Status::Conflict("module branch " + branch + " does not build on its current tip " +
                                (current.empty() ? std::string("(none)") : current) +
                                "; fetch and try again");
      }
      return Status::Corruption("module branch " + branch +
                                " may only move to the commits of versions pushed with it");
    }
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, incoming_repo, &id) != 0) {
      return Status::Corruption("ref " + branch + " reaches commit " + at +
                                ", which is neither in the pack nor in the store");
    }
    CommitPtr commit(raw);
    if (git_commit_parentcount(raw) != 1) {
      return Status::Corruption("version commit " + at + " must have exactly one parent");
    }
    chain.insert(at);
    at = OidHex(*git_commit_parent_id(raw, 0));
  }
}

// ApplyPack and ApplyPackFile once the pack, if any, is in `pack_file` inside `quarantine`.
Result<std::vector<RefResult>> ApplyQuarantinedPack(Store& store, Store::Impl* impl,
                                                    const Quarantine& quarantine,
                                                    const std::string& pack_file,
                                                    const std::vector<RefUpdate>& updates,
                                                    RefPolicy policy) {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl));
  git_repository* repo = lease.get();
  // A client checks out what it fetched right away (a pull), so it keeps the inflated blobs for
  // that, within a bound; a registry keeps them for its version check, which reads every file of
  // a new version, and else keeps none.
  const bool checks_versions = policy == RefPolicy::kStrict && impl->version_check != nullptr;
  const size_t keep_content_bytes =
      policy == RefPolicy::kMirror || checks_versions ? kKeptBlobBytes : 0;
  StoreBackend* backend_without_files = impl->path.empty() ? impl->backend.get() : nullptr;
  SPOKE_ASSIGN_OR_RETURN(
      IncomingObjects incoming,
      IndexIntoQuarantine(repo, backend_without_files, pack_file, quarantine, keep_content_bytes));
  impl->Stage("pack-indexed");
  std::vector<PlannedUpdate> plans;
  std::set<std::string> names;
  for (const auto& update : updates) {
    if (!names.insert(update.name).second) {
      return Status::InvalidArgument("ref " + update.name + " is updated twice");
    }
    if (update.new_target.empty()) {
      return Status::InvalidArgument("ref " + update.name +
                                     " cannot be deleted: versions are immutable");
    }
    if (!update.old_target.empty()) SPOKE_RETURN_IF_ERROR(ParseOid(update.old_target).status());
    PlannedUpdate plan;
    plan.update = update;
    SPOKE_ASSIGN_OR_RETURN(std::string current, store.ResolveRef(update.name));
    SPOKE_RETURN_IF_ERROR(CheckIncomingRef(incoming.repo.get(), incoming.combined.get(),
                                           &incoming.blobs, current, &plan, policy,
                                           checks_versions));
    plans.push_back(std::move(plan));
  }

  if (checks_versions) {
    for (auto& plan : plans) {
      if (!plan.needs_check) continue;
      SPOKE_RETURN_IF_ERROR(impl->version_check(plan.manifest, plan.files));
      plan.files.clear();
    }
  }

  std::lock_guard<std::mutex> lock(impl->write_mutex);
  std::vector<RefUpdate> to_apply;
  std::vector<RefResult> results;
  std::set<std::string> unchanged_commits;  // commits of versions that turned out to exist already
  for (auto& plan : plans) {
    SPOKE_ASSIGN_OR_RETURN(std::string current, store.ResolveRef(plan.update.name));
    if (!plan.module.empty() && !plan.version.empty()) {
      if (current == plan.update.new_target) {
        results.push_back({plan.update.name, current, RefChange::kUnchanged});
        unchanged_commits.insert(plan.commit);
        continue;
      }
      if (!current.empty()) {
        auto existing = store.GetVersion(plan.module, plan.version);
        if (existing.ok() && existing->manifest.digest == plan.digest) {
          results.push_back({plan.update.name, current, RefChange::kUnchanged});
          unchanged_commits.insert(plan.commit);
          continue;
        }
        return Status::AlreadyExists("version " + plan.module + "@" + plan.version +
                                     " already exists with different content (" +
                                     (existing.ok() ? existing->manifest.digest : current) +
                                     "); versions are immutable, push a new version");
      }
      if (policy == RefPolicy::kStrict && !plan.update.old_target.empty()) {
        return Status::Conflict("version tag " + plan.update.name + " does not exist; expected " +
                                plan.update.old_target);
      }
      to_apply.push_back({plan.update.name, "", plan.update.new_target});
      results.push_back({plan.update.name, plan.update.new_target, RefChange::kCreated});
      continue;
    }
    if (plan.artifact) {
      // Artifacts are deterministic: an existing one for the same key is kept as it is.
      if (!current.empty()) {
        results.push_back({plan.update.name, current, RefChange::kUnchanged});
        continue;
      }
      to_apply.push_back({plan.update.name, "", plan.update.new_target});
      results.push_back({plan.update.name, plan.update.new_target, RefChange::kCreated});
      continue;
    }
    // A module branch.
    if (current == plan.update.new_target) {
      results.push_back({plan.update.name, current, RefChange::kUnchanged});
      continue;
    }
    if (policy == RefPolicy::kStrict) {
      if (unchanged_commits.count(plan.update.new_target)) {
        // The version this branch move would publish is already there under another commit.
        SPOKE_ASSIGN_OR_RETURN(std::string tip, store.ResolveRef(plan.update.name));
        results.push_back({plan.update.name, tip, RefChange::kUnchanged});
        continue;
      }
      if (current != plan.update.old_target) {
        return Status::Conflict("module branch " + plan.update.name + " moved (now at " +
                                (current.empty() ? std::string("nothing") : current) +
                                "); fetch and try again");
      }
      if (!current.empty()) {
        git_oid new_id = *ParseOid(plan.update.new_target), old_id = *ParseOid(current);
        if (git_graph_descendant_of(incoming.repo.get(), &new_id, &old_id) != 1) {
          return Status::Conflict("module branch " + plan.update.name +
                                  " would not move forward (its new tip does not descend from " +
                                  current + ")");
        }
      }
    }
    to_apply.push_back({plan.update.name, current, plan.update.new_target});
    results.push_back({plan.update.name, plan.update.new_target,
                       current.empty() ? RefChange::kCreated : RefChange::kUpdated});
  }
  if (policy == RefPolicy::kStrict) {
    // Every branch move must follow new versions only, and every new version must lie on its
    // module's branch once this push is applied.
    std::set<std::string> created_version_commits;
    for (const auto& plan : plans) {
      if (plan.module.empty() || plan.version.empty()) continue;
      for (const auto& update : to_apply) {
        if (update.name == plan.update.name) created_version_commits.insert(plan.commit);
      }
    }
    std::map<std::string, std::set<std::string>> chains;  // module -> commits its branch moves over
    for (const auto& update : to_apply) {
      std::string module;
      if (!ParseModuleBranchRef(update.name, &module)) continue;
      SPOKE_ASSIGN_OR_RETURN(chains[module],
                             CheckBranchMove(incoming.repo.get(), module, update.old_target,
                                             update.new_target, created_version_commits));
    }
    for (const auto& plan : plans) {
      if (plan.module.empty() || plan.version.empty() ||
          !created_version_commits.count(plan.commit))
        continue;
      if (!chains[plan.module].count(plan.commit)) {
        return Status::Corruption("version " + plan.module + "@" + plan.version +
                                  " must be pushed with " + ModuleBranchRef(plan.module) +
                                  " moving over its commit " + plan.commit);
      }
    }
  }
  if (backend_without_files) {
    // The checked pack itself, when the backend takes packs: nothing inflated is held in memory.
    Status taken = to_apply.empty() || incoming.object_count == 0
                       ? Status::Ok()
                       : backend_without_files->TakeCheckedPack(
                             incoming.pack_file.string(), incoming.index_file.string(),
                             static_cast<int64_t>(incoming.object_count));
    if (taken.code() == Status::Code::kFailedPrecondition) {
      taken = WriteIntoBackend(incoming, repo);
    }
    SPOKE_RETURN_IF_ERROR(taken);
  } else {
    SPOKE_RETURN_IF_ERROR(MoveIntoStore(incoming, repo));
  }
  SPOKE_RETURN_IF_ERROR(UpdateRefsLocked(repo, to_apply, *impl));
  if (impl->publish_listener) {
    for (const auto& update : to_apply) {
      std::string module, version;
      if (!ParseVersionTagRef(update.name, &module, &version)) continue;
      // The refs are in: a version that cannot be read back now is not the push's failure.
      if (auto published = store.GetVersion(module, version); published.ok())
        impl->publish_listener(*published);
    }
  }
  {
    // A checkout that follows at once (a pull) need not hash these blobs a second time. A registry
    // never checks out: it keeps no content past the push.
    if (policy == RefPolicy::kStrict) {
      for (auto& [id, blob] : incoming.blobs) {
        std::string().swap(blob.content);
        blob.content_kept = false;
      }
    }
    auto received =
        std::make_shared<const std::map<std::string, BlobDigest>>(std::move(incoming.blobs));
    std::lock_guard<std::mutex> digests_lock(impl->digests_mutex);
    impl->received_blobs = std::move(received);
  }
  return results;
}

}  // namespace

Result<std::vector<RefResult>> Store::ApplyPack(const std::string& pack,
                                                const std::vector<RefUpdate>& updates,
                                                RefPolicy policy) {
  SPOKE_ASSIGN_OR_RETURN(const std::string root, impl_->IncomingRoot());
  SweepIncoming(root);
  Quarantine quarantine(root);
  if (!quarantine.ok()) return Status::IOError("cannot create a quarantine in " + root);
  std::string pack_file;
  if (!pack.empty()) {
    pack_file = (quarantine.dir() / "incoming.pack").string();
    SPOKE_RETURN_IF_ERROR(WriteFileInPlace(pack_file, pack));
  }
  return ApplyQuarantinedPack(*this, impl_.get(), quarantine, pack_file, updates, policy);
}

Result<std::vector<RefResult>> Store::ApplyPackFile(const std::string& pack_path, uint64_t offset,
                                                    const std::vector<RefUpdate>& updates,
                                                    RefPolicy policy) {
  SPOKE_ASSIGN_OR_RETURN(const std::string root, impl_->IncomingRoot());
  SweepIncoming(root);
  OwnedFd in{::open(pack_path.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st {};
  if (in.fd < 0 || ::fstat(in.fd, &st) != 0) {
    return Status::IOError("cannot read the pack in " + pack_path + ": " + std::strerror(errno));
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (offset > size)
    return Status::InvalidArgument("pack offset " + std::to_string(offset) +
                                   " is past the end of " + pack_path);
  Quarantine quarantine(root);
  if (!quarantine.ok()) return Status::IOError("cannot create a quarantine in " + root);
  std::string pack_file;
  if (offset < size) {
    // The pack becomes a file of its own in the quarantine, which the indexer names and which then
    // moves into objects/pack: a second name for the same bytes when the pack is the whole file,
    // a copy the kernel makes (never through this process's memory) when it starts further in.
    pack_file = (quarantine.dir() / "incoming.pack").string();
    bool linked = offset == 0 && ::linkat(AT_FDCWD, pack_path.c_str(), AT_FDCWD, pack_file.c_str(),
                                          AT_SYMLINK_FOLLOW) == 0;
    if (!linked) SPOKE_RETURN_IF_ERROR(CopyFileRange(in.fd, offset, size - offset, pack_file));
  }
  return ApplyQuarantinedPack(*this, impl_.get(), quarantine, pack_file, updates, policy);
}

}  // namespace spoke
