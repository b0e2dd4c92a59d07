// Store::DiffVersions: libgit2's tree-to-tree diff of two version commits, as a file list with
// unified patches, for the registry's diff route.
#include <git2.h>

#include "spoke/store.h"
#include "store/store_impl.h"

namespace spoke {
namespace {

using DiffPtr = GitPtr<git_diff, git_diff_free>;
using PatchPtr = GitPtr<git_patch, git_patch_free>;

}  // namespace

Result<std::vector<FileChange>> Store::DiffVersions(const VersionInfo& from, const VersionInfo& to,
                                                    bool with_patch) const {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  git_repository* repo = lease.get();
  SPOKE_ASSIGN_OR_RETURN(TreePtr old_tree, CommitTree(repo, from.commit_id));
  SPOKE_ASSIGN_OR_RETURN(TreePtr new_tree, CommitTree(repo, to.commit_id));
  git_diff_options options = GIT_DIFF_OPTIONS_INIT;
  options.context_lines = 3;
  git_diff* diff_raw = nullptr;
  int rc = git_diff_tree_to_tree(&diff_raw, repo, old_tree.get(), new_tree.get(), &options);
  if (rc != 0) return GitError(rc, "cannot diff " + from.version + " and " + to.version);
  DiffPtr diff(diff_raw);
  std::vector<FileChange> changes;
  size_t count = git_diff_num_deltas(diff_raw);
  for (size_t i = 0; i < count; ++i) {
    const git_diff_delta* delta = git_diff_get_delta(diff_raw, i);
    FileChange change;
    switch (delta->status) {
      case GIT_DELTA_ADDED:
        change.status = "added";
        break;
      case GIT_DELTA_DELETED:
        change.status = "removed";
        break;
      default:
        change.status = "modified";
        break;
    }
    change.path = delta->status == GIT_DELTA_DELETED ? delta->old_file.path : delta->new_file.path;
    if (change.path == kManifestPath) continue;
    if (with_patch) {
      git_patch* patch_raw = nullptr;
      rc = git_patch_from_diff(&patch_raw, diff_raw, i);
      if (rc != 0) return GitError(rc, "cannot make the patch of " + change.path);
      PatchPtr patch(patch_raw);
      git_buf buf = GIT_BUF_INIT;
      rc = git_patch_to_buf(&buf, patch_raw);
      if (rc != 0) return GitError(rc, "cannot print the patch of " + change.path);
      change.patch.assign(buf.ptr, buf.size);
      git_buf_dispose(&buf);
    }
    changes.push_back(std::move(change));
  }
  return changes;
}

}  // namespace spoke
