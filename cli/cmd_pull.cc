// spoke pull: write a module version's files into a directory, from the local store when it has
// the version (no network at all), else fetched from the registry first. Never over local work: a
// file changed since spoke wrote it, or never written by spoke, refuses the pull (pull_record.h).
#include <cstdio>
#include <filesystem>
#include <map>

#include "context.h"
#include "plural.h"
#include "resolution.h"
#include "spoke/json.h"
#include "spoke/lockfile.h"
#include "spoke/names.h"
#include "spoke/pull_record.h"
#include "spoke/semver.h"
#include "spoke/sync.h"

namespace spoke::cli {

namespace {

struct PullArgs {
  std::string module, version = "latest", dir = ".";
  bool json = false, recursive = false, force = false;
};

Json PathList(const std::vector<std::string>& paths) {
  Json list = Json::MakeArray();
  for (const auto& path : paths) list.Push(path);
  return list;
}

// What happened to the directory's files, for --json: "written", "kept" (already held the new
// content), "removed", and "overwritten" (local changes --force overwrote or removed).
void SetOutcome(const PullOutcome& outcome, Json* out) {
  out->Set("written", PathList(outcome.written));
  out->Set("kept", PathList(outcome.kept));
  out->Set("removed", PathList(outcome.removed));
  out->Set("overwritten", PathList(outcome.overwritten_local_changes));
}

// The same for people, on stdout.
void PrintOutcome(const PullOutcome& outcome) {
  for (const auto& path : outcome.removed)
    std::printf("Removed %s (not in the new version)\n", path.c_str());
}

// What --force destroyed is said on stderr, with or without --json.
void WarnOverwritten(const PullOutcome& outcome) {
  for (const auto& path : outcome.overwritten_local_changes) {
    std::fprintf(stderr, "spoke: overwrote local changes to %s (--force)\n", path.c_str());
  }
}

// Writes `targets` into the directory (PullIntoDir). When a version's objects turn out to be
// missing from the local store or damaged (a store an interrupted fetch of an older Spoke left
// behind), every target is fetched again from the registry, connecting to it into *remote when
// that has not happened yet, and the pull is tried once more.
Result<PullOutcome> WriteTargets(Store& store, std::unique_ptr<RemoteClient>* remote,
                                 const GlobalFlags& flags, const PullArgs& args,
                                 std::vector<PullTarget>* targets) {
  const PullOptions options{args.force};
  auto outcome = PullIntoDir(store, store.path(), args.dir, *targets, options);
  if (outcome.ok()) WarnOverwritten(*outcome);
  const auto code = outcome.status().code();
  if (outcome.ok() || (code != Status::Code::kNotFound && code != Status::Code::kCorruption))
    return outcome;
  if (!*remote) {
    SPOKE_ASSIGN_OR_RETURN(*remote, ConnectRegistry(flags));
  }
  for (PullTarget& target : *targets) {
    VersionInfo& v = target.version;
    std::fprintf(stderr, "spoke: %s; fetching %s@%s again\n", outcome.status().message().c_str(),
                 v.module.c_str(), v.version.c_str());
    SPOKE_ASSIGN_OR_RETURN(v, RefetchVersion(store, **remote, v.module, v.version));
  }
  outcome = PullIntoDir(store, store.path(), args.dir, *targets, options);
  if (outcome.ok()) WarnOverwritten(*outcome);
  return outcome;
}

// One entry of spoke.lock that a recursive pull changes.
struct LockChange {
  std::string module;
  std::string change;  // "added", "moved", "mount" or "pinned"
  std::string from, to;

  std::string Describe() const {
    auto where = [](const std::string& mount) {
      return mount.empty() ? std::string("its own paths") : mount + "/";
    };
    if (change == "added") return "added " + module + "@" + to;
    if (change == "moved") return module + " " + from + " -> " + to;
    if (change == "mount")
      return module + " mounted at " + where(to) + " (was " + where(from) + ")";
    return module + "@" + to + " pinned to its commit and digest";
  }
  Json ToJson() const {
    Json entry = Json::MakeObject();
    entry.Set("module", module);
    entry.Set("change", change);
    if (change == "moved" || change == "mount") entry.Set("from", from);
    entry.Set("to", to);
    return entry;
  }
};

// The lock after pulling `all`: the old entries, each version of the closure checked against them
// (Lockfile::Check; a version other than the locked one only when `moving_root`) and set, every
// change listed in *changes. Entries the closure does not reach stay as they are.
Result<Lockfile> MergeLock(const Lockfile& lock, const std::string& lock_path,
                           const std::vector<PullTarget>& all, bool moving_root,
                           std::vector<LockChange>* changes) {
  Lockfile updated = lock;
  for (const PullTarget& target : all) {
    const VersionInfo& v = target.version;
    DependencyPin pin{v.module, v.version, v.commit_id, v.manifest.digest, target.mount};
    auto locked = lock.entries.find(v.module);
    if (locked == lock.entries.end()) {
      changes->push_back({v.module, "added", "", v.version});
    } else if (moving_root && locked->second.version != v.version) {
      changes->push_back({v.module, "moved", locked->second.version, v.version});
    } else {
      SPOKE_RETURN_IF_ERROR(lock.Check(pin, lock_path));
      // An entry of the original format names only the version.
      if (locked->second.commit.empty()) changes->push_back({v.module, "pinned", "", v.version});
    }
    if (locked != lock.entries.end() && locked->second.mount != pin.mount) {
      changes->push_back({v.module, "mount", locked->second.mount, pin.mount});
    }
    updated.entries[v.module] = pin;
  }
  return updated;
}

CommandOutcome PullRecursive(Store& store, const GlobalFlags& flags, const PullArgs& args) {
  const std::string lock_path = (std::filesystem::path(args.dir) / kLockFile).string();
  Lockfile lock;
  bool had_lock = false;
  auto loaded = Lockfile::Load(lock_path);
  if (loaded.ok()) {
    lock = std::move(*loaded);
    had_lock = true;
  } else if (loaded.status().code() != Status::Code::kNotFound) {
    return loaded.status();
  }
  std::string wanted = args.version;
  if (wanted == "latest" && lock.entries.count(args.module))
    wanted = lock.entries[args.module].version;
  // Asking for another version of the locked root is asking to move the lock: the new root's pins
  // replace the old ones. A version that stays must still be byte-identical to what was locked.
  const bool moving_root = lock.entries.count(args.module) && wanted != "latest" &&
                           lock.entries[args.module].version != wanted;
  std::unique_ptr<RemoteClient> remote;
  auto closure = LoadVersionClosure(store, &remote, flags, args.module, wanted);
  if (!closure.ok()) return closure.status();
  // The root's files at the directory's top (so two pulls of it compare file by file), each
  // dependency's where its dependents import them: under its mount, else at its own paths.
  std::vector<PullTarget> targets = {{closure->root, ""}};
  for (const auto& r : closure->reached) targets.push_back({r.version, r.mount});
  // The lock wins: a version whose commit or digest differs from it is refused, never written.
  std::vector<LockChange> changes;
  auto updated = MergeLock(lock, lock_path, targets, moving_root, &changes);
  if (!updated.ok()) return updated.status();
  auto outcome = WriteTargets(store, &remote, flags, args, &targets);
  if (!outcome.ok()) return outcome.status();
  if (!had_lock || updated->Serialize() != lock.Serialize()) {
    if (Status s = updated->Save(lock_path); !s.ok()) return s;
  }
  if (args.json) {
    Json out = Json::MakeObject();
    out.Set("module", targets[0].version.module);
    out.Set("version", targets[0].version.version);
    out.Set("dir", args.dir);
    out.Set("lock", lock_path);
    Json list = Json::MakeArray();
    for (const PullTarget& target : targets) {
      const VersionInfo& v = target.version;
      Json entry = Json::MakeObject();
      entry.Set("module", v.module);
      entry.Set("version", v.version);
      entry.Set("digest", v.manifest.digest);
      entry.Set("files", static_cast<int64_t>(v.manifest.files.size()));
      entry.Set("mount", target.mount);
      list.Push(std::move(entry));
    }
    out.Set("modules", std::move(list));
    Json lock_changes = Json::MakeArray();
    for (const LockChange& change : changes) lock_changes.Push(change.ToJson());
    out.Set("lock_changes", std::move(lock_changes));
    SetOutcome(*outcome, &out);
    std::printf("%s\n", out.Dump(2).c_str());
  } else {
    for (const PullTarget& target : targets) {
      const VersionInfo& v = target.version;
      std::string where = args.dir;
      if (!target.mount.empty()) where = (std::filesystem::path(args.dir) / target.mount).string();
      std::printf("Pulled %s@%s (%s) into %s\n", v.module.c_str(), v.version.c_str(),
                  Plural(v.manifest.files.size(), "file").c_str(), where.c_str());
    }
    PrintOutcome(*outcome);
    for (const LockChange& change : changes)
      std::printf("%s: %s\n", lock_path.c_str(), change.Describe().c_str());
    std::printf("Wrote %s\n", lock_path.c_str());
  }
  return Status::Ok();
}

}  // namespace

void SetupPull(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  using Args = PullArgs;
  auto args = std::make_shared<Args>();
  sub->add_option("-m,--module", args->module, "Module name")->required();
  sub->add_option("-v,--version", args->version,
                  "Version to pull, or latest (the local store's highest release when the registry "
                  "cannot be "
                  "reached)")
      ->capture_default_str();
  sub->add_option("-d,--dir", args->dir, "Directory to write the files into")
      ->capture_default_str();
  sub->add_flag(
      "--recursive", args->recursive,
      "Also write every dependency at its pinned version, so `protoc -I DIR` builds the tree; "
      "honours and writes DIR/spoke.lock");
  sub->add_flag(
      "--force", args->force,
      "Overwrite (or remove) files changed since spoke wrote them, and files spoke never wrote, "
      "instead of refusing the pull");
  sub->add_flag("--json", args->json, "Print the result as JSON");
  *run = [args, flags]() -> CommandOutcome {
    if (Status s = ValidateModuleName(args->module); !s.ok()) return Usage(s);
    if (args->version != "latest") {
      if (auto v = SemVer::Parse(args->version); !v.ok()) return Usage(v.status());
    }
    auto store = OpenLocalStore();
    if (!store.ok()) return store.status();
    if (args->recursive) return PullRecursive(**store, *flags, *args);
    Result<VersionInfo> version = Status::NotFound("");
    std::unique_ptr<RemoteClient> remote;
    // An exact version already in the local store needs no registry at all.
    if (args->version != "latest") version = (*store)->GetVersion(args->module, args->version);
    if (!version.ok()) {
      auto connected = ConnectRegistry(*flags);
      if (!connected.ok()) return Usage(connected.status());
      remote = std::move(*connected);
      version = EnsureVersion(**store, remote.get(), args->module, args->version);
      if (!version.ok() && args->version == "latest" && RegistryUnreachable(version.status())) {
        // As `spoke versions` does offline: the highest release this store has, said so.
        auto local = (*store)->GetVersion(args->module, "latest");
        if (local.ok()) {
          WarnUsingLocalStore(version.status(),
                              "pulling " + local->module + "@" + local->version +
                                  ", the local store's highest release; the registry may "
                                  "have a newer one");
          version = std::move(local);
        }
      }
    }
    if (!version.ok()) return version.status();
    std::vector<PullTarget> targets = {{std::move(*version), ""}};
    auto outcome = WriteTargets(**store, &remote, *flags, *args, &targets);
    if (!outcome.ok()) return outcome.status();
    const VersionInfo& pulled = targets[0].version;
    if (args->json) {
      Json out = Json::MakeObject();
      out.Set("module", pulled.module);
      out.Set("version", pulled.version);
      out.Set("digest", pulled.manifest.digest);
      out.Set("dir", args->dir);
      Json list = Json::MakeArray();
      for (const auto& file : pulled.manifest.files) list.Push(file.path);
      out.Set("files", std::move(list));
      SetOutcome(*outcome, &out);
      std::printf("%s\n", out.Dump(2).c_str());
    } else {
      std::printf("Pulled %s@%s (%s) into %s\n", pulled.module.c_str(), pulled.version.c_str(),
                  Plural(pulled.manifest.files.size(), "file").c_str(), args->dir.c_str());
      PrintOutcome(*outcome);
    }
    return Status::Ok();
  };
}

}  // namespace spoke::cli
