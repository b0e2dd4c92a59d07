// The rules `git fsck --strict` applies to trees, commits and tags, plus Spoke's own rule for
// trees, checked on every such object a store receives before any of it is moved in.
//
// A store must stay clean for stock git (`git fsck --strict`, and `git clone --mirror` with
// transfer.fsckObjects) forever: one bad object in a pack moved into objects/ poisons it for
// good, referenced or not, since fsck checks every object. So each tree, commit and tag of a
// received pack is parsed here, with git's rules as its fsck.c applies them at error level under
// --strict, and refused with git's message id (hasDotgit, zeroPaddedFilemode, ...) in the error.
//
// Spoke's own rule: no tree entry may be a symbolic link (120000) or a submodule link (160000),
// since versions, module records and artifacts only ever hold regular files and directories; nor
// may an entry be named, in git's HFS+ and NTFS senses, .gitmodules or .gitattributes, whose
// contents stock git would go on to check as configuration (no Spoke path starts with a dot).
#ifndef SPOKE_STORE_OBJECT_CHECKS_H_
#define SPOKE_STORE_OBJECT_CHECKS_H_

#include <git2.h>

#include <string>
#include <string_view>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// An object an object names: a tree's entries, a commit's tree and parents, a tag's target, and
// the type the naming object says it has.
struct ObjectLink {
  git_oid from;
  git_oid to;
  git_object_t type;
};

// Checks the object `id` of git type `type` (GIT_OBJECT_COMMIT, _TREE, _BLOB or _TAG) with
// content `content`, and appends its links to `links` (may be null). Blobs always pass.
// Corruption "<type> <id>: <git fsck message id>: <what>" for the first rule it breaks.
Status CheckObject(git_object_t type, const git_oid& id, std::string_view content,
                   std::vector<ObjectLink>* links);

// Whether a tree entry named `name` is .git to git on some file system (case, HFS+ ignorable
// code points, NTFS trailing dots and spaces, the 8.3 name GIT~1, backslash-separated segments).
bool IsDotGitName(std::string_view name);

}  // namespace spoke

#endif  // SPOKE_STORE_OBJECT_CHECKS_H_
