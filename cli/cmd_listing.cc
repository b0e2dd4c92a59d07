// spoke versions / spoke modules: what the registry holds (the local store when it is offline).
#include <cstdio>
#include <map>

#include "context.h"
#include "plural.h"
#include "spoke/json.h"
#include "spoke/names.h"
#include "spoke/refs.h"
#include "spoke/semver.h"

namespace spoke::cli {
namespace {

// Refs under `prefix` from the registry, or from the local store (with a note) when it is down.
Result<std::vector<RefEntry>> RegistryOrLocalRefs(const GlobalFlags& flags,
                                                  const std::string& prefix, bool offline) {
  if (!offline) {
    SPOKE_ASSIGN_OR_RETURN(auto remote, ConnectRegistry(flags));
    auto refs = remote->ListRefs(prefix);
    if (refs.ok() || !RegistryUnreachable(refs.status())) return refs;
    WarnUsingLocalStore(refs.status(), "showing the local store");
  }
  SPOKE_ASSIGN_OR_RETURN(auto store, OpenLocalStore());
  return store->ListRefs(prefix);
}

// A registry URL that cannot be used is a usage error (exit 2), as in every other command, not a
// failure to reach the registry.
Status CheckRegistryUrl(const GlobalFlags& flags, bool offline) {
  if (offline) return Status::Ok();
  return ConnectRegistry(flags).status();
}

}  // namespace

void SetupVersions(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    std::string module;
    bool json = false, offline = false;
  };
  auto args = std::make_shared<Args>();
  sub->add_option("-m,--module", args->module, "Module name")->required();
  sub->add_flag("--json", args->json, "Print as JSON");
  sub->add_flag("--offline", args->offline, "List the local store instead of the registry");
  *run = [args, flags]() -> CommandOutcome {
    if (Status s = ValidateModuleName(args->module); !s.ok()) return Usage(s);
    if (Status s = CheckRegistryUrl(*flags, args->offline); !s.ok()) return Usage(s);
    auto refs = RegistryOrLocalRefs(*flags, ModuleTagRefsPrefix(args->module), args->offline);
    if (!refs.ok()) return refs.status();
    std::vector<std::string> versions;
    for (const auto& ref : *refs) {
      std::string m, v;
      if (ParseVersionTagRef(ref.name, &m, &v) && m == args->module) versions.push_back(v);
    }
    SortVersions(&versions);
    auto latest = HighestRelease(versions);
    if (args->json) {
      Json out = Json::MakeObject();
      out.Set("module", args->module);
      Json list = Json::MakeArray();
      for (const auto& v : versions) list.Push(v);
      out.Set("versions", std::move(list));
      if (latest) out.Set("latest", *latest);
      std::printf("%s\n", out.Dump(2).c_str());
      return Status::Ok();
    }
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      std::printf("%s%s\n", it->c_str(), latest && *latest == *it ? "  (latest)" : "");
    }
    return Status::Ok();
  };
}

void SetupModules(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    bool json = false, offline = false;
  };
  auto args = std::make_shared<Args>();
  sub->add_flag("--json", args->json, "Print as JSON");
  sub->add_flag("--offline", args->offline, "List the local store instead of the registry");
  *run = [args, flags]() -> CommandOutcome {
    if (Status s = CheckRegistryUrl(*flags, args->offline); !s.ok()) return Usage(s);
    auto refs = RegistryOrLocalRefs(*flags, kAllRefsPrefix, args->offline);
    if (!refs.ok()) return refs.status();
    std::map<std::string, std::vector<std::string>> modules;
    for (const auto& ref : *refs) {
      std::string m, v;
      if (ParseModuleBranchRef(ref.name, &m)) modules[m];
      if (ParseVersionTagRef(ref.name, &m, &v)) modules[m].push_back(v);
    }
    Json list = Json::MakeArray();
    for (auto& [name, versions] : modules) {
      auto latest = HighestRelease(versions);
      if (args->json) {
        Json entry = Json::MakeObject();
        entry.Set("name", name);
        entry.Set("versions", static_cast<int64_t>(versions.size()));
        if (latest) entry.Set("latest", *latest);
        list.Push(std::move(entry));
      } else {
        std::printf("%-40s %12s  latest %s\n", name.c_str(),
                    Plural(versions.size(), "version").c_str(), latest ? latest->c_str() : "-");
      }
    }
    if (args->json) {
      Json out = Json::MakeObject();
      out.Set("modules", std::move(list));
      std::printf("%s\n", out.Dump(2).c_str());
    }
    return Status::Ok();
  };
}

}  // namespace spoke::cli
