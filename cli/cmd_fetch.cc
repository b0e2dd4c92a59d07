// spoke fetch: bring the local store up to date with the registry: one module, or what
// `spoke clone` recorded in the store (the whole registry when nothing was).
#include <cstdio>

#include "context.h"
#include "plural.h"
#include "spoke/json.h"
#include "spoke/names.h"
#include "spoke/sync.h"

namespace spoke::cli {

void SetupFetch(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    std::string module;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  sub->add_option(
      "-m,--module", args->module,
      "Fetch only this module (default: what spoke clone recorded in the local store, else the "
      "whole registry)");
  sub->add_flag("--json", args->json, "Print what changed as JSON");
  *run = [args, flags]() -> CommandOutcome {
    if (!args->module.empty()) {
      if (Status s = ValidateModuleName(args->module); !s.ok()) return Usage(s);
    }
    auto store = OpenLocalStore();
    if (!store.ok()) return store.status();
    auto remote = ConnectRegistry(*flags);
    if (!remote.ok()) return Usage(remote.status());
    auto recorded = RecordedFetchPrefixes(**store);
    if (!recorded.ok()) return recorded.status();
    std::vector<std::string> prefixes =
        args->module.empty() ? *recorded : ModulePrefixes(args->module);
    auto fetched = FetchPrefixes(**store, **remote, prefixes);
    if (!fetched.ok()) return fetched.status();
    const size_t bytes = fetched->pack_bytes;
    std::vector<RefResult> changed;
    for (auto& ref : fetched->refs) {
      if (ref.change != RefChange::kUnchanged) changed.push_back(std::move(ref));
    }
    if (args->json) {
      Json out = Json::MakeObject();
      Json list = Json::MakeArray();
      for (const auto& ref : changed) {
        Json entry = Json::MakeObject();
        entry.Set("name", ref.name);
        entry.Set("target", ref.target);
        entry.Set("status", RefChangeName(ref.change));
        list.Push(std::move(entry));
      }
      out.Set("refs", std::move(list));
      out.Set("pack_bytes", static_cast<int64_t>(bytes));
      std::printf("%s\n", out.Dump(2).c_str());
      return Status::Ok();
    }
    if (changed.empty()) {
      std::printf("Already up to date with %s\n", (*remote)->url().c_str());
    } else {
      for (const auto& ref : changed)
        std::printf(" * %-8s %s\n", RefChangeName(ref.change), ref.name.c_str());
      std::printf("Fetched %s (%s of pack) from %s\n", Plural(changed.size(), "ref").c_str(),
                  Plural(bytes, "byte").c_str(), (*remote)->url().c_str());
    }
    return Status::Ok();
  };
}

}  // namespace spoke::cli
