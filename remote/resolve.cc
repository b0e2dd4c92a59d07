// Dependency resolution for push and lock: declared pins first, then the lock, then the registry's
// import index, each step only for the imports the previous ones left unsatisfied. It lives with
// the client (remote/) because it fetches what it pins and asks the registry's index; the graph
// walks and closures it builds on (deps.h) need no network.
#include "spoke/resolve.h"

#include <map>
#include <set>

#include "spoke/compiler.h"
#include "spoke/deps.h"
#include "spoke/import_index.h"
#include "spoke/sync.h"

namespace spoke {
namespace {

constexpr char kFromLock[] = "spoke.lock";
constexpr char kFromIndex[] = "registry index";
constexpr char kDeclaredMounted[] = "declared; mounted under its name";

using ImportsByPath = std::map<std::string, std::vector<ImportStatement>>;

// ResolvePins, or with no registry the local store's versions ("latest": its highest release).
Result<std::vector<DependencyPin>> PinVersions(Store& local, RemoteClient* remote,
                                               const std::vector<DependencyPin>& wanted) {
  if (remote) return ResolvePins(local, *remote, wanted);
  std::vector<DependencyPin> pins;
  for (const auto& dep : wanted) {
    auto version = local.GetVersion(dep.module, dep.version);
    if (!version.ok()) {
      return version.status().WithContext("dependency " + dep.module + "@" + dep.version +
                                          " (offline: only the local store is searched)");
    }
    pins.push_back(version->Pin(dep.mount));
  }
  return pins;
}

// The imports that neither the files, the compiler nor the closure of `pins` provide, by path.
Result<ImportsByPath> Unsatisfied(const Store& local, const ResolveRequest& request,
                                  const std::string& root, const std::vector<DependencyPin>& pins,
                                  const std::vector<ImportStatement>& imports) {
  const FileSet& files = *request.files;
  SPOKE_ASSIGN_OR_RETURN(auto reached, WalkDependencies(local, root, pins));
  std::set<std::string> provided;
  for (const auto& r : reached) {
    for (const auto& file : r.version.manifest.files) {
      provided.insert(r.mount.empty() ? file.path : r.mount + "/" + file.path);
    }
  }
  ImportsByPath missing;
  for (const auto& import : imports) {
    if (files.count(import.path) || provided.count(import.path) || CompilerProvides(import.path))
      continue;
    if (request.also_importable && request.also_importable->count(import.path)) continue;
    missing[import.path].push_back(import);
  }
  return missing;
}

// The original Spoke laid a module out under its own name, so its files could import each other
// as "<module>/<path>". Spoke keeps a module's own files at their paths (what buf does), so such
// an import is refused with the spelling that works, rather than resolved to some published
// version of the module itself.
Status RefuseSelfImports(const ResolveRequest& request, const ImportsByPath& missing) {
  const std::string prefix = request.module + "/";
  std::string errors;
  for (const auto& [path, statements] : missing) {
    if (path.compare(0, prefix.size(), prefix) != 0 ||
        !request.files->count(path.substr(prefix.size())))
      continue;
    for (const auto& s : statements) {
      errors += (errors.empty() ? "" : "\n") + s.Where() + ": import \"" + path +
                "\" names this module's own file " + path.substr(prefix.size()) +
                " under the module's name; a module imports its own files by their " +
                "paths in the module: import \"" + path.substr(prefix.size()) + "\"";
    }
  }
  return errors.empty() ? Status::Ok() : Status::InvalidArgument(errors);
}

Status CheckLock(const ResolveRequest& request, const DependencyPin& pin) {
  return request.lock ? request.lock->Check(pin, request.lock_path) : Status::Ok();
}

// Adds the locked versions that provide some missing import as pins.
Status PinFromLock(Store& local, RemoteClient* remote, const ResolveRequest& request,
                   const ImportsByPath& missing, Resolution* out) {
  std::set<std::string> pinned;
  for (const auto& pin : out->pins) pinned.insert(pin.module);
  for (const auto& [module, locked] : request.lock->entries) {
    if (module == request.module || pinned.count(module)) continue;
    auto version = EnsureVersion(local, remote, module, locked.version);
    if (!version.ok())
      return version.status().WithContext(request.lock_path + " locks " + module + "@" +
                                          locked.version);
    DependencyPin pin = version->Pin();
    // A locked module is needed when an import names one of its files, at its own path or, by the
    // original Spoke's rule, under the module's name (and then it is mounted there).
    std::vector<ImportStatement> plain, mounted;
    for (const auto& file : version->manifest.files) {
      if (auto it = missing.find(file.path); it != missing.end())
        plain.push_back(it->second.front());
      if (auto it = missing.find(module + "/" + file.path); it != missing.end())
        mounted.push_back(it->second.front());
    }
    if (plain.empty() && mounted.empty()) continue;
    if (plain.empty()) pin.mount = module;
    for (const auto& statement : plain.empty() ? mounted : plain)
      out->resolved.push_back({statement, pin, kFromLock});
    SPOKE_RETURN_IF_ERROR(CheckLock(request, pin));
    if (remote)
      SPOKE_RETURN_IF_ERROR(FetchDependencies(local, *remote, version->manifest.dependencies));
    out->pins.push_back(pin);
  }
  return Status::Ok();
}

// Asks the registry's index about every missing import and pins what it answers.
Status PinFromIndex(Store& local, RemoteClient* remote, const ResolveRequest& request,
                    const ImportsByPath& missing, Resolution* out) {
  std::vector<std::string> paths;
  for (const auto& [path, statements] : missing) paths.push_back(path);
  std::vector<ImportResolution> answers;
  std::string where;
  if (remote) {
    SPOKE_ASSIGN_OR_RETURN(answers, remote->ResolveImports(paths));
    where = remote->url();
  } else {
    // Offline: the same rule over the versions the local store holds.
    SPOKE_ASSIGN_OR_RETURN(auto index, ImportIndex::Build(local, nullptr));
    for (const auto& path : paths) answers.push_back(index->Resolve(path));
    where = "the local store (offline)";
  }
  std::string errors;
  auto report = [&errors](const std::vector<ImportStatement>& statements, const std::string& why) {
    for (const auto& s : statements) {
      errors += (errors.empty() ? "" : "\n") + s.Where() + ": import \"" + s.path + "\" " + why;
    }
  };
  std::map<std::string, ResolvedImport> chosen;  // by module
  for (const auto& answer : answers) {
    const auto& statements = missing.at(answer.path);
    switch (answer.outcome) {
      case ImportResolution::Outcome::kUnresolved:
        report(statements,
               "is provided by no file of the module, no dependency and no module in " + where +
                   "; push the module that provides it, or declare it with -dep module@version");
        break;
      case ImportResolution::Outcome::kAmbiguous: {
        std::string names;
        for (const auto& c : answer.candidates) names += (names.empty() ? "" : ", ") + c;
        report(statements, "is provided by several modules (" + names +
                               "); declare the one you mean with -dep module@version");
        break;
      }
      case ImportResolution::Outcome::kResolved: {
        auto [it, inserted] = chosen.emplace(
            answer.pin.module, ResolvedImport{statements.front(), answer.pin, kFromIndex});
        if (!inserted && it->second.pin.version != answer.pin.version) {
          report(statements, "resolves to " + answer.pin.module + "@" + answer.pin.version +
                                 " but \"" + it->second.import.path + "\" to " +
                                 it->second.pin.module + "@" + it->second.pin.version +
                                 "; declare the version you mean with -dep");
        }
        out->resolved.push_back({statements.front(), answer.pin, kFromIndex});
        break;
      }
    }
  }
  if (!errors.empty()) return Status::InvalidArgument(errors);
  for (const auto& [module, resolved] : chosen) {
    SPOKE_ASSIGN_OR_RETURN(
        auto fetched,
        PinVersions(local, remote, {{module, resolved.pin.version, "", "", resolved.pin.mount}}));
    if (!remote) {  // the local index names versions, not commits
      out->pins.push_back(fetched[0]);
      SPOKE_RETURN_IF_ERROR(CheckLock(request, fetched[0]));
      continue;
    }
    SPOKE_RETURN_IF_ERROR(CheckLock(request, resolved.pin));
    if (fetched[0].commit != resolved.pin.commit || fetched[0].digest != resolved.pin.digest) {
      return Status::Corruption("the registry's import index named " + module + "@" +
                                resolved.pin.version + " as " + resolved.pin.digest +
                                " but the version fetched is " + fetched[0].digest);
    }
    out->pins.push_back(fetched[0]);
  }
  return Status::Ok();
}

}  // namespace

Result<Resolution> ResolveDependencies(Store& local, RemoteClient* remote,
                                       const ResolveRequest& request) {
  const std::string root = request.Label();
  Resolution out;
  std::vector<DependencyPin> declared = request.declared;
  if (request.lock) {
    for (auto& dep : declared) {
      auto locked = request.lock->entries.find(dep.module);
      if (dep.version == "latest" && locked != request.lock->entries.end())
        dep.version = locked->second.version;
    }
  }
  SPOKE_ASSIGN_OR_RETURN(out.pins, PinVersions(local, remote, declared));
  SPOKE_ASSIGN_OR_RETURN(auto mounted, MountByImports(local, root, *request.files, &out.pins));
  for (const auto& statement : mounted) {
    for (const auto& pin : out.pins) {
      if (pin.mount.size() < statement.path.size() &&
          statement.path.compare(0, pin.mount.size() + 1, pin.mount + "/") == 0) {
        out.resolved.push_back({statement, pin, kDeclaredMounted});
        break;
      }
    }
  }
  const std::vector<ImportStatement> imports = ScanImports(*request.files);
  SPOKE_ASSIGN_OR_RETURN(ImportsByPath missing,
                         Unsatisfied(local, request, root, out.pins, imports));
  SPOKE_RETURN_IF_ERROR(RefuseSelfImports(request, missing));
  if (request.lock && !missing.empty()) {
    SPOKE_RETURN_IF_ERROR(PinFromLock(local, remote, request, missing, &out));
    SPOKE_ASSIGN_OR_RETURN(missing, Unsatisfied(local, request, root, out.pins, imports));
  }
  if (!missing.empty()) SPOKE_RETURN_IF_ERROR(PinFromIndex(local, remote, request, missing, &out));
  // The whole closure must hold together (one version per module) and agree with the lock.
  SPOKE_ASSIGN_OR_RETURN(auto reached, WalkDependencies(local, root, out.pins));
  for (const auto& r : reached) SPOKE_RETURN_IF_ERROR(CheckLock(request, r.version.Pin()));
  return out;
}

}  // namespace spoke
