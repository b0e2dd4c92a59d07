// The memory store backend, the twin tests run Store against: objects and refs in maps, reached
// by libgit2 through an object database backend and a ref database backend of our own (the
// extension points of git2/sys/odb_backend.h and git2/sys/refdb_backend.h). git_mempack is not
// used because it takes no lock, and a Store reads on many threads while it writes.
#include <fnmatch.h>
#include <git2/sys/refdb_backend.h>
#include <git2/sys/refs.h>
#include <git2/sys/repository.h>

#include <cstring>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "spoke/sys/store_backend.h"
#include "store/git_handles.h"

namespace spoke {
namespace {

using RawId = std::string;  // an object id's 20 raw bytes

RawId RawOf(const git_oid& id) {
  return RawId(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ);
}

struct StoredObject {
  git_object_t type = GIT_OBJECT_INVALID;
  std::string content;
};

// Every object of the store; shared by the object database of every handle.
struct ObjectMap {
  std::shared_mutex mutex;
  std::map<RawId, StoredObject> objects;
};

// Every ref of the store (name -> target); shared by the ref database of every handle.
struct RefMap {
  std::mutex mutex;
  std::map<std::string, git_oid> refs;
};

// libgit2 hands a callback the git_odb_backend it registered; the struct it is the first member of
// (standard layout, so they share an address) leads to the shared map.
struct ObjectBackend {
  git_odb_backend parent;
  ObjectMap* map;
};

ObjectMap& MapOf(git_odb_backend* backend) {
  return *reinterpret_cast<ObjectBackend*>(backend)->map;
}

int NotFound(int klass, const std::string& what) {
  git_error_set_str(klass, what.c_str());
  return GIT_ENOTFOUND;
}

int ReadObject(void** data, size_t* size, git_object_t* type, git_odb_backend* backend,
               const git_oid* id) {
  ObjectMap& map = MapOf(backend);
  std::shared_lock<std::shared_mutex> lock(map.mutex);
  auto it = map.objects.find(RawOf(*id));
  if (it == map.objects.end()) return NotFound(GIT_ERROR_ODB, "no object " + OidHex(*id));
  void* copy = git_odb_backend_data_alloc(backend, it->second.content.size());
  if (copy == nullptr) return -1;
  std::memcpy(copy, it->second.content.data(), it->second.content.size());
  *data = copy;
  *size = it->second.content.size();
  *type = it->second.type;
  return 0;
}

int ReadObjectHeader(size_t* size, git_object_t* type, git_odb_backend* backend,
                     const git_oid* id) {
  ObjectMap& map = MapOf(backend);
  std::shared_lock<std::shared_mutex> lock(map.mutex);
  auto it = map.objects.find(RawOf(*id));
  if (it == map.objects.end()) return NotFound(GIT_ERROR_ODB, "no object " + OidHex(*id));
  *size = it->second.content.size();
  *type = it->second.type;
  return 0;
}

// libgit2 hashed `data` into `id` before calling; an object is written once.
int WriteObject(git_odb_backend* backend, const git_oid* id, const void* data, size_t size,
                git_object_t type) {
  ObjectMap& map = MapOf(backend);
  std::unique_lock<std::shared_mutex> lock(map.mutex);
  map.objects.try_emplace(RawOf(*id),
                          StoredObject{type, std::string(static_cast<const char*>(data), size)});
  return 0;
}

int ObjectExists(git_odb_backend* backend, const git_oid* id) {
  ObjectMap& map = MapOf(backend);
  std::shared_lock<std::shared_mutex> lock(map.mutex);
  return map.objects.count(RawOf(*id)) ? 1 : 0;
}

int ForEachObject(git_odb_backend* backend, git_odb_foreach_cb callback, void* payload) {
  std::vector<git_oid> ids;
  {
    ObjectMap& map = MapOf(backend);
    std::shared_lock<std::shared_mutex> lock(map.mutex);
    ids.reserve(map.objects.size());
    for (const auto& [raw, object] : map.objects) {
      git_oid id;
      git_oid_fromraw(&id, reinterpret_cast<const unsigned char*>(raw.data()));
      ids.push_back(id);
    }
  }
  for (const auto& id : ids) {
    int rc = callback(&id, payload);
    if (rc != 0) return rc;
  }
  return 0;
}

void FreeObjectBackend(git_odb_backend* backend) {
  delete reinterpret_cast<ObjectBackend*>(backend);
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

// The refs matching the glob when the iterator was made: what libgit2's filesystem refdb gives.
struct RefIterator {
  git_reference_iterator parent;
  std::vector<std::pair<std::string, git_oid>>* refs;
  size_t next;
};

int NextRef(git_reference** out, git_reference_iterator* iterator) {
  auto* it = reinterpret_cast<RefIterator*>(iterator);
  if (it->next == it->refs->size()) return GIT_ITEROVER;
  const auto& [name, target] = (*it->refs)[it->next++];
  *out = git_reference__alloc(name.c_str(), &target, nullptr);
  return *out ? 0 : -1;
}

int NextRefName(const char** out, git_reference_iterator* iterator) {
  auto* it = reinterpret_cast<RefIterator*>(iterator);
  if (it->next == it->refs->size()) return GIT_ITEROVER;
  *out = (*it->refs)[it->next++].first.c_str();
  return 0;
}

void FreeRefIterator(git_reference_iterator* iterator) {
  auto* it = reinterpret_cast<RefIterator*>(iterator);
  delete it->refs;
  delete it;
}

int IterateRefs(git_reference_iterator** out, git_refdb_backend* backend, const char* glob) {
  auto refs = std::make_unique<std::vector<std::pair<std::string, git_oid>>>();
  {
    RefMap& map = MapOf(backend);
    std::lock_guard<std::mutex> lock(map.mutex);
    for (const auto& [name, target] : map.refs) {
      // As libgit2's own refdb: '*' matches across '/' too.
      if (glob == nullptr || fnmatch(glob, name.c_str(), 0) == 0) refs->emplace_back(name, target);
    }
  }
  auto* it = new RefIterator{};
  it->parent.next = NextRef;
  it->parent.next_name = NextRefName;
  it->parent.free = FreeRefIterator;
  it->refs = refs.release();
  *out = &it->parent;
  return 0;
}

// Refs change only through StoreBackend::UpdateRefs, which compares them all before writing any;
// libgit2's ref writes (one ref at a time) are refused.
int RefuseRefWrite() {
  git_error_set_str(GIT_ERROR_REFERENCE,
                    "the refs of a store in memory change only through Store::UpdateRefs");
  return -1;
}
int WriteRef(git_refdb_backend*, const git_reference*, int, const git_signature*, const char*,
             const git_oid*, const char*) {
  return RefuseRefWrite();
}
int RenameRef(git_reference**, git_refdb_backend*, const char*, const char*, int,
              const git_signature*, const char*) {
  return RefuseRefWrite();
}
int DeleteRef(git_refdb_backend*, const char*, const git_oid*, const char*) {
  return RefuseRefWrite();
}
int LockRef(void**, git_refdb_backend*, const char*) { return RefuseRefWrite(); }
int UnlockRef(git_refdb_backend*, void*, int, int, const git_reference*, const git_signature*,
              const char*) {
  return RefuseRefWrite();
}

// No reflogs: a memory store keeps no history of its refs.
int HasNoLog(git_refdb_backend*, const char*) { return 0; }
int EnsureNoLog(git_refdb_backend*, const char*) { return 0; }
int ReadNoLog(git_reflog**, git_refdb_backend*, const char* name) {
  return NotFound(GIT_ERROR_REFERENCE, std::string("a store in memory keeps no reflog of ") + name);
}
int WriteNoLog(git_refdb_backend*, git_reflog*) { return 0; }
int RenameNoLog(git_refdb_backend*, const char*, const char*) { return 0; }
int DeleteNoLog(git_refdb_backend*, const char*) { return 0; }

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
    auto* backend = new ObjectBackend{};
    git_odb_init_backend(&backend->parent, GIT_ODB_BACKEND_VERSION);
    backend->map = &objects_;
    backend->parent.read = ReadObject;
    backend->parent.read_header = ReadObjectHeader;
    backend->parent.write = WriteObject;
    backend->parent.exists = ObjectExists;
    backend->parent.foreach = ForEachObject;
    backend->parent.free = FreeObjectBackend;
    rc = git_odb_add_backend(raw_odb, &backend->parent, 1);
    if (rc != 0) {
      FreeObjectBackend(&backend->parent);
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
    backend->parent.write = WriteRef;
    backend->parent.rename = RenameRef;
    backend->parent.del = DeleteRef;
    backend->parent.has_log = HasNoLog;
    backend->parent.ensure_log = EnsureNoLog;
    backend->parent.reflog_read = ReadNoLog;
    backend->parent.reflog_write = WriteNoLog;
    backend->parent.reflog_rename = RenameNoLog;
    backend->parent.reflog_delete = DeleteNoLog;
    backend->parent.lock = LockRef;
    backend->parent.unlock = UnlockRef;
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
