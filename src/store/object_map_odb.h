// Objects kept in memory by id behind a git_odb_backend: the memory backend's whole object
// database, and the PostgreSQL backend's objects written but not stored in the database yet. One
// ObjectMap is shared by the object databases of every handle of a store, so an object written
// through one handle is read through every other at once (StoreBackend's contract).
#ifndef SPOKE_STORE_OBJECT_MAP_ODB_H_
#define SPOKE_STORE_OBJECT_MAP_ODB_H_

#include <git2.h>

#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

namespace spoke {

// An object id's 20 raw bytes, the map's key.
std::string RawOidOf(const git_oid& id);

// Thread-safe.
class ObjectMap {
 public:
  bool Has(const git_oid& id) const;
  // Drops the objects of `ids` that are here (the PostgreSQL backend, once they are stored).
  void Forget(const std::vector<git_oid>& ids);

 private:
  friend struct ObjectMapAccess;
  struct Object {
    git_object_t type = GIT_OBJECT_INVALID;
    std::string content;
  };
  mutable std::shared_mutex mutex_;
  std::map<std::string, Object> objects_;  // by RawOidOf
};

// A new git_odb_backend that reads and writes `objects` (read, read_header, write, exists,
// foreach); libgit2 frees it with its object database. `refresh`, when given, is called on the
// backend's refresh (libgit2 refreshes its backends before it reports an object missing).
// REQUIRES: `objects` outlives the backend.
git_odb_backend* NewObjectMapBackend(ObjectMap& objects, std::function<void()> refresh = nullptr);

}  // namespace spoke

#endif  // SPOKE_STORE_OBJECT_MAP_ODB_H_
