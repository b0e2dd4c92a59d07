// A user's git work tree as the source of a module version, for `spoke push` and `spoke batch-push`
// run without a version: the version is derived from git the way Go derives module versions.
//
// Tags that count for a module: "<module>/vX.Y.Z[-pre]" (as Go tags a module in a subdirectory)
// when the repository has any tag of that form for it; otherwise the repository's plain
// "vX.Y.Z[-pre]" tags. Tags with build metadata ("v1.0.0+x"), or naming no commit, are ignored,
// as Go ignores them.
//   - HEAD's commit carries such a tag: that version (the highest, when it carries several).
//   - Otherwise a Go pseudo-version naming HEAD's commit, from the highest such tag on one of its
//     ancestors (the base):
//       no base             v0.0.0-20261204183000-abcdef123456
//       base v1.2.3         v1.2.4-0.20261204183000-abcdef123456
//       base v1.2.3-rc.1    v1.2.3-rc.1.0.20261204183000-abcdef123456
//     The time is HEAD's committer time in UTC, the hex the first 12 digits of its id. Every
//     pseudo-version is a pre-release that sorts above its base and below the next release, and
//     pseudo-versions of one base sort by commit time.
//
// A derived version names a commit, so it identifies the pushed content only when the files
// pushed are as committed: UncommittedFiles lists those that are not.
//
// Not thread-safe: one GitWorkTree per thread.
#ifndef SPOKE_GIT_WORK_TREE_H_
#define SPOKE_GIT_WORK_TREE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spoke/semver.h"
#include "spoke/status.h"

namespace spoke {

struct GitVersion {
  std::string version;  // "v1.2.3", or a pseudo-version
  std::string commit;   // HEAD's commit, 40 hex digits
  std::string tag;   // the tag naming HEAD ("v1.2.3", "common/v1.2.3"); empty for a pseudo-version
  std::string base;  // a pseudo-version's base tag; empty when none is reachable or HEAD is tagged

  // Where the version comes from, for messages: "git tag v1.2.3 (commit abcdef1)", "git commit
  // abcdef1 (untagged)", "git commit abcdef1 (untagged, after v1.2.3)".
  std::string Origin() const;
};

// A file whose working copy differs from HEAD's commit.
struct UncommittedFile {
  std::string path;   // '/'-separated, relative to the directory asked about
  std::string state;  // "modified", "deleted", "untracked", "ignored", or "staged, not committed"
};

// Go's pseudo-version for a commit made at `commit_time` (seconds since the epoch) with the id
// `commit_hex` (at least 12 hex digits), after `base` (nullopt: no earlier version). REQUIRES:
// base, when given, has no build metadata.
std::string PseudoVersion(const std::optional<SemVer>& base, int64_t commit_time,
                          const std::string& commit_hex);

class GitWorkTree {
 public:
  // The work tree holding `dir`, found by looking in `dir` and then its parents, as git does.
  // NotFound when there is none (a bare repository has none); FailedPrecondition when HEAD has no
  // commit yet; IOError when git cannot read the repository (a message from libgit2).
  static Result<std::unique_ptr<GitWorkTree>> Open(const std::string& dir);
  ~GitWorkTree();
  GitWorkTree(const GitWorkTree&) = delete;
  GitWorkTree& operator=(const GitWorkTree&) = delete;

  // The work tree's root directory, with a trailing '/'.
  std::string root() const;

  // The version HEAD stands for, for `module` (see the top of this file).
  Result<GitVersion> VersionFor(const std::string& module) const;

  // Every file below `dir` (a directory inside the work tree) whose content is not HEAD's:
  // modified, deleted, untracked, ignored by .gitignore, or staged but not committed; sorted by
  // path. The repository is only read (its index is not refreshed on disk).
  Result<std::vector<UncommittedFile>> UncommittedFiles(const std::string& dir) const;

 private:
  struct Handles;
  explicit GitWorkTree(std::unique_ptr<Handles> handles);
  std::unique_ptr<Handles> handles_;
};

}  // namespace spoke

#endif  // SPOKE_GIT_WORK_TREE_H_
