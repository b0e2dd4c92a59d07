// spoke batch-push: push every module of a directory tree in dependency order (workspace.h). Each
// module's imports of another module of the tree pin the version this run pushes of it; every
// other import is resolved as `spoke push` resolves it (resolve.h).
#include <cstdio>
#include <map>
#include <set>

#include "context.h"
#include "plural.h"
#include "resolution.h"
#include "spoke/semver.h"
#include "spoke/sync.h"
#include "spoke/workspace.h"
#include "version_from_git.h"

namespace spoke::cli {

namespace {

struct BatchArgs {
  std::string dir = ".", version, description;
  bool recursive = false, keep_going = false, dry_run = false, json = false;
};

// What happened to one module.
struct Outcome {
  const WorkspaceModule* module = nullptr;
  std::string status;  // "created", "unchanged", "failed", "skipped", "planned"
  VersionInfo pushed;
  Resolution resolution;
  std::string error;
};

// Resolves and pushes one module; `versions` holds the version this run pushes of each module.
Outcome PushOne(Store& store, RemoteClient& remote, const BatchArgs& args,
                const WorkspaceModule& module, const std::map<std::string, std::string>& versions) {
  Outcome outcome{&module, "failed", {}, {}, ""};
  auto fail = [&outcome](const Status& s) {
    outcome.error = s.message();
    return outcome;
  };
  auto declared = ParseDeclared(module.declared);
  if (!declared.ok()) return fail(declared.status());
  std::set<std::string> named;
  for (const auto& dep : *declared) named.insert(dep.module);
  // A version spoke.yaml declares wins over the one this run pushes.
  for (const auto& [dep, why] : module.needs) {
    if (!named.count(dep)) declared->push_back({dep, versions.at(dep), "", "", ""});
  }
  auto lock = LoadDirLock(module.dir);
  if (!lock.ok()) return fail(lock.status());
  ResolveRequest request{module.name,
                         module.version,
                         &module.files,
                         std::move(*declared),
                         lock->has_value() ? &**lock : nullptr,
                         module.dir + "/" + kLockFile};
  auto resolution = ResolveDependencies(store, &remote, request);
  if (!resolution.ok()) return fail(resolution.status());
  outcome.resolution = std::move(*resolution);
  NewVersion version{module.name, module.version, args.description, module.files,
                     outcome.resolution.pins};
  auto pushed = PushVersion(store, remote, version);
  if (!pushed.ok()) return fail(pushed.status());
  outcome.status = pushed->created ? "created" : "unchanged";
  outcome.pushed = std::move(pushed->version);
  return outcome;
}

void PrintOutcome(const Outcome& o, size_t index, size_t total) {
  const WorkspaceModule& m = *o.module;
  std::printf("[%zu/%zu] %s@%s: ", index, total, m.name.c_str(), m.version.c_str());
  if (o.status == "planned") {
    std::string needs;
    for (const auto& [dep, why] : m.needs) needs += (needs.empty() ? "" : ", ") + dep;
    std::printf("%s%s%s\n", Plural(m.files.size(), "file").c_str(), needs.empty() ? "" : ", needs ",
                needs.c_str());
  } else if (o.status == "created" || o.status == "unchanged") {
    std::printf("%s (%s, %s)\n", o.status == "created" ? "pushed" : "already there, unchanged",
                Plural(m.files.size(), "file").c_str(), o.pushed.manifest.digest.c_str());
    PrintResolved(o.resolution, "  ");
  } else if (o.status == "skipped") {
    std::printf("skipped: %s\n", o.error.c_str());
  } else {
    std::printf("FAILED\n");
    std::fprintf(stderr, "spoke: %s@%s: %s\n", m.name.c_str(), m.version.c_str(), o.error.c_str());
  }
  std::fflush(stdout);
}

Json OutcomesToJson(const std::vector<Outcome>& outcomes,
                    const std::map<std::string, GitVersion>& from_git) {
  Json list = Json::MakeArray();
  for (const auto& o : outcomes) {
    Json entry = Json::MakeObject();
    entry.Set("module", o.module->name);
    entry.Set("version", o.module->version);
    if (auto it = from_git.find(o.module->name); it != from_git.end())
      entry.Set("version_from", it->second.Origin());
    entry.Set("status", o.status);
    entry.Set("files", static_cast<int64_t>(o.module->files.size()));
    Json needs = Json::MakeArray();
    for (const auto& [dep, why] : o.module->needs) needs.Push(dep);
    entry.Set("needs", std::move(needs));
    if (!o.pushed.commit_id.empty()) {
      entry.Set("digest", o.pushed.manifest.digest);
      entry.Set("commit", o.pushed.commit_id);
      Json deps = Json::MakeArray();
      for (const auto& dep : o.pushed.manifest.dependencies)
        deps.Push(dep.module + "@" + dep.version);
      entry.Set("dependencies", std::move(deps));
      entry.Set("resolved", ResolvedToJson(o.resolution));
    }
    if (!o.error.empty()) entry.Set("error", o.error);
    list.Push(std::move(entry));
  }
  Json out = Json::MakeObject();
  out.Set("modules", std::move(list));
  return out;
}

// Gives each module spoke.yaml gives no version -version, else the version derived from git, and
// says which were derived and from what (once when they all agree).
CommandOutcome AssignVersions(const BatchArgs& args, std::vector<WorkspaceModule>* modules,
                              std::map<std::string, GitVersion>* from_git) {
  std::vector<std::string> unversioned;
  for (auto& m : *modules) {
    if (m.version.empty()) m.version = args.version;
    if (m.version.empty()) unversioned.push_back(m.name);
  }
  if (unversioned.empty()) return Status::Ok();
  auto derived = VersionsFromGit(args.dir, unversioned);
  if (!derived.ok()) return VersionFromGitFailure(derived.status());
  *from_git = std::move(*derived);
  std::set<std::string> lines;
  for (auto& m : *modules) {
    auto it = from_git->find(m.name);
    if (it == from_git->end()) continue;
    m.version = it->second.version;
    lines.insert("version " + m.version + " from " + it->second.Origin());
  }
  if (args.json) return Status::Ok();
  if (lines.size() == 1) {
    std::printf("%s\n", lines.begin()->c_str());
  } else {
    for (const auto& [name, derived_version] : *from_git) {
      std::printf("%s: version %s from %s\n", name.c_str(), derived_version.version.c_str(),
                  derived_version.Origin().c_str());
    }
  }
  return Status::Ok();
}

}  // namespace

void SetupBatchPush(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  auto args = std::make_shared<BatchArgs>();
  sub->add_option("-d,--dir", args->dir, "The directory tree holding the modules")
      ->capture_default_str();
  sub->add_flag("--recursive", args->recursive,
                "Look for spoke.yaml module roots at any depth, not only at the top");
  sub->add_option(
      "-v,--version", args->version,
      "Version to push of every module whose spoke.yaml names none (default: derived from git)");
  sub->add_option("--description", args->description, "What these versions change");
  sub->add_flag(
      "-k,--keep-going", args->keep_going,
      "After a failure, push every module that does not need the failed one (exit 1 at the end)");
  sub->add_flag("-n,--dry-run", args->dry_run,
                "Print the modules in push order and what each needs; push nothing");
  sub->add_flag("--json", args->json, "Print the outcome as JSON");
  sub->footer(
      "Modules: every directory with a spoke.yaml (its module:, version: and deps:), or, when "
      "there is\n"
      "none, one module per top-level directory of DIR, named after it, with paths relative to "
      "DIR.\n"
      "Modules are pushed after the modules their imports need; an import cycle is reported and\n"
      "nothing is pushed. Pushing the same tree again changes nothing.\n"
      "\n"
      "Versions: spoke.yaml's version:, else -version, else derived from git when DIR is in a git\n"
      "work tree, as Go derives module versions: the tag on HEAD (vX.Y.Z, or <module>/vX.Y.Z when\n"
      "the module has tags of its own), else a pseudo-version of HEAD's commit:\n"
      "v0.0.0-20261204183000-abcdef123456, or v1.2.4-0.20261204183000-abcdef123456 after v1.2.3\n"
      "(committer time in UTC, 12 digits of the commit id). A derived version names a commit, so\n"
      "it is refused while a .proto file, spoke.yaml or spoke.lock under DIR is not as committed\n"
      "(modified, staged, deleted, untracked or ignored): commit, or pass -version.\n"
      "\n"
      "Exit codes: 0 every module pushed or unchanged; 1 a module failed, an import cycle, or the\n"
      "registry refused; 2 usage: a bad flag, a DIR that is not a tree of modules, no version.");
  *run = [args, flags]() -> CommandOutcome {
    if (!args->version.empty()) {
      if (auto v = SemVer::Parse(args->version); !v.ok()) return Usage(v.status());
    }
    auto found = FindModules(args->dir, args->recursive);
    if (!found.ok()) {
      // A -dir that is not a tree of modules is a wrong argument; a tree that cannot be read is
      // not.
      return UsageIfInvalid(found.status());
    }
    std::map<std::string, GitVersion> from_git;
    if (CommandOutcome assigned = AssignVersions(*args, &*found, &from_git); !assigned.ok())
      return assigned;
    if (Status s = ReadModuleFiles(&*found); !s.ok()) return s;
    auto ordered = OrderByImports(std::move(*found));
    if (!ordered.ok()) return ordered.status();
    std::map<std::string, std::string> versions;
    for (const auto& m : *ordered) versions[m.name] = m.version;
    std::vector<Outcome> outcomes;
    std::unique_ptr<Store> store;
    std::unique_ptr<RemoteClient> remote;
    if (!args->dry_run) {
      auto opened = OpenLocalStore();
      if (!opened.ok()) return opened.status();
      store = std::move(*opened);
      auto connected = ConnectRegistry(*flags);
      if (!connected.ok()) return Usage(connected.status());
      remote = std::move(*connected);
    }
    std::set<std::string> broken;  // modules that failed or were skipped
    bool stop = false;
    for (const auto& module : *ordered) {
      Outcome outcome{&module, "skipped", {}, {}, "not attempted after an earlier failure"};
      if (args->dry_run) {
        outcome.status = "planned";
        outcome.error.clear();
      } else if (!stop) {
        std::string broken_need;
        for (const auto& [dep, why] : module.needs) {
          if (broken.count(dep)) broken_need = dep;
        }
        if (!broken_need.empty()) {
          outcome.error = "needs " + broken_need + ", which was not pushed";
        } else {
          outcome = PushOne(*store, *remote, *args, module, versions);
        }
      }
      if (outcome.status == "failed" || outcome.status == "skipped") broken.insert(module.name);
      if (outcome.status == "failed" && !args->keep_going) stop = true;
      if (!args->json) PrintOutcome(outcome, outcomes.size() + 1, ordered->size());
      outcomes.push_back(std::move(outcome));
    }
    if (args->json) std::printf("%s\n", OutcomesToJson(outcomes, from_git).Dump(2).c_str());
    std::map<std::string, int> counts;
    for (const auto& o : outcomes) ++counts[o.status];
    if (!args->json && !args->dry_run) {
      std::printf("%d pushed, %d unchanged, %d failed, %d skipped (%s) to %s\n", counts["created"],
                  counts["unchanged"], counts["failed"], counts["skipped"],
                  Plural(outcomes.size(), "module").c_str(), remote->url().c_str());
    }
    // Each failure is in the outcomes printed above.
    return CommandOutcome::Shown(!broken.empty());
  };
}

}  // namespace spoke::cli
