// A server's local cache of the packs stored in PostgreSQL (docs/storage.md, "PostgreSQL
// backend"): `<cache_dir>/objects/pack/pack-<name>.pack` and `.idx`, the layout libgit2's pack
// backend reads, so a repository handle reads cached packs as it reads a bare repository's. The
// database is the truth; the cache only ever holds whole copies of its packs and may be deleted
// while no process uses it. Each file is written under a temporary name, synced and renamed, the
// index last: libgit2 sees a pack by its index, so it never sees one half written.
#ifndef SPOKE_STORE_POSTGRES_PACK_CACHE_H_
#define SPOKE_STORE_POSTGRES_PACK_CACHE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "postgres/connection_pool.h"
#include "spoke/status.h"

namespace spoke {

class PostgresPackCache {
 public:
  // Opens the cache in `cache_dir`, creating it when absent, and removes the temporary files a
  // process killed while filling it left. Fetches nothing yet (Fill does). `pool` must outlive it.
  static Result<std::unique_ptr<PostgresPackCache>> Open(const std::string& cache_dir,
                                                         postgres::ConnectionPool* pool);

  // The directory a libgit2 pack backend reads (git_odb_backend_pack): `<cache_dir>/objects`.
  const std::string& objects_dir() const { return objects_dir_; }
  // A directory for the files of packs being built, on the cache's file system, so moving one in
  // is a rename.
  const std::string& incoming_dir() const { return incoming_dir_; }

  // Fetches every pack the database lists and the cache lacks. The first call (Open's caller makes
  // it before any handle reads the cache) also removes the cached packs the database does not list:
  // packs are never removed from the database yet, so such a pack is another database's (a cache
  // directory reused), and its objects must not pass for stored ones. A miss costs one count of the
  // packs when nothing is new (packs are never removed yet, so the count tells), a listing and the
  // missing packs' chunks when something is. One filler at a time; thread-safe. IOError when a file
  // cannot be written, Corruption when a stored pack's bytes do not hash to its name (or its
  // index's to its trailer), the database's error when it cannot be read. A pack that cannot be
  // cached does not stop the others: the first such failure is answered once the rest are fetched.
  Status Fill();

  // Moves the pack files at `pack_path` and `index_path`, which this process built and stored as
  // the database's pack `name`, into the cache (synced first). Thread-safe.
  Status Adopt(const std::string& name, const std::string& pack_path,
               const std::string& index_path);

 private:
  PostgresPackCache(std::string objects_dir, std::string incoming_dir,
                    postgres::ConnectionPool* pool);
  std::string PackPath(const std::string& name, const char* extension) const;
  // Removes the cached packs `listed` (the packs rows, name second) lacks. REQUIRES: mutex_ held.
  Status RemoveUnlisted(const postgres::Rows& listed);
  // Moves both files into place, the index last, and syncs the directory. REQUIRES: mutex_ held.
  Status Install(const std::string& name, const std::string& pack_path,
                 const std::string& index_path);

  const std::string objects_dir_;
  const std::string pack_dir_;
  const std::string incoming_dir_;
  postgres::ConnectionPool* pool_;
  std::mutex mutex_;
  std::set<std::string> cached_;  // pack names with both files in pack_dir_
  int64_t listed_ = -1;           // how many packs the database had when last listed and fetched
};

}  // namespace spoke

#endif  // SPOKE_STORE_POSTGRES_PACK_CACHE_H_
