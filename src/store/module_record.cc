// Reading a module: its branch, its root commit, and its record (spoke.module.json) as the root
// commit holds it or as a later revision on refs/meta/<module>/_record has it (docs/storage.md).
#include "spoke/json.h"
#include "spoke/names.h"
#include "spoke/refs.h"
#include "spoke/store.h"
#include "store/store_impl.h"

namespace spoke {

Result<git_oid> FindModuleRoot(git_repository* repo, const git_oid& tip) {
  git_oid current = tip;
  while (true) {
    git_commit* raw = nullptr;
    int rc = git_commit_lookup(&raw, repo, &current);
    if (rc != 0) return GitError(rc, "cannot read module history at " + OidHex(current));
    CommitPtr commit(raw);
    if (git_commit_parentcount(raw) == 0) return current;
    current = *git_commit_parent_id(raw, 0);
  }
}

namespace {

// The module record (spoke.module.json) at the root of `commit`'s tree, read into `info`.
Status ReadModuleRecord(git_repository* repo, const git_oid& commit_id, ModuleInfo* info) {
  git_commit* raw = nullptr;
  int rc = git_commit_lookup(&raw, repo, &commit_id);
  if (rc != 0) return GitError(rc, "cannot read the record of module " + info->name);
  CommitPtr commit(raw);
  git_tree* tree_raw = nullptr;
  rc = git_commit_tree(&tree_raw, raw);
  if (rc != 0) return GitError(rc, "cannot read the record of module " + info->name);
  TreePtr tree(tree_raw);
  auto record = ReadBlobAtPath(repo, tree_raw, kModuleRecordPath, nullptr);
  if (!record.ok()) return Status::Ok();
  auto json = Json::Parse(*record);
  if (json.ok()) {
    info->description = json->GetString("description");
    info->compatibility = json->GetString("compatibility");
  }
  return Status::Ok();
}

}  // namespace

Result<ModuleInfo> Store::GetModule(const std::string& module) const {
  SPOKE_RETURN_IF_ERROR(ValidateModuleName(module));
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  git_oid tip;
  int rc = git_reference_name_to_id(&tip, lease.get(), ModuleBranchRef(module).c_str());
  if (rc == GIT_ENOTFOUND) return Status::NotFound("module " + module + " does not exist");
  if (rc != 0) return GitError(rc, "cannot read module " + module);
  ModuleInfo info;
  info.name = module;
  info.branch_tip = OidHex(tip);
  // The root commit carries the first record and the creation time; a later revision, if any, is
  // on the record ref.
  SPOKE_ASSIGN_OR_RETURN(git_oid root, FindModuleRoot(lease.get(), tip));
  git_commit* raw = nullptr;
  rc = git_commit_lookup(&raw, lease.get(), &root);
  if (rc != 0) return GitError(rc, "cannot read the root commit of module " + module);
  info.created = git_commit_time(raw);
  git_commit_free(raw);
  git_oid revision;
  rc = git_reference_name_to_id(&revision, lease.get(), ModuleRecordRef(module).c_str());
  if (rc != 0 && rc != GIT_ENOTFOUND)
    return GitError(rc, "cannot read the record ref of module " + module);
  SPOKE_RETURN_IF_ERROR(ReadModuleRecord(lease.get(), rc == 0 ? revision : root, &info));
  return info;
}

}  // namespace spoke
