// A server's local cache of the packs stored in PostgreSQL (docs/storage.md, "PostgreSQL
// backend"): `<cache_dir>/objects/pack/pack-<name>.pack` and `.idx`, the layout libgit2's pack
// backend reads, so a repository handle reads cached packs as it reads a bare repository's. The
// database is the truth; the cache only ever holds whole copies of its packs and may be deleted
// while no process uses it. Each file is written under a temporary name, synced and renamed, the
// index last: libgit2 sees a pack by its index, so it never sees one half written.
#ifndef SPOKE_STORE_POSTGRES_PACK_CACHE_H_
#define SPOKE_STORE_POSTGRES_PACK_CACHE_H_

#include <atomic>
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

  // Fetches every pack the database lists and the cache lacks, then removes the cached packs it
  // no longer lists (compaction replaced them; on the first call also another database's packs,
  // from a cache directory reused, whose objects must not pass for stored ones). Removal comes
  // only once every listed pack is cached, so an object never goes missing: compaction lists its
  // new pack in the transaction that unlists the old ones. A miss costs one fingerprint of the
  // listed ids when nothing changed, a listing and the missing packs' chunks when something did;
  // a pack compacted away between the listing and its fetch makes the fill list again. One filler
  // at a time; thread-safe. IOError when a file cannot be written, Corruption when a stored pack's
  // bytes do not hash to its name (or its index's to its trailer), the database's error when it
  // cannot be read. A pack that cannot be cached does not stop the others: the first such failure
  // is answered once the rest are fetched, and nothing is removed then.
  Status Fill();

  // Moves the pack files at `pack_path` and `index_path`, which this process built and stored as
  // the database's pack `name`, into the cache (synced first). Thread-safe.
  Status Adopt(const std::string& name, const std::string& pack_path,
               const std::string& index_path);

  // How many times packs were removed from the cache: a repository handle opened before the last
  // removal may hold removed packs open, so the store frees it rather than pool it again.
  int64_t removed_generation() const { return removed_generation_.load(); }

 private:
  PostgresPackCache(std::string objects_dir, std::string incoming_dir,
                    postgres::ConnectionPool* pool);
  std::string PackPath(const std::string& name, const char* extension) const;
  // How many listings one Fill makes at most when packs vanish under it (compaction).
  static constexpr int kFillRounds = 4;
  // One listing and its fetches; `vanished` is set when a pack's row was gone by its fetch.
  // REQUIRES: mutex_ held.
  Status FillOnce(postgres::Connection& connection, bool* vanished);
  // Whether pack `id` is still listed (true when that cannot be told).
  static bool PackListed(postgres::Connection& connection, int64_t id);
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
  // The fingerprint of the listed ids when every listed pack was last cached; "" before.
  std::string listed_ids_;
  std::atomic<int64_t> removed_generation_{0};
};

}  // namespace spoke

#endif  // SPOKE_STORE_POSTGRES_PACK_CACHE_H_
