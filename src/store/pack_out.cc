// Building the packs the sync protocol sends: everything reachable from the wants that is not
// reachable from the haves, so a fetch moves only what the other side lacks.
#include "store/store_impl.h"

namespace spoke {

Result<std::string> Store::BuildPack(const std::vector<std::string>& wants,
                                     const std::vector<std::string>& haves, PackStats* stats) const {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  git_repository* repo = lease.get();
  git_packbuilder* pb_raw = nullptr;
  int rc = git_packbuilder_new(&pb_raw, repo);
  if (rc != 0) return GitError(rc, "cannot start a pack");
  PackbuilderPtr pb(pb_raw);
  git_packbuilder_set_threads(pb_raw, 0);  // 0: one delta thread per core
  git_revwalk* walk_raw = nullptr;
  rc = git_revwalk_new(&walk_raw, repo);
  if (rc != 0) return GitError(rc, "cannot start a walk");
  RevwalkPtr walk(walk_raw);

  bool any_commit = false;
  for (const auto& want : wants) {
    SPOKE_ASSIGN_OR_RETURN(git_oid id, ParseOid(want));
    git_object* obj_raw = nullptr;
    rc = git_object_lookup(&obj_raw, repo, &id, GIT_OBJECT_ANY);
    if (rc == GIT_ENOTFOUND) return Status::NotFound("object " + want + " is not in this store");
    if (rc != 0) return GitError(rc, "cannot read " + want);
    ObjectPtr obj(obj_raw);
    // Annotated tags go in themselves; what they point at is walked like any other want.
    while (git_object_type(obj.get()) == GIT_OBJECT_TAG) {
      rc = git_packbuilder_insert(pb_raw, git_object_id(obj.get()), nullptr);
      if (rc != 0) return GitError(rc, "cannot add tag " + want);
      git_object* target = nullptr;
      rc = git_tag_target(&target, reinterpret_cast<git_tag*>(obj.get()));
      if (rc != 0) return GitError(rc, "cannot peel tag " + want);
      obj.reset(target);
    }
    if (git_object_type(obj.get()) == GIT_OBJECT_COMMIT) {
      rc = git_revwalk_push(walk_raw, git_object_id(obj.get()));
      if (rc != 0) return GitError(rc, "cannot walk from " + want);
      any_commit = true;
    } else {
      rc = git_packbuilder_insert_recur(pb_raw, git_object_id(obj.get()), nullptr);
      if (rc != 0) return GitError(rc, "cannot add " + want);
    }
  }
  if (any_commit) {
    for (const auto& have : haves) {
      auto id = ParseOid(have);
      if (!id.ok()) return id.status();
      git_object* obj_raw = nullptr;
      // The other side may have things this store never saw; those simply do not help.
      if (git_object_lookup(&obj_raw, repo, &*id, GIT_OBJECT_ANY) != 0) continue;
      ObjectPtr obj(obj_raw);
      git_object* peeled = nullptr;
      if (git_object_peel(&peeled, obj_raw, GIT_OBJECT_COMMIT) != 0) continue;
      ObjectPtr peeled_owned(peeled);
      git_revwalk_hide(walk_raw, git_object_id(peeled));
    }
    rc = git_packbuilder_insert_walk(pb_raw, walk_raw);
    if (rc != 0) return GitError(rc, "cannot collect objects for the pack");
  }
  git_buf buf = GIT_BUF_INIT;
  rc = git_packbuilder_write_buf(&buf, pb_raw);
  if (rc != 0) return GitError(rc, "cannot write the pack");
  std::string pack(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  if (stats) {
    stats->objects = git_packbuilder_object_count(pb_raw);
    stats->bytes = pack.size();
  }
  return pack;
}

}  // namespace spoke
