// Client-side sync: fetch (wants/haves negotiation in one round), pull of one version, and the
// push loop that rebuilds a version on the registry's latest branch tip until it lands.
#include "spoke/sync.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "spoke/backoff.h"
#include "spoke/quarantine.h"
#include "spoke/refs.h"
#include "spoke/semver.h"

namespace spoke {
namespace {

// Each lost race means another pusher's version landed, so retrying always makes progress; the
// budget has to cover every pusher that may be ahead in line (8 failed with 12 concurrent pushers
// of one module, tests/e2e/immutability_race_test.cc), and the random, growing pause keeps the
// losers from colliding in step again: up to 2 ms after the first loss, doubling to at most
// 128 ms.
constexpr int kPushAttempts = 32;
constexpr Backoff kPushBackoff{std::chrono::milliseconds(2), std::chrono::milliseconds(128),
                               std::chrono::microseconds(200)};

// The registry's targets of the refs `names`, asked for in one request: name -> target, "" for a
// ref the registry does not have.
Result<std::map<std::string, std::string>> FindRemoteRefs(RemoteClient& remote,
                                                          const std::vector<std::string>& names) {
  SPOKE_ASSIGN_OR_RETURN(auto refs, remote.ListRefs(names));
  std::map<std::string, std::string> targets;
  for (const auto& name : names) targets[name];
  for (auto& ref : refs) {
    // A name is a prefix of longer ones too (refs/tags/m/v1.0.0 of refs/tags/m/v1.0.0-rc.1).
    if (auto it = targets.find(ref.name); it != targets.end()) it->second = std::move(ref.target);
  }
  return targets;
}

// Records in `local` what the registry accepted of a push of `prepared`. When the registry names
// what this store has just written (the usual case), the refs are set here by a compare-and-swap
// against what they name now: the objects are this store's own, on a tip whose closure it holds,
// so there is no pack to receive and check. Anything else (the registry's tag is an earlier
// identical push's, a local tag differs, a local ref moved meanwhile) is mirrored as a fetch
// mirrors it.
Status RecordAcceptedPush(Store& local, RemoteClient& remote, const PreparedVersion& prepared,
                          const std::vector<RefResult>& accepted) {
  std::map<std::string, std::string> written;  // ref -> what this store wrote for it
  for (const auto& update : prepared.updates) written[update.name] = update.new_target;
  std::vector<RefUpdate> updates;
  bool own = true;
  for (const auto& result : accepted) {
    auto it = written.find(result.name);
    SPOKE_ASSIGN_OR_RETURN(std::string current, local.ResolveRef(result.name));
    std::string module, version;
    const bool is_tag = ParseVersionTagRef(result.name, &module, &version);
    if (it == written.end() || it->second != result.target ||
        (is_tag && !current.empty() && current != result.target)) {
      own = false;
      break;
    }
    if (current != result.target) updates.push_back({result.name, current, result.target});
  }
  if (own) {
    Status recorded = updates.empty() ? Status::Ok() : local.UpdateRefs(updates);
    if (recorded.code() != Status::Code::kConflict) return recorded;
  }
  std::vector<RefEntry> refs;
  for (const auto& result : accepted) refs.push_back({result.name, result.target, ""});
  FetchOptions options;
  options.complete = {prepared.tag_id, prepared.commit_id};
  return FetchRefs(local, remote, refs, options).status();
}

}  // namespace

Result<FetchSummary> FetchRefs(Store& local, RemoteClient& remote,
                               const std::vector<RefEntry>& refs, const FetchOptions& options) {
  FetchSummary summary;
  if (refs.empty()) return summary;
  // A local ref is set only once its target's whole closure is in the store, so a target a local
  // ref already names needs nothing. Any other target is asked for even when its object is
  // present: a fetch killed while moving objects in leaves objects without their closure (a tag
  // without its tree), which only a new pack can complete.
  std::vector<std::string> wants;
  std::vector<std::string> already_named;  // targets a local ref of the same name already names
  std::set<std::string> seen;
  for (const auto& ref : refs) {
    if (!seen.insert(ref.target).second) continue;
    if (!options.refetch) {
      if (options.complete.count(ref.target)) continue;
      SPOKE_ASSIGN_OR_RETURN(std::string current, local.ResolveRef(ref.name));
      if (current == ref.target) {
        already_named.push_back(ref.target);
        continue;
      }
    }
    wants.push_back(ref.target);
  }
  // A store an older Spoke wrote can hold a ref whose objects are not all there (it moved objects
  // in one by one, and could be killed in between). Such a target is asked for again, with no
  // haves: the local branches may be as incomplete.
  SPOKE_ASSIGN_OR_RETURN(std::set<std::string> incomplete, local.IncompleteClosures(already_named));
  wants.insert(wants.end(), incomplete.begin(), incomplete.end());
  const bool repair = options.refetch || !incomplete.empty();
  std::vector<RefUpdate> updates;
  for (const auto& ref : refs) updates.push_back({ref.name, "", ref.target});
  if (wants.empty()) {
    SPOKE_ASSIGN_OR_RETURN(summary.refs, local.ApplyPack("", updates, RefPolicy::kMirror));
    return summary;
  }
  // Every version commit lies on its module's branch, so the branch tips say all we have; a
  // refetch or a repair trusts none of them.
  std::vector<std::string> haves;
  if (!repair) {
    SPOKE_ASSIGN_OR_RETURN(auto local_branches, local.ListRefs(kBranchRefsPrefix));
    for (const auto& ref : local_branches) haves.push_back(ref.target);
  }
  // The pack goes to a file inside the store, never into memory: its size is the registry's to
  // choose, within RemoteOptions::max_pack_bytes. A process killed meanwhile leaves the
  // quarantine for Store::Open to sweep.
  Quarantine incoming(local.path());
  if (!incoming.ok()) return Status::IOError("cannot create a quarantine in " + local.path());
  const std::string pack_path = (incoming.dir() / "fetched.pack").string();
  SPOKE_ASSIGN_OR_RETURN(summary.pack_bytes, remote.FetchPackToFile(wants, haves, pack_path));
  SPOKE_ASSIGN_OR_RETURN(summary.refs,
                         local.ApplyPackFile(pack_path, 0, updates, RefPolicy::kMirror));
  return summary;
}

Result<FetchSummary> FetchPrefixes(Store& local, RemoteClient& remote,
                                   const std::vector<std::string>& prefixes) {
  std::vector<RefEntry> wanted;
  SPOKE_ASSIGN_OR_RETURN(auto refs, remote.ListRefs(prefixes));
  for (auto& ref : refs) {
    std::string module, version;
    std::string key;
    if (ParseVersionTagRef(ref.name, &module, &version) ||
        ParseModuleBranchRef(ref.name, &module) || ParseModuleRecordRef(ref.name, &module) ||
        ParseArtifactRef(ref.name, &key)) {
      wanted.push_back(std::move(ref));
    }
  }
  return FetchRefs(local, remote, wanted);
}

std::vector<std::string> ModulePrefixes(const std::string& module) {
  return {ModuleTagRefsPrefix(module), ModuleBranchRef(module)};
}

Result<std::vector<std::string>> RecordedFetchPrefixes(const Store& local) {
  SPOKE_ASSIGN_OR_RETURN(std::vector<std::string> recorded, local.GetSetting(kFetchSetting));
  if (recorded.empty()) return std::vector<std::string>{kAllRefsPrefix};
  return recorded;
}

Status RecordFetchPrefixes(Store& local, const std::vector<std::string>& prefixes) {
  SPOKE_ASSIGN_OR_RETURN(std::vector<std::string> all, local.GetSetting(kFetchSetting));
  all.insert(all.end(), prefixes.begin(), prefixes.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  // Sorted, a prefix comes right before everything it covers.
  std::vector<std::string> kept;
  for (auto& prefix : all) {
    if (!kept.empty() && prefix.compare(0, kept.back().size(), kept.back()) == 0) continue;
    kept.push_back(std::move(prefix));
  }
  return local.SetSetting(kFetchSetting, kept);
}

// Fetches an exact version and its module branch, with `options`, and reads the version back.
Result<VersionInfo> FetchVersion(Store& local, RemoteClient& remote, const std::string& module,
                                 const std::string& version, const FetchOptions& options) {
  const std::string tag = VersionTagRef(module, version);
  const std::string branch = ModuleBranchRef(module);
  // The module branch comes along, so `log` works offline and later fetches send only changes.
  SPOKE_ASSIGN_OR_RETURN(auto remote_refs, FindRemoteRefs(remote, {tag, branch}));
  const std::string& target = remote_refs[tag];
  if (target.empty()) {
    return Status::NotFound("version " + module + "@" + version + " does not exist in registry " +
                            remote.url());
  }
  std::vector<RefEntry> refs{{tag, target, ""}};
  const std::string& branch_tip = remote_refs[branch];
  if (!branch_tip.empty()) refs.push_back({branch, branch_tip, ""});
  SPOKE_RETURN_IF_ERROR(FetchRefs(local, remote, refs, options).status());
  return local.GetVersion(module, version);
}

Result<VersionInfo> RefetchVersion(Store& local, RemoteClient& remote, const std::string& module,
                                   const std::string& version) {
  FetchOptions options;
  options.refetch = true;
  return FetchVersion(local, remote, module, version, options);
}

Result<VersionInfo> EnsureVersion(Store& local, RemoteClient* remote, const std::string& module,
                                  const std::string& version) {
  if (version != "latest") {
    auto present = local.GetVersion(module, version);
    if (present.ok() || !remote) return present;
    SPOKE_ASSIGN_OR_RETURN(std::string local_tag, local.ResolveRef(VersionTagRef(module, version)));
    // The tag is here but the version cannot be read: its objects are missing.
    if (!local_tag.empty()) return RefetchVersion(local, *remote, module, version);
    if (present.status().code() != Status::Code::kNotFound) return present;
    return FetchVersion(local, *remote, module, version, {});
  }
  if (remote) {
    SPOKE_ASSIGN_OR_RETURN(auto refs, remote->ListRefs(ModuleTagRefsPrefix(module)));
    std::vector<std::string> versions;
    for (auto& ref : refs) {
      std::string m, v;
      if (ParseVersionTagRef(ref.name, &m, &v) && m == module) versions.push_back(v);
    }
    auto highest = HighestRelease(versions);
    if (!highest)
      return Status::NotFound("module " + module + " has no release version in " + remote->url());
    auto present = local.GetVersion(module, *highest);
    if (present.ok()) return present;
    return EnsureVersion(local, remote, module, *highest);
  }
  return local.GetVersion(module, "latest");
}

Result<std::vector<DependencyPin>> ResolvePins(Store& local, RemoteClient& remote,
                                               const std::vector<DependencyPin>& wanted) {
  std::vector<DependencyPin> pins;
  for (const auto& dep : wanted) {
    SPOKE_ASSIGN_OR_RETURN(VersionInfo version,
                           EnsureVersion(local, &remote, dep.module, dep.version));
    // The dependency's own dependencies come along, so the closure can be checked here.
    SPOKE_RETURN_IF_ERROR(FetchDependencies(local, remote, version.manifest.dependencies));
    pins.push_back(
        {dep.module, version.version, version.commit_id, version.manifest.digest, dep.mount});
  }
  return pins;
}

Status FetchDependencies(Store& local, RemoteClient& remote,
                         const std::vector<DependencyPin>& pins) {
  std::vector<DependencyPin> pending = pins;
  std::set<std::string> seen;
  while (!pending.empty()) {
    DependencyPin pin = pending.back();
    pending.pop_back();
    if (!seen.insert(pin.module + "@" + pin.version).second) continue;
    SPOKE_ASSIGN_OR_RETURN(VersionInfo version,
                           EnsureVersion(local, &remote, pin.module, pin.version));
    for (const auto& next : version.manifest.dependencies) pending.push_back(next);
  }
  return Status::Ok();
}

Result<PushSummary> PushVersion(Store& local, RemoteClient& remote, const NewVersion& request) {
  // Resolving was the caller's (ResolveDependencies, which fetched every pin): doing it again here
  // read every version of the closure a second time.
  for (const auto& dep : request.dependencies) {
    if (dep.commit.empty() || dep.digest.empty()) {
      return Status::InvalidArgument("dependency " + dep.module + "@" + dep.version + " of " +
                                     request.module + "@" + request.version +
                                     " is not pinned to a commit and digest; resolve it first");
    }
  }
  const std::string tag_ref = VersionTagRef(request.module, request.version);
  const std::string branch_ref = ModuleBranchRef(request.module);
  Status last = Status::Ok();
  for (int attempt = 0; attempt < kPushAttempts; ++attempt) {
    if (attempt > 0) kPushBackoff.SleepBeforeRetry(attempt);
    SPOKE_ASSIGN_OR_RETURN(auto remote_refs, FindRemoteRefs(remote, {tag_ref, branch_ref}));
    const std::string remote_tag = remote_refs[tag_ref];
    const std::string remote_tip = remote_refs[branch_ref];
    std::vector<RefEntry> known;
    if (!remote_tip.empty()) known.push_back({branch_ref, remote_tip, ""});
    if (!remote_tag.empty()) known.push_back({tag_ref, remote_tag, ""});
    if (!remote_tag.empty()) {
      // The version exists: it is a no-op if the content is the same, a conflict otherwise.
      SPOKE_RETURN_IF_ERROR(FetchRefs(local, remote, known).status());
      SPOKE_ASSIGN_OR_RETURN(VersionInfo existing,
                             local.GetVersion(request.module, request.version));
      if (!SameContent(existing.manifest, DescribeFiles(request.files), request.dependencies)) {
        return Status::AlreadyExists("version " + request.module + "@" + request.version +
                                     " already exists in " + remote.url() +
                                     " with different content (" + existing.manifest.digest +
                                     "); versions are immutable, push a new version");
      }
      return PushSummary{std::move(existing), false, 0};
    }
    // The version is built on the registry's tip, so the local store needs that tip's closure: it
    // has it when its own branch names the tip (a ref is set only once its closure is in).
    SPOKE_ASSIGN_OR_RETURN(std::string local_tip, local.ResolveRef(branch_ref));
    if (!remote_tip.empty() && local_tip != remote_tip) {
      SPOKE_RETURN_IF_ERROR(FetchRefs(local, remote, known).status());
    }
    SPOKE_ASSIGN_OR_RETURN(PreparedVersion prepared, local.PrepareVersion(request, remote_tip));
    std::vector<std::string> haves;
    if (!remote_tip.empty()) haves.push_back(remote_tip);
    PackStats stats;
    SPOKE_ASSIGN_OR_RETURN(std::string pack, local.BuildPack({prepared.tag_id}, haves, &stats));
    auto pushed = remote.Push(pack, prepared.updates);
    if (!pushed.ok()) {
      last = pushed.status();
      // Someone else moved the branch or took the version first: look again and rebuild.
      if (last.code() == Status::Code::kConflict) continue;
      return last;
    }
    bool created = false;
    for (const auto& result : *pushed) {
      if (result.name == tag_ref && result.change == RefChange::kCreated) created = true;
    }
    SPOKE_RETURN_IF_ERROR(RecordAcceptedPush(local, remote, prepared, *pushed));
    SPOKE_ASSIGN_OR_RETURN(VersionInfo info, local.GetVersion(request.module, request.version));
    return PushSummary{std::move(info), created, pack.size()};
  }
  return last;
}

}  // namespace spoke
