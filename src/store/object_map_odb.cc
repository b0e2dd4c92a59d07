// Objects in memory behind a git_odb_backend (object_map_odb.h).
#include "store/object_map_odb.h"

#include <git2/sys/odb_backend.h>

#include <cstring>
#include <mutex>
#include <utility>

namespace spoke {

std::string RawOidOf(const git_oid& id) {
  return std::string(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ);
}

bool ObjectMap::Has(const git_oid& id) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return objects_.count(RawOidOf(id)) != 0;
}

void ObjectMap::Forget(const std::vector<git_oid>& ids) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  for (const git_oid& id : ids) objects_.erase(RawOidOf(id));
}

// The callbacks' way into ObjectMap's private state.
struct ObjectMapAccess {
  // libgit2 hands a callback the git_odb_backend it registered; the struct it is the first member
  // of (standard layout, so they share an address) leads to the map.
  struct Backend {
    git_odb_backend parent;
    ObjectMap* map;
    std::function<void()>* refresh;  // null without one; a pointer keeps the layout standard
  };

  static ObjectMap& MapOf(git_odb_backend* backend) {
    return *reinterpret_cast<Backend*>(backend)->map;
  }

  static int Missing(const git_oid& id) {
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), &id);
    git_error_set_str(GIT_ERROR_ODB, (std::string("no object ") + hex).c_str());
    return GIT_ENOTFOUND;
  }

  static int Read(void** data, size_t* size, git_object_t* type, git_odb_backend* backend,
                  const git_oid* id) {
    ObjectMap& map = MapOf(backend);
    std::shared_lock<std::shared_mutex> lock(map.mutex_);
    auto it = map.objects_.find(RawOidOf(*id));
    if (it == map.objects_.end()) return Missing(*id);
    void* copy = git_odb_backend_data_alloc(backend, it->second.content.size());
    if (copy == nullptr) return -1;
    std::memcpy(copy, it->second.content.data(), it->second.content.size());
    *data = copy;
    *size = it->second.content.size();
    *type = it->second.type;
    return 0;
  }

  static int ReadHeader(size_t* size, git_object_t* type, git_odb_backend* backend,
                        const git_oid* id) {
    ObjectMap& map = MapOf(backend);
    std::shared_lock<std::shared_mutex> lock(map.mutex_);
    auto it = map.objects_.find(RawOidOf(*id));
    if (it == map.objects_.end()) return Missing(*id);
    *size = it->second.content.size();
    *type = it->second.type;
    return 0;
  }

  // libgit2 hashed `data` into `id` before calling; an object is written once.
  static int Write(git_odb_backend* backend, const git_oid* id, const void* data, size_t size,
                   git_object_t type) {
    ObjectMap& map = MapOf(backend);
    std::unique_lock<std::shared_mutex> lock(map.mutex_);
    map.objects_.try_emplace(
        RawOidOf(*id), ObjectMap::Object{type, std::string(static_cast<const char*>(data), size)});
    return 0;
  }

  static int Exists(git_odb_backend* backend, const git_oid* id) {
    return MapOf(backend).Has(*id) ? 1 : 0;
  }

  // The callback runs without the lock held: it may read objects.
  static int ForEach(git_odb_backend* backend, git_odb_foreach_cb callback, void* payload) {
    std::vector<git_oid> ids;
    {
      ObjectMap& map = MapOf(backend);
      std::shared_lock<std::shared_mutex> lock(map.mutex_);
      ids.reserve(map.objects_.size());
      for (const auto& entry : map.objects_) {
        git_oid id;
        git_oid_fromraw(&id, reinterpret_cast<const unsigned char*>(entry.first.data()));
        ids.push_back(id);
      }
    }
    for (const auto& id : ids) {
      int rc = callback(&id, payload);
      if (rc != 0) return rc;
    }
    return 0;
  }

  static int Refresh(git_odb_backend* backend) {
    (*reinterpret_cast<Backend*>(backend)->refresh)();
    return 0;
  }

  static void Free(git_odb_backend* backend) {
    auto* owned = reinterpret_cast<Backend*>(backend);
    delete owned->refresh;
    delete owned;
  }
};

git_odb_backend* NewObjectMapBackend(ObjectMap& objects, std::function<void()> refresh) {
  auto* backend = new ObjectMapAccess::Backend{};
  git_odb_init_backend(&backend->parent, GIT_ODB_BACKEND_VERSION);
  backend->map = &objects;
  backend->parent.read = ObjectMapAccess::Read;
  backend->parent.read_header = ObjectMapAccess::ReadHeader;
  backend->parent.write = ObjectMapAccess::Write;
  backend->parent.exists = ObjectMapAccess::Exists;
  backend->parent.foreach = ObjectMapAccess::ForEach;
  backend->parent.free = ObjectMapAccess::Free;
  if (refresh) {
    backend->refresh = new std::function<void()>(std::move(refresh));
    backend->parent.refresh = ObjectMapAccess::Refresh;
  }
  return &backend->parent;
}

}  // namespace spoke
