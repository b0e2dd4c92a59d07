// spoke pull: write a module version's files into a directory, from the local store when it has
// the version (no network at all), else fetched from the registry first.
#include <cstdio>
#include <filesystem>
#include <map>

#include "context.h"
#include "plural.h"
#include "resolution.h"
#include "spoke/json.h"
#include "spoke/lockfile.h"
#include "spoke/names.h"
#include "spoke/semver.h"
#include "spoke/sync.h"

namespace spoke::cli {

namespace {

// Writes a version's files into `dir`. A version whose objects turn out to be missing from the
// local store (a store an interrupted fetch of an older Spoke left behind) is fetched again from
// the registry, connecting to it into *remote when that has not happened yet, and written then.
Status CheckoutOrRefetch(Store& store, std::unique_ptr<RemoteClient>* remote,
                         const GlobalFlags& flags, VersionInfo* version, const std::string& dir) {
  Status written = store.CheckoutFiles(*version, dir);
  const auto code = written.code();
  if (written.ok() || (code != Status::Code::kNotFound && code != Status::Code::kCorruption))
    return written;
  if (!*remote) {
    SPOKE_ASSIGN_OR_RETURN(*remote, ConnectRegistry(flags));
  }
  std::fprintf(stderr, "spoke: %s; fetching %s@%s again\n", written.message().c_str(),
               version->module.c_str(), version->version.c_str());
  SPOKE_ASSIGN_OR_RETURN(*version,
                         RefetchVersion(store, **remote, version->module, version->version));
  return store.CheckoutFiles(*version, dir);
}

struct PullArgs {
  std::string module, version = "latest", dir = ".";
  bool json = false, recursive = false;
};

int PullRecursive(Store& store, const GlobalFlags& flags, const PullArgs& args) {
  const std::string lock_path = (std::filesystem::path(args.dir) / kLockFile).string();
  Lockfile lock;
  auto loaded = Lockfile::Load(lock_path);
  if (loaded.ok()) {
    lock = std::move(*loaded);
  } else if (loaded.status().code() != Status::Code::kNotFound) {
    return Fail(loaded.status());
  }
  std::string wanted = args.version;
  if (wanted == "latest" && lock.entries.count(args.module)) wanted = lock.entries[args.module].version;
  // Asking for another version of the locked root is asking to move the lock: the new root's pins
  // replace the old ones. A version that stays must still be byte-identical to what was locked.
  const bool moving_root = lock.entries.count(args.module) && wanted != "latest" &&
                           lock.entries[args.module].version != wanted;
  std::unique_ptr<RemoteClient> remote;
  auto closure = LoadVersionClosure(store, &remote, flags, args.module, wanted);
  if (!closure.ok()) return Fail(closure.status());
  const VersionInfo* root = &closure->root;
  std::vector<const VersionInfo*> all = {root};
  for (const auto& r : closure->reached) all.push_back(&r.version);
  // The lock wins: a version whose commit or digest differs from it is refused, never written.
  std::map<std::string, std::string> path_owner, path_blob;
  Lockfile updated;
  for (const VersionInfo* v : all) {
    DependencyPin pin{v->module, v->version, v->commit_id, v->manifest.digest};
    auto locked = lock.entries.find(v->module);
    if (moving_root && locked != lock.entries.end() && locked->second.version != v->version) {
      std::fprintf(stderr, "%s: %s %s -> %s\n", lock_path.c_str(), v->module.c_str(),
                   locked->second.version.c_str(), v->version.c_str());
    } else if (Status s = lock.Check(pin, lock_path); !s.ok()) {
      return Fail(s);
    }
    updated.entries[v->module] = pin;
    auto ids = store.ListFileIds(*v);
    if (!ids.ok()) return Fail(ids.status());
    for (const auto& [path, id] : *ids) {
      std::string owner = v->module + "@" + v->version;
      auto [it, inserted] = path_owner.emplace(path, owner);
      if (!inserted && path_blob[path] != id) {
        return Fail(Status::InvalidArgument("file " + path + " is provided by both " + it->second + " and " + owner));
      }
      path_blob[path] = id;
    }
  }
  for (const VersionInfo* v : all) {
    VersionInfo written = *v;
    if (Status s = CheckoutOrRefetch(store, &remote, flags, &written, args.dir); !s.ok())
      return Fail(s);
  }
  if (Status s = updated.Save(lock_path); !s.ok()) return Fail(s);
  if (args.json) {
    Json out = Json::MakeObject();
    out.Set("module", root->module);
    out.Set("version", root->version);
    out.Set("dir", args.dir);
    out.Set("lock", lock_path);
    Json list = Json::MakeArray();
    for (const VersionInfo* v : all) {
      Json entry = Json::MakeObject();
      entry.Set("module", v->module);
      entry.Set("version", v->version);
      entry.Set("digest", v->manifest.digest);
      entry.Set("files", static_cast<int64_t>(v->manifest.files.size()));
      list.Push(std::move(entry));
    }
    out.Set("modules", std::move(list));
    std::printf("%s\n", out.Dump(2).c_str());
  } else {
    for (const VersionInfo* v : all) {
      std::printf("Pulled %s@%s (%s) into %s\n", v->module.c_str(), v->version.c_str(),
                  Plural(v->manifest.files.size(), "file").c_str(), args.dir.c_str());
    }
    std::printf("Wrote %s\n", lock_path.c_str());
  }
  return kExitOk;
}

}  // namespace

void SetupPull(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  using Args = PullArgs;
  auto args = std::make_shared<Args>();
  sub->add_option("-m,--module", args->module, "Module name")->required();
  sub->add_option("-v,--version", args->version,
                  "Version to pull, or latest (the local store's highest release when the registry cannot be "
                  "reached)")
      ->capture_default_str();
  sub->add_option("-d,--dir", args->dir, "Directory to write the files into")->capture_default_str();
  sub->add_flag("--recursive", args->recursive,
                "Also write every dependency at its pinned version, so `protoc -I DIR` builds the tree; "
                "honours and writes DIR/spoke.lock");
  sub->add_flag("--json", args->json, "Print the result as JSON");
  *run = [args, flags]() -> int {
    if (Status s = ValidateModuleName(args->module); !s.ok()) return UsageError(s);
    if (args->version != "latest") {
      if (auto v = SemVer::Parse(args->version); !v.ok()) return UsageError(v.status());
    }
    auto store = OpenLocalStore();
    if (!store.ok()) return Fail(store.status());
    if (args->recursive) return PullRecursive(**store, *flags, *args);
    Result<VersionInfo> version = Status::NotFound("");
    std::unique_ptr<RemoteClient> remote;
    // An exact version already in the local store needs no registry at all.
    if (args->version != "latest") version = (*store)->GetVersion(args->module, args->version);
    if (!version.ok()) {
      auto connected = ConnectRegistry(*flags);
      if (!connected.ok()) return UsageError(connected.status());
      remote = std::move(*connected);
      version = EnsureVersion(**store, remote.get(), args->module, args->version);
      if (!version.ok() && args->version == "latest" && RegistryUnreachable(version.status())) {
        // As `spoke versions` does offline: the highest release this store has, said so.
        auto local = (*store)->GetVersion(args->module, "latest");
        if (local.ok()) {
          WarnUsingLocalStore(version.status(), "pulling " + local->module + "@" + local->version +
                                                    ", the local store's highest release; the registry may "
                                                    "have a newer one");
          version = std::move(local);
        }
      }
    }
    if (!version.ok()) return Fail(version.status());
    if (Status s = CheckoutOrRefetch(**store, &remote, *flags, &*version, args->dir); !s.ok())
      return Fail(s);
    if (args->json) {
      Json out = Json::MakeObject();
      out.Set("module", version->module);
      out.Set("version", version->version);
      out.Set("digest", version->manifest.digest);
      out.Set("dir", args->dir);
      Json list = Json::MakeArray();
      for (const auto& file : version->manifest.files) list.Push(file.path);
      out.Set("files", std::move(list));
      std::printf("%s\n", out.Dump(2).c_str());
    } else {
      std::printf("Pulled %s@%s (%s) into %s\n", version->module.c_str(), version->version.c_str(),
                  Plural(version->manifest.files.size(), "file").c_str(), args->dir.c_str());
    }
    return kExitOk;
  };
}

}  // namespace spoke::cli
