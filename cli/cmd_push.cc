// spoke push: build a module version from a directory in the local store, then sync it to the
// registry.
#include <cstdio>

#include "context.h"
#include "module_dir.h"
#include "spoke/json.h"
#include "spoke/names.h"
#include "spoke/semver.h"
#include "spoke/sync.h"

namespace spoke::cli {

void SetupPush(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    std::string module, version, dir = ".", description;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  sub->add_option("-m,--module", args->module, "Module name, e.g. user or payments/ledger")->required();
  sub->add_option("-v,--version", args->version, "Version to create, semver with a v prefix (v1.2.3)")->required();
  sub->add_option("-d,--dir", args->dir, "Directory holding the module's .proto files")->capture_default_str();
  sub->add_option("--description", args->description, "What this version changes");
  sub->add_flag("--json", args->json, "Print the result as JSON");
  *run = [args, flags]() -> int {
    if (Status s = ValidateModuleName(args->module); !s.ok()) return UsageError(s);
    if (auto v = SemVer::Parse(args->version); !v.ok()) return UsageError(v.status());
    auto files = ReadModuleDir(args->dir);
    if (!files.ok()) return Fail(files.status());
    auto store = OpenLocalStore();
    if (!store.ok()) return Fail(store.status());
    auto remote = ConnectRegistry(*flags);
    if (!remote.ok()) return UsageError(remote.status());
    NewVersion request{args->module, args->version, args->description, std::move(*files), {}};
    auto pushed = PushVersion(**store, **remote, request);
    if (!pushed.ok()) return Fail(pushed.status());
    const VersionInfo& v = pushed->version;
    if (args->json) {
      Json out = Json::MakeObject();
      out.Set("module", v.module);
      out.Set("version", v.version);
      out.Set("digest", v.manifest.digest);
      out.Set("commit", v.commit_id);
      out.Set("created", pushed->created);
      out.Set("files", static_cast<int64_t>(v.manifest.files.size()));
      out.Set("registry", (*remote)->url());
      std::printf("%s\n", out.Dump(2).c_str());
    } else if (pushed->created) {
      std::printf("Pushed %s@%s (%zu files, %s) to %s\n", v.module.c_str(), v.version.c_str(),
                  v.manifest.files.size(), v.manifest.digest.c_str(), (*remote)->url().c_str());
    } else {
      std::printf("%s@%s is already in %s with the same content (%s); nothing to do\n", v.module.c_str(),
                  v.version.c_str(), (*remote)->url().c_str(), v.manifest.digest.c_str());
    }
    return kExitOk;
  };
}

}  // namespace spoke::cli
