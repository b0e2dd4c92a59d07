// The PostgreSQL store backend (spoke/sys/postgres_backend.h). A handle's object database has two
// backends of its own: the objects written in this process and not stored yet (in memory, shared
// by every handle, read first) and libgit2's pack backend over the local pack cache; the first
// one's refresh, which libgit2 runs on every miss before looking again, fills the cache from the
// database. Refs are read from the refs table on every lookup. UpdateRefs packs what the new
// targets need, stores it and swaps the refs in one transaction, and only then moves the pack into
// the cache and forgets the objects in memory.
#include "spoke/sys/postgres_backend.h"

#include <fnmatch.h>
#include <git2/sys/refdb_backend.h>
#include <git2/sys/refs.h>
#include <git2/sys/repository.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "postgres/connection_pool.h"
#include "store/git_handles.h"
#include "store/object_map_odb.h"
#include "store/pack_write.h"
#include "store/postgres_pack_cache.h"
#include "store/postgres_packs.h"
#include "store/postgres_refs.h"
#include "store/postgres_schema.h"
#include "store/update_only_refdb.h"

namespace spoke {
namespace {

using postgres::ConnectionPool;
using postgres::Param;

// libgit2 callbacks answer -1 with the error message set; this sets it from a Status.
int FailWith(int klass, const Status& status) {
  git_error_set_str(klass, status.ToString().c_str());
  return status.code() == Status::Code::kNotFound ? GIT_ENOTFOUND : -1;
}

// A received pack taken as it was checked (TakeCheckedPack), in the staged directory until an
// UpdateRefs stores it.
struct StagedPack {
  std::string name;
  std::string pack_path;
  std::string index_path;
  int64_t object_count = 0;
};

// What the callbacks of one handle's backends reach; owned by the PostgresBackend.
struct Shared {
  ObjectMap pending;  // written through a handle, not stored in the database yet
  // `<cache_dir>/staged/objects`: received packs not stored yet, read through every handle.
  std::string staged_objects;
  std::mutex staged_mutex;
  std::map<std::string, StagedPack> staged;  // by name; guarded by staged_mutex
  std::unique_ptr<ConnectionPool> pool;
  std::unique_ptr<PostgresPackCache> cache;
};

// --- Refs, read from the database -------------------------------------------------------------

struct RefBackend {
  git_refdb_backend parent;
  Shared* shared;
};

Shared& SharedOf(git_refdb_backend* backend) {
  return *reinterpret_cast<RefBackend*>(backend)->shared;
}

// The target of ref `name`, "" when there is none.
Result<std::string> ReadRef(Shared& shared, const char* name) {
  SPOKE_ASSIGN_OR_RETURN(ConnectionPool::Lease connection, shared.pool->Take());
  Result<postgres::Rows> rows =
      connection->Execute("SELECT target FROM refs WHERE name = $1", {Param::Text(name)});
  if (!rows.ok()) {
    ConnectionPool::DiscardIfLost(connection, rows.status());
    return rows.status();
  }
  return rows->size() == 0 ? std::string() : std::string(rows->Bytes(0, 0));
}

int RefExists(int* exists, git_refdb_backend* backend, const char* name) {
  Result<std::string> target = ReadRef(SharedOf(backend), name);
  if (!target.ok()) return FailWith(GIT_ERROR_REFERENCE, target.status());
  *exists = target->empty() ? 0 : 1;
  return 0;
}

int LookupRef(git_reference** out, git_refdb_backend* backend, const char* name) {
  Result<std::string> target = ReadRef(SharedOf(backend), name);
  if (!target.ok()) return FailWith(GIT_ERROR_REFERENCE, target.status());
  if (target->empty()) {
    return FailWith(GIT_ERROR_REFERENCE, Status::NotFound(std::string("no ref ") + name));
  }
  Result<git_oid> id = ParseOid(*target);
  if (!id.ok()) return FailWith(GIT_ERROR_REFERENCE, id.status());
  *out = git_reference__alloc(name, &*id, nullptr);
  return *out ? 0 : -1;
}

Result<RefList> MatchingRefs(Shared& shared, const char* glob) {
  // The database selects by the glob's literal start; fnmatch decides the rest, as libgit2's own
  // refdb does ('*' matches across '/' too).
  std::string prefix = glob == nullptr ? "" : glob;
  prefix = prefix.substr(0, prefix.find_first_of("*?[\\"));
  SPOKE_ASSIGN_OR_RETURN(ConnectionPool::Lease connection, shared.pool->Take());
  Result<std::vector<RefEntry>> listed = ListPostgresRefs(*connection, prefix);
  if (!listed.ok()) {
    ConnectionPool::DiscardIfLost(connection, listed.status());
    return listed.status();
  }
  RefList refs;
  for (const RefEntry& ref : *listed) {
    if (glob != nullptr && fnmatch(glob, ref.name.c_str(), 0) != 0) continue;
    SPOKE_ASSIGN_OR_RETURN(git_oid target, ParseOid(ref.target));
    refs.emplace_back(ref.name, target);
  }
  return refs;
}

int IterateRefs(git_reference_iterator** out, git_refdb_backend* backend, const char* glob) {
  auto refs = MatchingRefs(SharedOf(backend), glob);
  if (!refs.ok()) return FailWith(GIT_ERROR_REFERENCE, refs.status());
  *out = NewRefListIterator(std::move(*refs));
  return 0;
}

void FreeRefBackend(git_refdb_backend* backend) { delete reinterpret_cast<RefBackend*>(backend); }

// --- The backend --------------------------------------------------------------------------------

// Renames `from` to `to`, or copies it when they are on different file systems.
Status MoveFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec == std::errc::cross_device_link) {
    ec.clear();
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
  }
  if (ec) return Status::IOError("cannot move " + from + " to " + to + ": " + ec.message());
  return Status::Ok();
}

// A pack built from objects in memory, in a directory of its own under the cache's incoming/.
struct BuiltPack {
  std::string dir;
  WrittenPack written;
  ~BuiltPack() {
    std::error_code ignored;
    if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
  }
};

class PostgresBackend : public StoreBackend {
 public:
  PostgresBackend(std::unique_ptr<Shared> shared, std::string description)
      : shared_(std::move(shared)), description_(std::move(description)) {}

  const std::string& directory() const override { return no_directory_; }
  std::string Describe() const override { return "a store in PostgreSQL at " + description_; }

  Result<git_repository*> OpenHandle() override {
    EnsureLibgit2();
    git_repository* raw_repo = nullptr;
    int rc = git_repository_new(&raw_repo);
    if (rc != 0) return GitError(rc, "cannot make a repository handle for " + Describe());
    RepoPtr repo(raw_repo);
    SPOKE_RETURN_IF_ERROR(AttachObjects(raw_repo));
    SPOKE_RETURN_IF_ERROR(AttachRefs(raw_repo));
    return repo.release();
  }

  // The ref_changes log, a page at a time from *position (its seq).
  Result<std::optional<std::vector<std::string>>> RefsChangedSince(int64_t* position) override {
    constexpr int kPage = 1000;
    SPOKE_ASSIGN_OR_RETURN(ConnectionPool::Lease connection, shared_->pool->Take());
    std::vector<std::string> names;
    Status status = Status::Ok();
    if (*position < 0) {
      auto last = LastRefChangeSeq(*connection);
      if (last.ok()) *position = *last;
      if (!last.ok()) ConnectionPool::DiscardIfLost(connection, last.status());
      if (!last.ok()) return last.status();
      return std::optional<std::vector<std::string>>(std::move(names));
    }
    while (status.ok()) {
      auto page = ReadRefChanges(*connection, *position, kPage);
      status = page.status();
      if (!page.ok() || page->empty()) break;
      for (const LoggedRefChange& change : *page) {
        if (!change.new_target.empty()) names.push_back(change.name);
      }
      *position = page->back().seq;
      if (page->size() < static_cast<size_t>(kPage)) break;
    }
    if (!status.ok()) {
      ConnectionPool::DiscardIfLost(connection, status);
      return status;
    }
    return std::optional<std::vector<std::string>>(std::move(names));
  }

  int64_t RemovedPacksGeneration() const override { return shared_->cache->removed_generation(); }

  Status TakeCheckedPack(const std::string& pack_path, const std::string& index_path,
                         int64_t object_count) override {
    StagedPack staged;
    std::string file = std::filesystem::path(pack_path).stem().string();  // pack-<name>
    staged.name = file.substr(file.find('-') + 1);
    staged.pack_path = shared_->staged_objects + "/pack/" + file + ".pack";
    staged.index_path = shared_->staged_objects + "/pack/" + file + ".idx";
    staged.object_count = object_count;
    // The pack first, the index last: libgit2 sees a pack by its index. Both on the cache's file
    // system, next to the quarantine in the server's directory, so these are renames.
    SPOKE_RETURN_IF_ERROR(MoveFile(pack_path, staged.pack_path));
    SPOKE_RETURN_IF_ERROR(MoveFile(index_path, staged.index_path));
    std::lock_guard<std::mutex> lock(shared_->staged_mutex);
    shared_->staged[staged.name] = std::move(staged);
    return Status::Ok();
  }

  Status UpdateRefs(git_repository* handle, const std::vector<RefUpdate>& updates,
                    const std::function<void()>& refs_locked) override {
    for (const auto& update : updates) {
      if (!update.new_target.empty()) SPOKE_RETURN_IF_ERROR(ParseOid(update.new_target).status());
    }
    SPOKE_ASSIGN_OR_RETURN(std::vector<git_oid> unstored, UnstoredClosure(handle, updates));
    std::unique_ptr<BuiltPack> pack;
    if (!unstored.empty()) {
      SPOKE_ASSIGN_OR_RETURN(pack, BuildPack(handle, unstored));
    }
    // Every staged pack goes with this update, whichever refs need it: a pack another push staged
    // and whose update failed may hold objects a later push found present and relies on.
    std::vector<StagedPack> staged;
    {
      std::lock_guard<std::mutex> lock(shared_->staged_mutex);
      for (const auto& [name, one] : shared_->staged) staged.push_back(one);
    }
    Status committed = Commit(pack.get(), staged, updates, refs_locked);
    // Two servers that built the same objects build the same pack: the second insert of its name
    // waits for the first transaction and then loses on the key. Once more, the pack is found.
    if (committed.code() == Status::Code::kConflict && last_pack_race_) {
      committed = Commit(pack.get(), staged, updates, refs_locked);
    }
    SPOKE_RETURN_IF_ERROR(committed);
    // The update is done. Staged packs move into the cache (readable from the staged directory
    // until then); objects in memory stay there until the cache has their pack; if it cannot take
    // it now, they are still readable and the next miss fetches the pack. A pack found stored has
    // this one's name, so these very bytes: adopting them saves fetching it.
    for (const StagedPack& one : staged) {
      if (shared_->cache->Adopt(one.name, one.pack_path, one.index_path).ok()) {
        std::lock_guard<std::mutex> lock(shared_->staged_mutex);
        shared_->staged.erase(one.name);
      }
    }
    if (pack == nullptr) return Status::Ok();
    Status cached = shared_->cache->Adopt(pack->written.name, pack->written.pack_path,
                                          pack->written.index_path);
    if (cached.ok()) shared_->pending.Forget(unstored);
    return Status::Ok();
  }

 private:
  // The objects the new targets reach that are only in memory: a walk that stops at stored
  // objects, whose closure is stored (a pack is stored only with everything it needs).
  Result<std::vector<git_oid>> UnstoredClosure(git_repository* repo,
                                               const std::vector<RefUpdate>& updates) {
    std::vector<git_oid> stack, unstored;
    std::set<std::string> seen;  // by RawOidOf
    for (const auto& update : updates) {
      if (!update.new_target.empty()) stack.push_back(*ParseOid(update.new_target));
    }
    while (!stack.empty()) {
      git_oid id = stack.back();
      stack.pop_back();
      if (!seen.insert(RawOidOf(id)).second || !shared_->pending.Has(id)) continue;
      unstored.push_back(id);
      git_object* raw = nullptr;
      int rc = git_object_lookup(&raw, repo, &id, GIT_OBJECT_ANY);
      if (rc != 0) return GitError(rc, "cannot read object " + OidHex(id));
      ObjectPtr object(raw);
      switch (git_object_type(raw)) {
        case GIT_OBJECT_TAG:
          stack.push_back(*git_tag_target_id(reinterpret_cast<git_tag*>(raw)));
          break;
        case GIT_OBJECT_COMMIT: {
          auto* commit = reinterpret_cast<git_commit*>(raw);
          stack.push_back(*git_commit_tree_id(commit));
          for (unsigned i = 0; i < git_commit_parentcount(commit); ++i) {
            stack.push_back(*git_commit_parent_id(commit, i));
          }
          break;
        }
        case GIT_OBJECT_TREE: {
          auto* tree = reinterpret_cast<git_tree*>(raw);
          for (size_t i = 0; i < git_tree_entrycount(tree); ++i) {
            const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
            // A submodule's commit is not in this store.
            if (git_tree_entry_type(entry) != GIT_OBJECT_COMMIT) {
              stack.push_back(*git_tree_entry_id(entry));
            }
          }
          break;
        }
        default:
          break;
      }
    }
    return unstored;
  }

  Result<std::unique_ptr<BuiltPack>> BuildPack(git_repository* repo,
                                               const std::vector<git_oid>& ids) {
    auto pack = std::make_unique<BuiltPack>();
    std::string dir = shared_->cache->incoming_dir() + "/build-XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) {
      return Status::IOError("cannot create a directory in " + shared_->cache->incoming_dir() +
                             ": " + std::strerror(errno));
    }
    pack->dir = dir;
    SPOKE_ASSIGN_OR_RETURN(pack->written, WritePackOf(repo, ids.data(), ids.size(), dir));
    return pack;
  }

  // One transaction: the packs' rows (unless a pack is stored already), then the refs'
  // compare-and-swap, which takes the ref writers' lock last, as postgres_refs.h requires.
  Status Commit(const BuiltPack* pack, const std::vector<StagedPack>& staged,
                const std::vector<RefUpdate>& updates, const std::function<void()>& refs_locked) {
    last_pack_race_ = false;
    SPOKE_ASSIGN_OR_RETURN(ConnectionPool::Lease connection, shared_->pool->Take());
    Status status = CommitOn(*connection, pack, staged, updates, refs_locked);
    ConnectionPool::DiscardIfLost(connection, status);
    return status;
  }

  // The id of the pack `name` in the database, stored from the files unless it is there.
  Result<int64_t> StoreOrFind(postgres::Connection& connection, const std::string& name,
                              int64_t object_count, const std::string& pack_path,
                              const std::string& index_path) {
    Result<StoredPack> found = FindPack(connection, name);
    if (!found.ok() && found.status().code() != Status::Code::kNotFound) return found.status();
    if (!found.ok()) {
      found = StorePackFiles(connection, name, object_count, pack_path, index_path);
      if (!found.ok()) {
        last_pack_race_ = connection.last_sql_state() == postgres::kUniqueViolation;
        return found.status();
      }
    }
    return found->id;
  }

  Status CommitOn(postgres::Connection& connection, const BuiltPack* pack,
                  const std::vector<StagedPack>& staged, const std::vector<RefUpdate>& updates,
                  const std::function<void()>& refs_locked) {
    SPOKE_ASSIGN_OR_RETURN(postgres::Transaction transaction,
                           postgres::Transaction::Begin(connection));
    int64_t logged_pack = 0;  // the pack ref_changes names: the built one, else the first staged
    for (const StagedPack& one : staged) {
      SPOKE_ASSIGN_OR_RETURN(int64_t id, StoreOrFind(connection, one.name, one.object_count,
                                                     one.pack_path, one.index_path));
      if (logged_pack == 0) logged_pack = id;
    }
    if (pack != nullptr) {
      SPOKE_ASSIGN_OR_RETURN(logged_pack,
                             StoreOrFind(connection, pack->written.name, pack->written.object_count,
                                         pack->written.pack_path, pack->written.index_path));
    }
    if (logged_pack != 0) SPOKE_RETURN_IF_ERROR(SetRefChangesPack(connection, logged_pack));
    SPOKE_RETURN_IF_ERROR(ApplyRefUpdates(connection, updates));
    refs_locked();
    return transaction.Commit();
  }

  Status AttachObjects(git_repository* repo) {
    git_odb* raw_odb = nullptr;
    int rc = git_odb_new(&raw_odb);
    if (rc != 0) return GitError(rc, "cannot make an object database");
    OdbPtr odb(raw_odb);
    // The fill runs before the pack backend's own refresh (this backend sorts first), so the pack
    // backend rescans a directory that already holds what the database had. A failed fill still
    // answers 0: libgit2 stops refreshing at the first error, and the pack backend must rescan
    // anyway, for the packs this fill did fetch (one bad pack hides no other) and for those
    // UpdateRefs moved in (whose objects left memory) while the database cannot be reached. The
    // miss then stays a miss.
    Shared* shared = shared_.get();
    git_odb_backend* pending = NewObjectMapBackend(
        shared->pending, [shared] { static_cast<void>(shared->cache->Fill()); });
    // Priority 3 over the staged packs' 2 and the cache's 1: read first, and refreshed (the cache
    // filled) first.
    rc = git_odb_add_backend(raw_odb, pending, 3);
    if (rc != 0) {
      pending->free(pending);
      return GitError(rc, "cannot add the backend of objects not stored yet");
    }
    git_odb_backend* staged = nullptr;
    rc = git_odb_backend_pack(&staged, shared_->staged_objects.c_str());
    if (rc != 0) return GitError(rc, "cannot read the staged packs " + shared_->staged_objects);
    rc = git_odb_add_backend(raw_odb, staged, 2);
    if (rc != 0) {
      staged->free(staged);
      return GitError(rc, "cannot add the staged packs' backend");
    }
    git_odb_backend* packs = nullptr;
    rc = git_odb_backend_pack(&packs, shared_->cache->objects_dir().c_str());
    if (rc != 0) return GitError(rc, "cannot read the pack cache " + shared_->cache->objects_dir());
    rc = git_odb_add_backend(raw_odb, packs, 1);
    if (rc != 0) {
      packs->free(packs);
      return GitError(rc, "cannot add the pack cache's backend");
    }
    rc = git_repository_set_odb(repo, raw_odb);  // the repository takes its own reference
    if (rc != 0) return GitError(rc, "cannot attach the object database");
    return Status::Ok();
  }

  Status AttachRefs(git_repository* repo) {
    git_refdb* raw_refdb = nullptr;
    int rc = git_refdb_new(&raw_refdb, repo);
    if (rc != 0) return GitError(rc, "cannot make a ref database");
    GitPtr<git_refdb, git_refdb_free> refdb(raw_refdb);
    auto* backend = new RefBackend{};
    git_refdb_init_backend(&backend->parent, GIT_REFDB_BACKEND_VERSION);
    backend->shared = shared_.get();
    backend->parent.exists = RefExists;
    backend->parent.lookup = LookupRef;
    backend->parent.iterator = IterateRefs;
    RefuseRefWritesAndReflogs(backend->parent);
    backend->parent.free = FreeRefBackend;
    rc = git_refdb_set_backend(raw_refdb, &backend->parent);
    if (rc != 0) {
      FreeRefBackend(&backend->parent);
      return GitError(rc, "cannot add the PostgreSQL ref backend");
    }
    rc = git_repository_set_refdb(repo, raw_refdb);
    if (rc != 0) return GitError(rc, "cannot attach the PostgreSQL ref database");
    return Status::Ok();
  }

  const std::string no_directory_;
  std::unique_ptr<Shared> shared_;
  const std::string description_;
  // Whether the last Commit lost the race to store its pack's name (UpdateRefs is not reentered:
  // the Store's write lock).
  bool last_pack_race_ = false;
};

}  // namespace

Result<std::unique_ptr<StoreBackend>> OpenPostgresBackend(const std::string& url,
                                                          const std::string& cache_dir,
                                                          int max_connections) {
  EnsureLibgit2();
  auto shared = std::make_unique<Shared>();
  shared->pool = std::make_unique<ConnectionPool>(url, max_connections);
  std::string description;
  {
    SPOKE_ASSIGN_OR_RETURN(ConnectionPool::Lease connection, shared->pool->Take());
    SPOKE_RETURN_IF_ERROR(MigratePostgresSchema(*connection).status());
    description = connection->description();
  }
  SPOKE_ASSIGN_OR_RETURN(shared->cache, PostgresPackCache::Open(cache_dir, shared->pool.get()));
  // Packs a killed process staged were never stored, and no acknowledged push needs them.
  std::error_code ec;
  const std::filesystem::path staged = std::filesystem::absolute(cache_dir, ec) / "staged";
  std::filesystem::remove_all(staged, ec);
  std::filesystem::create_directories(staged / "objects" / "pack", ec);
  if (ec) return Status::IOError("cannot create " + staged.string() + ": " + ec.message());
  shared->staged_objects = (staged / "objects").string();
  SPOKE_RETURN_IF_ERROR(shared->cache->Fill());
  return std::unique_ptr<StoreBackend>(
      std::make_unique<PostgresBackend>(std::move(shared), std::move(description)));
}

}  // namespace spoke
