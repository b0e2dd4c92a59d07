// What the ref databases Spoke writes itself (memory_backend.cc, postgres_backend.cc) share. Their
// refs change only through StoreBackend::UpdateRefs, which compares every ref of an update before
// writing any; libgit2's own ref writes, one ref at a time, are refused, and there are no reflogs.
// Listing is a snapshot: an iterator walks the refs that matched when it was made, as libgit2's
// filesystem ref database does.
#ifndef SPOKE_STORE_UPDATE_ONLY_REFDB_H_
#define SPOKE_STORE_UPDATE_ONLY_REFDB_H_

#include <git2.h>
#include <git2/sys/refdb_backend.h>

#include <string>
#include <utility>
#include <vector>

namespace spoke {

// Refs by name with their targets, in the order an iterator gives them.
using RefList = std::vector<std::pair<std::string, git_oid>>;

// An iterator over `refs` for a git_refdb_backend's `iterator` callback; libgit2 frees it.
git_reference_iterator* NewRefListIterator(RefList refs);

// Sets `backend`'s callbacks for ref writes, renames, deletes and locks to ones that fail (the
// message names Store::UpdateRefs), and its reflog callbacks to "there is none". The caller sets
// exists, lookup, iterator and free. REQUIRES: git_refdb_init_backend was called on `backend`.
void RefuseRefWritesAndReflogs(git_refdb_backend& backend);

}  // namespace spoke

#endif  // SPOKE_STORE_UPDATE_ONLY_REFDB_H_
