// spoke lock: write spoke.lock without pushing or pulling. For a module directory, the
// dependencies a push would pin (declared, then resolved through the registry's import index)
// and everything they pin; for a published version, the version and its whole closure.
#include <cstdio>
#include <filesystem>

#include "context.h"
#include "module_dir.h"
#include "plural.h"
#include "resolution.h"
#include "spoke/module_config.h"
#include "spoke/names.h"
#include "spoke/semver.h"

namespace spoke::cli {

namespace {

struct LockArgs {
  std::string module, version, dir = ".";
  std::vector<std::string> deps;
  bool json = false;
};

// The dependencies of the module in args.dir, resolved as push would (any old lock is not
// honoured: updating it is the point).
Result<Lockfile> LockModuleDir(Store& store, const GlobalFlags& flags, LockArgs& args,
                               Resolution* resolution) {
  SPOKE_ASSIGN_OR_RETURN(ModuleConfig config, LoadModuleConfig(args.dir));
  if (args.module.empty()) args.module = config.module;
  if (args.module.empty())
    return Status::InvalidArgument("--module is required (or module: in spoke.yaml)");
  SPOKE_RETURN_IF_ERROR(ValidateModuleName(args.module));
  std::vector<std::string> specs = config.deps;
  specs.insert(specs.end(), args.deps.begin(), args.deps.end());
  SPOKE_ASSIGN_OR_RETURN(auto declared, ParseDeclared(specs));
  SPOKE_ASSIGN_OR_RETURN(ModuleDirFiles read, ReadModuleDir(args.dir));
  FileSet& files = read.own;
  SPOKE_ASSIGN_OR_RETURN(auto remote, ConnectRegistry(flags));
  ResolveRequest request{args.module, config.version, &files, declared, nullptr, ""};
  SPOKE_ASSIGN_OR_RETURN(*resolution, ResolveDependencies(store, remote.get(), request));
  SPOKE_ASSIGN_OR_RETURN(auto reached, WalkDependencies(store, request.Label(), resolution->pins));
  Lockfile lock;
  for (const auto& r : reached) lock.entries[r.version.module] = r.version.Pin(r.mount);
  return lock;
}

// A published version and everything it pins.
Result<Lockfile> LockVersion(Store& store, const GlobalFlags& flags, const LockArgs& args) {
  SPOKE_RETURN_IF_ERROR(ValidateModuleName(args.module));
  std::unique_ptr<RemoteClient> remote;
  SPOKE_ASSIGN_OR_RETURN(VersionClosure closure,
                         LoadVersionClosure(store, &remote, flags, args.module, args.version));
  Lockfile lock;
  lock.entries[closure.root.module] = closure.root.Pin();
  for (const auto& r : closure.reached) lock.entries[r.version.module] = r.version.Pin(r.mount);
  return lock;
}

}  // namespace

void SetupLock(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  auto args = std::make_shared<LockArgs>();
  sub->add_option("-m,--module", args->module, "Module name (default: spoke.yaml's in --dir)");
  sub->add_option(
      "-v,--version", args->version,
      "Lock this published version of --module (or latest) and its dependencies, instead of "
      "resolving the module in --dir");
  sub->add_option("-d,--dir", args->dir, "Module directory; spoke.lock is written here")
      ->capture_default_str();
  sub->add_option("--dep", args->deps,
                  "A dependency, module@version (repeatable; adds to spoke.yaml's deps)");
  sub->add_flag("--json", args->json, "Print the result as JSON");
  sub->footer(
      "Without --version: resolves the dependencies of the module in DIR as `spoke push` would\n"
      "(declared ones, then the registry's import index) and locks them and everything they pin.\n"
      "With --version: locks that version of --module and everything it pins (what `spoke pull\n"
      "-recursive` would write). Later pushes from DIR and pulls into DIR honour the lock.");
  *run = [args, flags]() -> CommandOutcome {
    if (auto deps = ParseDeclared(args->deps); !deps.ok()) return Usage(deps.status());
    if (!args->version.empty()) {
      if (args->module.empty()) return Usage(Status::InvalidArgument("--version needs --module"));
      if (args->version != "latest") {
        if (auto v = SemVer::Parse(args->version); !v.ok()) return Usage(v.status());
      }
    }
    auto store = OpenLocalStore();
    if (!store.ok()) return store.status();
    Resolution resolution;
    auto lock = args->version.empty() ? LockModuleDir(**store, *flags, *args, &resolution)
                                      : LockVersion(**store, *flags, *args);
    if (!lock.ok()) return lock.status();
    const std::string lock_path = (std::filesystem::path(args->dir) / kLockFile).string();
    if (Status s = lock->Save(lock_path); !s.ok()) return s;
    if (args->json) {
      Json out = Json::MakeObject();
      out.Set("lock", lock_path);
      Json list = Json::MakeArray();
      for (const auto& [module, pin] : lock->entries) list.Push(DependencyPinToJson(pin));
      out.Set("locked", std::move(list));
      out.Set("resolved", ResolvedToJson(resolution));
      std::printf("%s\n", out.Dump(2).c_str());
      return Status::Ok();
    }
    PrintResolved(resolution, "");
    for (const auto& [module, pin] : lock->entries) {
      std::printf("Locked %s@%s (%s)\n", pin.module.c_str(), pin.version.c_str(),
                  pin.digest.c_str());
    }
    std::printf("Wrote %s (%s)\n", lock_path.c_str(),
                Plural(lock->entries.size(), "module").c_str());
    return Status::Ok();
  };
}

}  // namespace spoke::cli
