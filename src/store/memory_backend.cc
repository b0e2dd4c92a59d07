// The memory store backend, the twin tests run Store against: objects and refs in maps, reached
// by libgit2 through an object database backend and a ref database backend of our own (the
// extension points of git2/sys/odb_backend.h and git2/sys/refdb_backend.h). git_mempack is not
// used because it takes no lock, and a Store reads on many threads while it writes.
#include <fnmatch.h>
#include <git2/sys/refdb_backend.h>
#include <git2/sys/refs.h>
#include <git2/sys/repository.h>

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "spoke/sys/store_backend.h"
#include "store/git_handles.h"
#include "store/object_map_odb.h"
#include "store/update_only_refdb.h"

namespace spoke {
namespace {

// Every ref of the store (name -> target); shared by the ref database of every handle.
struct RefMap {
  std::mutex mutex;
  std::map<std::string, git_oid> refs;
};

int NotFound(int klass, const std::string& what) {
  git_error_set_str(klass, what.c_str());
  return GIT_ENOTFOUND;
}

struct RefBackend {
  git_refdb_backend parent;
  RefMap* map;
};

RefMap& MapOf(git_refdb_backend* backend) { return *reinterpret_cast<RefBackend*>(backend)->map; }

int RefExists(int* exists, git_refdb_backend* backend, const char* name) {
  RefMap& map = MapOf(backend);
  std::lock_guard<std::mutex> lock(map.mutex);
  *exists = map.refs.count(name) ? 1 : 0;
  return 0;
}

int LookupRef(git_reference** out, git_refdb_backend* backend, const char* name) {
  RefMap& map = MapOf(backend);
  std::lock_guard<std::mutex> lock(map.mutex);
  auto it = map.refs.find(name);
  if (it == map.refs.end()) return NotFound(GIT_ERROR_REFERENCE, std::string("no ref ") + name);
  *out = git_reference__alloc(name, &it->second, nullptr);
  return *out ? 0 : -1;
}

int IterateRefs(git_reference_iterator** out, git_refdb_backend* backend, const char* glob) {
  RefList refs;
  {
    RefMap& map = MapOf(backend);
    std::lock_guard<std::mutex> lock(map.mutex);
    for (const auto& [name, target] : map.refs) {
      // As libgit2's own refdb: '*' matches across '/' too.
      if (glob == nullptr || fnmatch(glob, name.c_str(), 0) == 0) refs.emplace_back(name, target);
    }
  }
  *out = NewRefListIterator(std::move(refs));
  return 0;
}

void FreeRefBackend(git_refdb_backend* backend) { delete reinterpret_cast<RefBackend*>(backend); }

class MemoryBackend : public StoreBackend {
 public:
  const std::string& directory() const override { return no_directory_; }
  std::string Describe() const override { return "a store in memory"; }

  Result<git_repository*> OpenHandle() override {
    EnsureLibgit2();
    git_repository* raw_repo = nullptr;
    int rc = git_repository_new(&raw_repo);
    if (rc != 0) return GitError(rc, "cannot make a repository handle in memory");
    RepoPtr repo(raw_repo);
    SPOKE_RETURN_IF_ERROR(AttachObjects(raw_repo));
    SPOKE_RETURN_IF_ERROR(AttachRefs(raw_repo));
    return repo.release();
  }

  Status UpdateRefs(git_repository*, const std::vector<RefUpdate>& updates,
                    const std::function<void()>& refs_locked) override {
    std::vector<git_oid> targets;
    for (const auto& update : updates) {
      SPOKE_ASSIGN_OR_RETURN(git_oid target, ParseOid(update.new_target));
      targets.push_back(target);
    }
    // One lock for the compare and the swap: readers see every ref old or every ref new.
    std::lock_guard<std::mutex> lock(refs_.mutex);
    for (const auto& update : updates) {
      auto it = refs_.refs.find(update.name);
      const std::string current = it == refs_.refs.end() ? std::string() : OidHex(it->second);
      if (current != update.old_target) {
        return Status::Conflict(
            "ref " + update.name + " is at " +
            (current.empty() ? std::string("nothing") : current) + ", expected " +
            (update.old_target.empty() ? std::string("nothing") : update.old_target));
      }
    }
    refs_locked();
    for (size_t i = 0; i < updates.size(); ++i) refs_.refs[updates[i].name] = targets[i];
    return Status::Ok();
  }

 private:
  Status AttachObjects(git_repository* repo) {
    git_odb* raw_odb = nullptr;
    int rc = git_odb_new(&raw_odb);
    if (rc != 0) return GitError(rc, "cannot make an object database in memory");
    OdbPtr odb(raw_odb);
    git_odb_backend* backend = NewObjectMapBackend(objects_);
    rc = git_odb_add_backend(raw_odb, backend, 1);
    if (rc != 0) {
      backend->free(backend);
      return GitError(rc, "cannot add the memory object backend");
    }
    rc = git_repository_set_odb(repo, raw_odb);  // the repository takes its own reference
    if (rc != 0) return GitError(rc, "cannot attach the memory object database");
    return Status::Ok();
  }

  Status AttachRefs(git_repository* repo) {
    git_refdb* raw_refdb = nullptr;
    int rc = git_refdb_new(&raw_refdb, repo);
    if (rc != 0) return GitError(rc, "cannot make a ref database in memory");
    GitPtr<git_refdb, git_refdb_free> refdb(raw_refdb);
    auto* backend = new RefBackend{};
    git_refdb_init_backend(&backend->parent, GIT_REFDB_BACKEND_VERSION);
    backend->map = &refs_;
    backend->parent.exists = RefExists;
    backend->parent.lookup = LookupRef;
    backend->parent.iterator = IterateRefs;
    RefuseRefWritesAndReflogs(backend->parent);
    backend->parent.free = FreeRefBackend;
    rc = git_refdb_set_backend(raw_refdb, &backend->parent);
    if (rc != 0) {
      FreeRefBackend(&backend->parent);
      return GitError(rc, "cannot add the memory ref backend");
    }
    rc = git_repository_set_refdb(repo, raw_refdb);
    if (rc != 0) return GitError(rc, "cannot attach the memory ref database");
    return Status::Ok();
  }

  const std::string no_directory_;
  ObjectMap objects_;
  RefMap refs_;
};

}  // namespace

std::unique_ptr<StoreBackend> NewMemoryBackend() { return std::make_unique<MemoryBackend>(); }

}  // namespace spoke
