// spoke pull: write a module version's files into a directory, from the local store when it has
// the version (no network at all), else fetched from the registry first.
#include <cstdio>

#include "context.h"
#include "spoke/json.h"
#include "spoke/names.h"
#include "spoke/semver.h"
#include "spoke/sync.h"

namespace spoke::cli {

void SetupPull(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    std::string module, version = "latest", dir = ".";
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  sub->add_option("-m,--module", args->module, "Module name")->required();
  sub->add_option("-v,--version", args->version, "Version to pull, or latest")->capture_default_str();
  sub->add_option("-d,--dir", args->dir, "Directory to write the files into")->capture_default_str();
  sub->add_flag("--json", args->json, "Print the result as JSON");
  *run = [args, flags]() -> int {
    if (Status s = ValidateModuleName(args->module); !s.ok()) return UsageError(s);
    if (args->version != "latest") {
      if (auto v = SemVer::Parse(args->version); !v.ok()) return UsageError(v.status());
    }
    auto store = OpenLocalStore();
    if (!store.ok()) return Fail(store.status());
    Result<VersionInfo> version = Status::NotFound("");
    // An exact version already in the local store needs no registry at all.
    if (args->version != "latest") version = (*store)->GetVersion(args->module, args->version);
    if (!version.ok()) {
      auto remote = ConnectRegistry(*flags);
      if (!remote.ok()) return UsageError(remote.status());
      version = EnsureVersion(**store, remote->get(), args->module, args->version);
    }
    if (!version.ok()) return Fail(version.status());
    if (Status s = (*store)->CheckoutFiles(*version, args->dir); !s.ok()) return Fail(s);
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
      std::printf("Pulled %s@%s (%zu files) into %s\n", version->module.c_str(), version->version.c_str(),
                  version->manifest.files.size(), args->dir.c_str());
    }
    return kExitOk;
  };
}

}  // namespace spoke::cli
