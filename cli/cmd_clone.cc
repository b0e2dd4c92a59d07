// spoke clone: copy a whole registry (or one module) into a store, like `git clone --mirror`, and
// record in the store what was cloned, which a bare `spoke fetch` then keeps to.
#include <cstdio>
#include <filesystem>

#include "context.h"
#include "plural.h"
#include "spoke/names.h"
#include "spoke/refs.h"
#include "spoke/sync.h"

namespace spoke::cli {

void SetupClone(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    std::string url, dir, module;
  };
  auto args = std::make_shared<Args>();
  sub->add_option("url", args->url, "Registry URL, e.g. http://localhost:8080")->required();
  sub->add_option("dir", args->dir,
                  "Store to create (default: the local store, $SPOKE_HOME or ~/.spoke)");
  sub->add_option(
      "-m,--module", args->module,
      "Clone only this module; later fetches without -module keep to it (and to any other "
      "module cloned into the same store)");
  *run = [args, flags]() -> CommandOutcome {
    if (!args->module.empty()) {
      if (Status s = ValidateModuleName(args->module); !s.ok()) return Usage(s);
    }
    std::string dir = args->dir.empty() ? LocalStorePath() : args->dir;
    std::error_code ec;
    if (!args->dir.empty() && std::filesystem::exists(dir, ec) &&
        !std::filesystem::is_empty(dir, ec)) {
      return Status::AlreadyExists("destination " + dir + " already exists and is not empty");
    }
    auto store = Store::Open(dir, /*create=*/true);
    if (!store.ok()) return store.status();
    GlobalFlags with_url = *flags;
    with_url.registry = args->url;
    auto remote = ConnectRegistry(with_url);
    if (!remote.ok()) return Usage(remote.status());
    std::vector<std::string> prefixes = {kAllRefsPrefix};
    if (!args->module.empty()) prefixes = ModulePrefixes(args->module);
    auto fetched = FetchPrefixes(**store, **remote, prefixes);
    if (!fetched.ok()) return fetched.status();
    // So that a later `spoke fetch` keeps to what was cloned.
    if (Status s = RecordFetchPrefixes(**store, prefixes); !s.ok()) return s;
    std::printf("Cloned %s into %s: %s, %s of pack\n", args->url.c_str(), (*store)->path().c_str(),
                Plural(fetched->refs.size(), "ref").c_str(),
                Plural(fetched->pack_bytes, "byte").c_str());
    return Status::Ok();
  };
}

}  // namespace spoke::cli
