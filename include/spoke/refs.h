// Ref naming: every ref a Spoke store holds, built and parsed here and nowhere else (as LevelDB's
// filename.h names its files), so the layout of docs/storage.md has one spelling in the code:
//
//   refs/tags/<module>/<version>   annotated tag -> a version's commit             VersionTagRef
//   refs/heads/<module>/_history   the module's branch, its versions in push order  ModuleBranchRef
//   refs/meta/<module>/_record     later revisions of the module's record ModuleRecordRef
//   refs/artifacts/<xx>/<key>      a cached artifact's snapshot commit (xx: the
//                                  key's first two hex digits, so no directory
//                                  holds every artifact)                             ArtifactRef
//   refs/heads/_spoke              what HEAD names; never exists (git needs a HEAD)  kStoreHeadRef
//
// Module names may contain '/', so a tag's version is what follows its last '/' and a branch's
// module what lies between refs/heads/ and /_history: `a` and `a/b` never collide.
//
// Pure string functions: no store is opened, nothing here needs libgit2.
#ifndef SPOKE_REFS_H_
#define SPOKE_REFS_H_

#include <string>

#include "spoke/status.h"

namespace spoke {

// Prefixes for listing refs (Store::ListRefs, RemoteClient::ListRefs) and for fetch's prefixes.
inline constexpr char kAllRefsPrefix[] = "refs/";
inline constexpr char kTagRefsPrefix[] = "refs/tags/";      // git's tags; Spoke's versions
inline constexpr char kBranchRefsPrefix[] = "refs/heads/";  // git's branches; module branches
inline constexpr char kArtifactRefsPrefix[] = "refs/artifacts/";
inline constexpr char kRecordRefsPrefix[] = "refs/meta/";  // module records' later revisions
// The branch HEAD names in a store. No module branch can be it: those end in /_history.
inline constexpr char kStoreHeadRef[] = "refs/heads/_spoke";

// Ref names for a module. REQUIRES: a valid module name (names.h) and version (semver.h).
std::string VersionTagRef(const std::string& module, const std::string& version);
std::string ModuleBranchRef(const std::string& module);
// Where later revisions of a module's record (spoke.module.json) go.
std::string ModuleRecordRef(const std::string& module);
// The prefix of every version tag of `module` ("refs/tags/<module>/"). It also covers the tags of
// modules nested under it ("<module>/sub"): ParseVersionTagRef tells them apart.
std::string ModuleTagRefsPrefix(const std::string& module);
// The ref of the artifact whose key is `key_hex`. REQUIRES: at least two characters.
std::string ArtifactRef(const std::string& key_hex);

// Split a ref made by the functions above: true, with the parts set, for a ref of that kind whose
// parts are valid (module name, semver, 64 lowercase hex digits of a key); false, leaving the
// outputs alone, for any other ref.
bool ParseVersionTagRef(const std::string& ref, std::string* module, std::string* version);
bool ParseModuleBranchRef(const std::string& ref, std::string* module);
bool ParseModuleRecordRef(const std::string& ref, std::string* module);
bool ParseArtifactRef(const std::string& ref, std::string* key);

// Ok when `hex` is an object id as Spoke spells a ref's target: 40 lowercase hex digits.
// InvalidArgument naming it otherwise.
Status CheckObjectIdHex(const std::string& hex);

}  // namespace spoke

#endif  // SPOKE_REFS_H_
