// Moving versions between a local store and a registry: the client side of clone, fetch, pull and
// push, built from Store (packs in and out) and RemoteClient (the wire).
#ifndef SPOKE_SYNC_H_
#define SPOKE_SYNC_H_

#include <set>
#include <string>
#include <vector>

#include "spoke/remote.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

struct FetchSummary {
  std::vector<RefResult> refs;  // what changed (or was confirmed) in the local store
  size_t pack_bytes = 0;        // bytes of pack received
};

struct FetchOptions {
  // Targets whose whole closure the caller knows `local` holds although no ref names them yet
  // (a version it has just written and pushed): not asked for. The store still checks them.
  std::set<std::string> complete;
  // Asks for every target and sends no haves, whatever `local` holds: repairs a store whose refs
  // name objects that are missing (left by an interrupted fetch of an older Spoke).
  bool refetch = false;
};

// Copies the named remote refs, and the objects they need, into `local`. Every target that no
// local ref names yet is asked for, even when its object is present (an interrupted fetch can
// leave an object without its closure), and so is a target a local ref names whose closure is
// incomplete (a store an older Spoke left so), then with no haves; otherwise the local module
// branches are sent as haves so the pack holds only the difference. The pack is streamed into a
// quarantine inside `local` and applied from there, so its size never reaches memory. A local
// version tag that differs from the registry's is a conflict and is kept.
Result<FetchSummary> FetchRefs(Store& local, RemoteClient& remote,
                               const std::vector<RefEntry>& refs, const FetchOptions& options = {});

// Lists the remote refs under each of `prefixes` ("refs/" for the whole registry) and fetches them
// all with one FetchRefs, so a module's tags and branch come in one pack: fetched one after the
// other, the branch's new tip (a commit the new tags' pack brought, which no ref names) would be
// asked for again.
Result<FetchSummary> FetchPrefixes(Store& local, RemoteClient& remote,
                                   const std::vector<std::string>& prefixes);

// The remote ref prefixes of one module's versions: its tags and its branch.
// REQUIRES: valid module name.
std::vector<std::string> ModulePrefixes(const std::string& module);

// The setting, in a client's store, of what a fetch without a module asks for: one ref prefix a
// value, written by clone, as git's remote.origin.fetch is.
inline constexpr char kFetchSetting[] = "spoke.fetch";

// The prefixes `local` records under kFetchSetting; {"refs/"} (the whole registry) when it
// records none.
Result<std::vector<std::string>> RecordedFetchPrefixes(const Store& local);

// Adds `prefixes` to those `local` records, keeping none that another one covers (so "refs/"
// replaces everything, and a module cloned into a store that follows the whole registry changes
// nothing). When `local` records none yet, `prefixes` are all it records.
Status RecordFetchPrefixes(Store& local, const std::vector<std::string>& prefixes);

// Makes module@version available in `local`: an exact version already there is returned without
// any network use; otherwise it is fetched from `remote`. "latest" always asks the registry (it
// moves); `remote` may be null to work offline, and then "latest" means the local store's highest.
// A local version that cannot be read (its objects are missing) is fetched again (RefetchVersion)
// when `remote` is given.
Result<VersionInfo> EnsureVersion(Store& local, RemoteClient* remote, const std::string& module,
                                  const std::string& version);

// Fetches module@version (an exact version) and its module branch from `remote` again, with
// FetchOptions::refetch, and reads it back: for a local version whose objects are missing, found
// when reading it or checking it out failed. NotFound when the registry does not have it.
Result<VersionInfo> RefetchVersion(Store& local, RemoteClient& remote, const std::string& module,
                                   const std::string& version);

struct PushSummary {
  VersionInfo version;
  bool created = false;  // false: the registry already had this exact content under this version
  size_t pack_bytes = 0;
};

// Fetches every version `pins` lead to, transitively, into `local`.
Status FetchDependencies(Store& local, RemoteClient& remote,
                         const std::vector<DependencyPin>& pins);

// Resolves dependencies given as module and version (or "latest"; commit and digest empty) to exact
// pins, fetching each, and its own dependencies, into `local`.
Result<std::vector<DependencyPin>> ResolvePins(Store& local, RemoteClient& remote,
                                               const std::vector<DependencyPin>& wanted);

// Builds the version in `local` on top of the registry's module branch and pushes it; the
// registry checks that it compiles against the request's dependencies. The local store's refs
// change only after the registry accepted. AlreadyExists when the registry holds the version with
// different content; a registry branch that moves meanwhile is retried.
// REQUIRES: the dependencies are exact pins (version, commit and digest) whose versions `local`
// holds, as ResolveDependencies (resolve.h) leaves them: they are not resolved again.
// InvalidArgument for a dependency without its commit or digest.
Result<PushSummary> PushVersion(Store& local, RemoteClient& remote, const NewVersion& request);

}  // namespace spoke

#endif  // SPOKE_SYNC_H_
