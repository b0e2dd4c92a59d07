// spoke log: a module's versions along its history, newest first, like `git log`.
#include <cstdio>
#include <ctime>

#include "context.h"
#include "spoke/json.h"
#include "spoke/names.h"
#include "spoke/refs.h"
#include "spoke/sync.h"

namespace spoke::cli {

namespace {
std::string LocalTime(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}
}  // namespace

void SetupLog(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    std::string module;
    bool json = false, offline = false;
  };
  auto args = std::make_shared<Args>();
  sub->add_option("-m,--module", args->module, "Module name")->required();
  sub->add_flag("--json", args->json, "Print the history as JSON");
  sub->add_flag("--offline", args->offline,
                "Do not fetch from the registry first; show the local store");
  *run = [args, flags]() -> CommandOutcome {
    if (Status s = ValidateModuleName(args->module); !s.ok()) return Usage(s);
    auto store = OpenLocalStore();
    if (!store.ok()) return store.status();
    if (!args->offline) {
      auto remote = ConnectRegistry(*flags);
      if (!remote.ok()) return Usage(remote.status());
      auto fetched = FetchPrefixes(
          **store, **remote, {ModuleBranchRef(args->module), ModuleTagRefsPrefix(args->module)});
      if (!fetched.ok()) {
        if (!RegistryUnreachable(fetched.status())) return fetched.status();
        WarnUsingLocalStore(fetched.status(), "showing the local store");
      }
    }
    auto log = (*store)->Log(args->module);
    if (!log.ok()) return log.status();
    if (args->json) {
      Json list = Json::MakeArray();
      for (const auto& v : *log) {
        Json entry = Json::MakeObject();
        entry.Set("version", v.version);
        entry.Set("commit", v.commit_id);
        entry.Set("digest", v.manifest.digest);
        entry.Set("created", static_cast<int64_t>(v.created));
        entry.Set("description", v.manifest.description);
        entry.Set("files", static_cast<int64_t>(v.manifest.files.size()));
        list.Push(std::move(entry));
      }
      Json out = Json::MakeObject();
      out.Set("module", args->module);
      out.Set("versions", std::move(list));
      std::printf("%s\n", out.Dump(2).c_str());
      return Status::Ok();
    }
    for (const auto& v : *log) {
      std::printf("version %s (%s)\n", v.version.c_str(), v.commit_id.c_str());
      std::printf("Date:    %s\nDigest:  %s\nFiles:   %zu\n", LocalTime(v.created).c_str(),
                  v.manifest.digest.c_str(), v.manifest.files.size());
      if (!v.manifest.description.empty())
        std::printf("\n    %s\n", v.manifest.description.c_str());
      std::printf("\n");
    }
    if (log->empty()) std::printf("module %s has no versions yet\n", args->module.c_str());
    return Status::Ok();
  };
}

}  // namespace spoke::cli
