// The PostgreSQL store backend (docs/storage.md, "PostgreSQL backend"): a store shared by several
// servers through one database, which holds its packs and refs; each server keeps only a
// disposable local cache of the packs. Built into the spoke_postgres library, so only programs
// that use it link libpq.
#ifndef SPOKE_SYS_POSTGRES_BACKEND_H_
#define SPOKE_SYS_POSTGRES_BACKEND_H_

#include <memory>
#include <string>

#include "spoke/status.h"
#include "spoke/sys/store_backend.h"

namespace spoke {

// Opens the store in the PostgreSQL database at `url` (libpq's URL or key=value string), creating
// or upgrading its tables first (a no-op when they are current), with the local pack cache in
// `cache_dir` (created when absent; filled with the packs it lacks before this returns).
//
// - Objects: the stored packs, read from the cache; a missing object fetches the packs the cache
//   lacks, then is looked up again. Objects written through a handle are kept in memory, readable
//   through every handle of this backend, until an UpdateRefs that needs them stores them as a
//   pack; those no update ever needed are lost with the process, as loose objects no ref reaches
//   would be collected on disk. A received pack (TakeCheckedPack) is kept as it is, read through
//   every handle, and stored whole by the next UpdateRefs, whichever refs it sets.
// - Refs: read from the database on every lookup, so a ref another server changed is seen at
//   once. libgit2's own ref writes are refused.
// - UpdateRefs: one transaction stores the pack of the new targets' unstored objects and
//   compares and swaps the refs (Conflict, "ref R is at X, expected Y", when one moved), so no
//   server sees the refs without their objects. Other processes and servers are excluded by the
//   database's locks.
// - No directory(): a Store over it receives packs only once given a local directory for their
//   quarantines (Store::SetIncomingDirectory; spoke-server --postgres gives its -storage-dir), and
//   answers FailedPrecondition for what else needs files, as over the memory backend.
//
// - Connections: at most `max_connections` open at once (0: no cap), shared by every handle and
//   thread; a thread at the cap waits up to 30 s for one to be given back, then fails with
//   Unavailable. A thread already holding one (a read inside a transaction) may nest past the cap.
//
// Unavailable when the database cannot be reached; FailedPrecondition when its tables are newer
// than this program; IOError when the cache cannot be written. REQUIRES: no other backend uses
// `cache_dir` at the same time. Thread-safe, as StoreBackend requires.
inline constexpr int kDefaultPostgresConnections = 8;
Result<std::unique_ptr<StoreBackend>> OpenPostgresBackend(
    const std::string& url, const std::string& cache_dir,
    int max_connections = kDefaultPostgresConnections);

}  // namespace spoke

#endif  // SPOKE_SYS_POSTGRES_BACKEND_H_
