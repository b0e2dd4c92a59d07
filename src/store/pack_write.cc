// WritePackOf: libgit2's packbuilder, one object at a time, then written into a directory.
#include "store/pack_write.h"

#include "store/git_handles.h"

namespace spoke {

Result<WrittenPack> WritePackOf(git_repository* repo, const git_oid* ids, size_t count,
                                const std::string& dir) {
  git_packbuilder* raw = nullptr;
  int rc = git_packbuilder_new(&raw, repo);
  if (rc != 0) return GitError(rc, "cannot start a pack");
  PackbuilderPtr builder(raw);
  for (size_t i = 0; i < count; ++i) {
    rc = git_packbuilder_insert(raw, &ids[i], nullptr);
    if (rc != 0) return GitError(rc, "cannot pack object " + OidHex(ids[i]));
  }
  rc = git_packbuilder_write(raw, dir.c_str(), 0, nullptr, nullptr);
  if (rc != 0) return GitError(rc, "cannot write a pack in " + dir);
  WrittenPack pack;
  pack.name = git_packbuilder_name(raw);
  pack.pack_path = dir + "/pack-" + pack.name + ".pack";
  pack.index_path = dir + "/pack-" + pack.name + ".idx";
  pack.object_count = static_cast<int64_t>(git_packbuilder_object_count(raw));
  return pack;
}

}  // namespace spoke
