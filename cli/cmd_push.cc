// spoke push: build a module version from a directory in the local store, then sync it to the
// registry. Dependencies are resolved first (resolve.h): declared ones, the directory's spoke.lock,
// then the registry's import index for imports nothing declared.
#include <cstdio>
#include <filesystem>
#include <optional>

#include "context.h"
#include "module_dir.h"
#include "plural.h"
#include "resolution.h"
#include "spoke/json.h"
#include "spoke/module_config.h"
#include "spoke/names.h"
#include "spoke/policy.h"
#include "spoke/semver.h"
#include "spoke/sync.h"
#include "version_from_git.h"

namespace spoke::cli {
namespace {

// -compat: a module the registry does not know yet is created with the level; an existing one must
// already have it (changing a level is `spoke compat -set`, a deliberate act of its own).
Status EnsureCompatibility(RemoteClient& remote, const std::string& module,
                           const std::string& description, const std::string& level) {
  auto info = remote.GetModule(module);
  if (!info.ok() && info.status().code() == Status::Code::kNotFound) {
    auto created = remote.CreateModule(module, description, CompatibilityName(level));
    if (created.ok() || created.status().code() != Status::Code::kAlreadyExists)
      return created.status();
    info = remote.GetModule(module);
  }
  if (!info.ok()) return info.status();
  std::string current = info->GetString("compatibility");
  std::string wanted = CompatibilityName(level);
  if (current != wanted) {
    return Status::FailedPrecondition(
        "module " + module + " has compatibility " + current + ", not " + wanted +
        "; change it with: spoke compat -module " + module + " -set " + wanted);
  }
  return Status::Ok();
}

}  // namespace

void SetupPush(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    std::string module, version, dir = ".", description, compat;
    std::vector<std::string> deps;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  sub->add_option("-m,--module", args->module,
                  "Module name, e.g. user or payments/ledger (default: spoke.yaml's)");
  sub->add_option(
      "-v,--version", args->version,
      "Version to create, semver with a v prefix (default: spoke.yaml's, else derived from git)");
  sub->add_option("-d,--dir", args->dir, "Directory holding the module's .proto files")
      ->capture_default_str();
  sub->add_option("--description", args->description, "What this version changes");
  sub->add_option("--dep", args->deps,
                  "A dependency, module@version (repeatable; adds to spoke.yaml's deps)");
  sub->add_option("--compat", args->compat,
                  "Compatibility level of a new module: FILE, PACKAGE, WIRE_JSON, WIRE or NONE; "
                  "the registry then "
                  "refuses versions that break the previous release of their major version");
  sub->add_flag("--json", args->json, "Print the result as JSON");
  sub->footer(
      "Imports that neither the module's files nor its declared dependencies provide are resolved\n"
      "through DIR/spoke.lock when there is one, then through the registry's import index (the\n"
      "highest release of the one module providing the path); each is reported and pinned.\n"
      "\n"
      "Without a version (no -version, no version: in spoke.yaml), DIR must be in a git work "
      "tree:\n"
      "the version is the tag on HEAD (vX.Y.Z, or MODULE/vX.Y.Z), else a Go pseudo-version of\n"
      "HEAD's commit (v0.0.0-20261204183000-abcdef123456; see spoke batch-push --help). It is\n"
      "refused while a .proto file, spoke.yaml or spoke.lock under DIR is not as committed:\n"
      "commit, or pass -version.");
  *run = [args, flags]() -> CommandOutcome {
    auto config = LoadModuleConfig(args->dir);
    if (!config.ok()) return config.status();
    if (args->module.empty()) args->module = config->module;
    if (args->version.empty()) args->version = config->version;
    if (args->module.empty())
      return Usage(Status::InvalidArgument("--module is required (or module: in spoke.yaml)"));
    if (Status s = ValidateModuleName(args->module); !s.ok()) return Usage(s);
    std::optional<GitVersion> from_git;
    if (args->version.empty()) {
      auto derived = VersionsFromGit(args->dir, {args->module});
      if (!derived.ok()) return VersionFromGitFailure(derived.status());
      from_git = derived->at(args->module);
      args->version = from_git->version;
      if (!args->json)
        std::printf("version %s from %s\n", args->version.c_str(), from_git->Origin().c_str());
    }
    if (auto v = SemVer::Parse(args->version); !v.ok()) return Usage(v.status());
    std::vector<std::string> specs = config->deps;
    specs.insert(specs.end(), args->deps.begin(), args->deps.end());
    auto declared = ParseDeclared(specs);
    if (!declared.ok()) return Usage(declared.status());
    auto read = ReadModuleDir(args->dir);
    if (!read.ok()) return read.status();
    // Said even with --json and -q: leaving files out is a decision the user may not expect.
    for (const auto& skipped : read->skipped) {
      std::fprintf(stderr, "%s\n", DescribeSkipped(args->dir, skipped).c_str());
    }
    FileSet& files = read->own;
    auto lock = LoadDirLock(args->dir);
    if (!lock.ok()) return lock.status();
    auto store = OpenLocalStore();
    if (!store.ok()) return store.status();
    std::string compat;
    if (!args->compat.empty()) {
      auto parsed = ParseCompatibility(args->compat);
      if (!parsed.ok()) return Usage(parsed.status());
      compat = *parsed;
    }
    auto remote = ConnectRegistry(*flags);
    if (!remote.ok()) return Usage(remote.status());
    ResolveRequest resolve{args->module,
                           args->version,
                           &files,
                           std::move(*declared),
                           lock->has_value() ? &**lock : nullptr,
                           (std::filesystem::path(args->dir) / kLockFile).string()};
    auto resolution = ResolveDependencies(**store, remote->get(), resolve);
    if (!resolution.ok()) return resolution.status();
    if (!args->compat.empty()) {
      if (Status s = EnsureCompatibility(**remote, args->module, args->description, compat);
          !s.ok())
        return s;
    }
    NewVersion request{args->module, args->version, args->description, std::move(files),
                       resolution->pins};
    auto pushed = PushVersion(**store, **remote, request);
    if (!pushed.ok()) return pushed.status();
    const VersionInfo& v = pushed->version;
    if (args->json) {
      Json out = Json::MakeObject();
      out.Set("module", v.module);
      out.Set("version", v.version);
      if (from_git) out.Set("version_from", from_git->Origin());
      out.Set("digest", v.manifest.digest);
      out.Set("commit", v.commit_id);
      out.Set("created", pushed->created);
      Json file_list = Json::MakeArray();
      for (const auto& file : v.manifest.files) file_list.Push(file.path);
      out.Set("files", std::move(file_list));
      Json skipped_list = Json::MakeArray();
      for (const auto& skipped : read->skipped) {
        Json entry = Json::MakeObject();
        entry.Set("dir", skipped.path);
        entry.Set("holds", skipped.marker);
        skipped_list.Push(std::move(entry));
      }
      out.Set("skipped", std::move(skipped_list));
      out.Set("registry", (*remote)->url());
      Json dep_list = Json::MakeArray();
      for (const auto& dep : v.manifest.dependencies) dep_list.Push(dep.module + "@" + dep.version);
      out.Set("dependencies", std::move(dep_list));
      out.Set("resolved", ResolvedToJson(*resolution));
      std::printf("%s\n", out.Dump(2).c_str());
      return Status::Ok();
    }
    PrintResolved(*resolution, "");
    if (pushed->created) {
      std::printf("Pushed %s@%s (%s, %s) to %s\n", v.module.c_str(), v.version.c_str(),
                  Plural(v.manifest.files.size(), "file").c_str(), v.manifest.digest.c_str(),
                  (*remote)->url().c_str());
    } else {
      std::printf("%s@%s is already in %s with the same content (%s); nothing to do\n",
                  v.module.c_str(), v.version.c_str(), (*remote)->url().c_str(),
                  v.manifest.digest.c_str());
    }
    if (!flags->quiet) {
      for (const auto& file : v.manifest.files) std::printf("  %s\n", file.path.c_str());
    }
    return Status::Ok();
  };
}

}  // namespace spoke::cli
