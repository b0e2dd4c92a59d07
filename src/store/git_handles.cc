// libgit2 process set-up and error translation.
#include "store/git_handles.h"

#include <libssh2.h>

#include <mutex>

#include "spoke/refs.h"
#include "store/durable.h"

namespace spoke {

void EnsureLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    // libgit2's start-up initialises libssh2 for its ssh:// transport, and libssh2 in turn all of
    // OpenSSL's algorithms: 3 MB and a millisecond in every process that opens a store. Spoke never
    // uses libgit2's transports (it moves packs over its own HTTP protocol), so libssh2 is
    // initialised here first without its crypto; libgit2's own call then finds it initialised.
    // libgit2's ssh:// transport would not work in this process afterwards; nothing uses it.
    libssh2_init(LIBSSH2_INIT_NO_CRYPTO);
    git_libgit2_init();
    // No SHA-1 re-check on every read: it costs a third of a pull. What enters a store is hashed
    // by the indexer as it arrives, and every module file read for a pull or a check is hashed
    // with SHA-256 against its manifest (ReadVerifiedFiles), so corruption is still caught.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
    // The store is ours alone; the user's ~/.gitconfig must not change how it behaves.
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, "");
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "");
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
    // Server processes serve many packs; keep enough of them mapped.
    git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, 128);
    // What libgit2 writes (loose objects, refs) reaches the disk before it is renamed into place,
    // unless a test or bench turned syncs off (SetSyncWrites).
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, SyncWritesEnabled() ? 1 : 0);
  });
}

Status GitError(int code, const std::string& what) {
  const git_error* err = git_error_last();
  std::string message = what;
  if (err && err->message) message += ": " + std::string(err->message);
  switch (code) {
    case GIT_ENOTFOUND:
      return Status::NotFound(message);
    case GIT_ELOCKED:
    case GIT_EMODIFIED:
    case GIT_EEXISTS:
      return Status::Conflict(message);
    case GIT_EINVALIDSPEC:
    case GIT_EINVALID:
      return Status::InvalidArgument(message);
    default:
      return Status::IOError(message);
  }
}

std::string OidHex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof(buf), &oid);
  return std::string(buf);
}

Result<git_oid> ParseOid(const std::string& hex) {
  SPOKE_RETURN_IF_ERROR(CheckObjectIdHex(hex));
  git_oid oid;
  if (git_oid_fromstrn(&oid, hex.data(), hex.size()) != 0) {
    return Status::InvalidArgument("not an object id: \"" + hex + "\"");
  }
  return oid;
}

}  // namespace spoke
