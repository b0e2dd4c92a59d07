// Push payloads for the sync protocol built outside the CLI, to be sent raw to /sync/v1/push:
// honest ones made by spoke::Store, and lying ones whose objects are written with libgit2 directly
// (a manifest that misstates the files, a tag named for another version).
#ifndef SPOKE_TESTS_E2E_PACK_FORGE_H_
#define SPOKE_TESTS_E2E_PACK_FORGE_H_

#include <httplib.h>

#include <string>
#include <vector>

#include "spoke/store.h"

namespace spoke::e2e {

// A pack and the ref updates that would publish the version it holds on a registry that does not
// have the module yet (every old value is "").
struct PushPayload {
  std::string pack;
  std::vector<RefUpdate> updates;  // the version tag first, then the module branch
  std::string tag_id, commit_id;
};

// An honest version, prepared in a scratch store at `scratch_dir` (created when absent).
PushPayload BuildVersionPack(const std::string& scratch_dir, const NewVersion& version);

// How a forged version lies.
enum class ManifestLie {
  kNone,                      // the manifest is true, whatever the files are: paths and contents
                              // spoke::Store would refuse to prepare, written as raw bytes
  kWrongDigest,               // the manifest's digest is not the digest of its file list
  kWrongFileHash,             // a file's sha256 is wrong (the digest agrees with the wrong list)
  kUnlistedFile,              // the tree holds a .proto file the manifest does not list
  kTagNamedForAnotherVersion  // the annotated tag's name is not "<module>/<version>"
};

// A version whose objects are written with libgit2 in a scratch store and packed, lying as asked.
PushPayload ForgeVersionPack(const std::string& scratch_dir, const NewVersion& version,
                             ManifestLie lie);

// A commit whose tree holds exactly `files` (no manifest unless given), with `parent` (hex, "" for
// none) as its parent, written in the scratch store at `scratch_dir`, which must hold `parent`.
// The payload moves `module`'s branch from `parent` to it; its pack holds only the new objects.
PushPayload ForgeBranchCommit(const std::string& scratch_dir, const std::string& module,
                              const std::string& parent, const FileSet& files);

// Every object of the scratch store at `scratch_dir` (as BuildVersionPack left it) followed by
// `extra` objects (git type number 1-4, raw content), as one pack of whole objects written byte by
// byte: for objects no git library would write.
std::string PackWithExtraObjects(const std::string& scratch_dir,
                                 const std::vector<std::pair<int, std::string>>& extra);
// The id git gives an object of type `type` (1-4) with `content`, as hex.
std::string ObjectIdOf(int type, const std::string& content);

// The /sync/v1/push body: the JSON header line, '\n', the pack.
std::string PushBody(const std::vector<RefUpdate>& updates, const std::string& pack);
// POSTs PushBody(updates, pack) to /sync/v1/push.
httplib::Result PostPush(httplib::Client& client, const std::vector<RefUpdate>& updates,
                         const std::string& pack);

}  // namespace spoke::e2e

#endif  // SPOKE_TESTS_E2E_PACK_FORGE_H_
