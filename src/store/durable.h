// Making what a store writes survive a power loss: fsync of files and of the directories whose
// entries changed, before anything that depends on them (a ref, an answer) is written.
//
// The order Spoke keeps (docs/storage.md, "Durability"): a new pack's .pack and .idx are synced
// in the quarantine, renamed into objects/pack/, and that directory is synced; only then are refs
// written, each synced by libgit2 (GIT_OPT_ENABLE_FSYNC_GITDIR) before its rename, and then every
// directory the transaction touched is synced. A push is answered after all of it.
#ifndef SPOKE_STORE_DURABLE_H_
#define SPOKE_STORE_DURABLE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "spoke/status.h"

namespace spoke {

// Whether syncs are done at all (SetSyncWrites in spoke/store.h; on unless turned off).
bool SyncWritesEnabled();

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); `what` names it in the error.
Status WriteAll(int fd, std::string_view bytes, const std::string& what);

// fsync of an open file; `what` names it in the error. Ok without a call when syncs are off.
Status SyncFd(int fd, const std::string& what);
// fsync of the file or directory at `path` (opened read-only for it).
Status SyncPath(const std::string& path);

// Copies `length` bytes of `in` from `offset` into a new file `to` (which must not exist), in the
// kernel (copy_file_range) where it can; only where it cannot, through a buffer of 1 MiB. Not
// synced: whoever moves `to` into the store does that.
Status CopyFileRange(int in, uint64_t offset, uint64_t length, const std::string& to);

}  // namespace spoke

#endif  // SPOKE_STORE_DURABLE_H_
