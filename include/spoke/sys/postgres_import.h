// Importing a store on files into the PostgreSQL store (docs/storage.md, "Migrating a store"):
// what `spoke-server migrate` runs. Built into the spoke_postgres library.
#ifndef SPOKE_SYS_POSTGRES_IMPORT_H_
#define SPOKE_SYS_POSTGRES_IMPORT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "spoke/status.h"

namespace spoke {

// What an import did.
struct PostgresImport {
  int64_t refs = 0;             // the source store's refs
  int64_t refs_added = 0;       // inserted into the database
  int64_t refs_moved = 0;       // branches the store moved on since an earlier import, moved along
  int64_t refs_present = 0;     // already in the database with the same target
  int64_t other_refs = 0;       // in the database and not in the source: left as they are
  int64_t objects_checked = 0;  // every object the source's refs reach
  int64_t objects_added = 0;    // those the added refs need and the present ones do not reach
  int64_t packs_added = 0;
  int64_t pack_bytes = 0;  // of the added packs, their indexes included
};

// Imports the store on files at `store_dir` (a registry's -storage-dir) into the database at `url`,
// creating or upgrading its tables first:
// 1. Checks the source: every object its refs reach must be there, hash to its name and pass the
//    rules every received object passes (git fsck --strict's and Spoke's, object_checks.h).
//    Corruption naming the object and the ref that reaches it otherwise; nothing is written.
// 2. Compares its refs with the database's: a ref the database holds with another target is a
//    conflict, and then nothing is written (Conflict listing them, with both targets), unless it
//    is a branch the store moved on since (the database's target is an ancestor of the store's
//    commit): that one is moved, compared and swapped like a push's. A ref with
//    the same target is present: not written again.
// 3. Packs the objects the missing refs reach and the present ones do not (libgit2's packbuilder,
//    at most kImportPackObjects objects a pack, built in a temporary directory under $TMPDIR) and,
//    in one transaction, stores the packs (chunked as the backend stores packs; a pack already
//    stored under its name is used as it is) and inserts the refs, logged in ref_changes with the
//    first pack's id. A concurrent writer of one of the refs makes the transaction fail with
//    Conflict, having written nothing.
// Only refs and the objects they reach move: the config file (settings), spoke-tokens.json,
// Sprocket's queue, states and failure log, artifact-use/ and objects no ref reaches stay behind
// (docs/storage.md says why). The source is only read. Running it again adds nothing unless the
// source gained refs. `progress`, when set, is called with a line for each step.
inline constexpr int64_t kImportPackObjects = 100000;
Result<PostgresImport> ImportStoreToPostgres(
    const std::string& store_dir, const std::string& url,
    const std::function<void(const std::string&)>& progress);

}  // namespace spoke

#endif  // SPOKE_SYS_POSTGRES_IMPORT_H_
