// Declared dependencies, a directory's lock, and the report of resolved imports.
#include "resolution.h"

#include <cstdio>
#include <filesystem>

#include "spoke/compiler.h"
#include "spoke/imports.h"
#include "spoke/sync.h"

namespace spoke::cli {

Result<std::vector<DependencyPin>> ParseDeclared(const std::vector<std::string>& specs) {
  std::vector<DependencyPin> deps;
  for (const auto& spec : specs) {
    SPOKE_ASSIGN_OR_RETURN(auto parsed, ParseDependencySpec(spec));
    deps.push_back({parsed.first, parsed.second, "", "", ""});
  }
  return deps;
}

Result<std::optional<Lockfile>> LoadDirLock(const std::string& dir) {
  auto lock = Lockfile::Load((std::filesystem::path(dir) / kLockFile).string());
  if (lock.ok()) return std::optional<Lockfile>(std::move(*lock));
  if (lock.status().code() == Status::Code::kNotFound) return std::optional<Lockfile>();
  return lock.status();
}

bool NeedsDependencies(const ModuleConfig& config, const FileSet& files,
                       const std::set<std::string>& also_importable) {
  if (!config.deps.empty()) return true;
  for (const auto& import : ScanImports(files)) {
    if (!files.count(import.path) && !also_importable.count(import.path) &&
        !CompilerProvides(import.path))
      return true;
  }
  return false;
}

Result<Resolution> ResolveDirDependencies(Store& store, const GlobalFlags& flags,
                                          const std::string& dir, const ModuleConfig& config,
                                          const FileSet& files,
                                          const std::set<std::string>& also_importable) {
  SPOKE_ASSIGN_OR_RETURN(auto declared, ParseDeclared(config.deps));
  SPOKE_ASSIGN_OR_RETURN(auto lock, LoadDirLock(dir));
  ResolveRequest request{config.module.empty() ? dir : config.module,
                         config.version,
                         &files,
                         std::move(declared),
                         lock ? &*lock : nullptr,
                         (std::filesystem::path(dir) / kLockFile).string(),
                         &also_importable};
  SPOKE_ASSIGN_OR_RETURN(auto remote, ConnectRegistry(flags));
  auto resolved = ResolveDependencies(store, remote.get(), request);
  if (resolved.ok() || !RegistryUnreachable(resolved.status())) return resolved;
  WarnUsingLocalStore(resolved.status(),
                      "resolving the dependencies of " + dir + " from the local store alone");
  return ResolveDependencies(store, nullptr, request);
}

Result<VersionClosure> LoadVersionClosure(Store& store, std::unique_ptr<RemoteClient>* remote,
                                          const GlobalFlags& flags, const std::string& module,
                                          const std::string& version) {
  auto connect = [&]() -> Status {
    if (*remote) return Status::Ok();
    SPOKE_ASSIGN_OR_RETURN(*remote, ConnectRegistry(flags));
    return Status::Ok();
  };
  Result<VersionInfo> root = Status::NotFound("");
  if (version != "latest") root = store.GetVersion(module, version);
  // Not there, or there but unreadable (objects missing): EnsureVersion fetches it (again).
  if (!root.ok()) {
    SPOKE_RETURN_IF_ERROR(connect());
    root = EnsureVersion(store, remote->get(), module, version);
  }
  if (!root.ok()) return root.status();
  const std::string root_name = root->module + "@" + root->version;
  auto reached = WalkDependencies(store, root_name, root->manifest.dependencies);
  if (!reached.ok() && reached.status().code() == Status::Code::kNotFound) {
    // Some dependency is not in the local store yet: fetch the whole pinned graph, then walk again.
    SPOKE_RETURN_IF_ERROR(connect());
    SPOKE_RETURN_IF_ERROR(FetchDependencies(store, **remote, root->manifest.dependencies));
    reached = WalkDependencies(store, root_name, root->manifest.dependencies);
  }
  if (!reached.ok()) return reached.status();
  return VersionClosure{std::move(*root), std::move(*reached)};
}

void PrintResolved(const Resolution& resolution, const char* indent) {
  for (const auto& r : resolution.resolved) {
    std::printf("%sresolved %s -> %s@%s (%s)\n", indent, r.import.path.c_str(),
                r.pin.module.c_str(), r.pin.version.c_str(), r.source.c_str());
  }
}

Json ResolvedToJson(const Resolution& resolution) {
  Json list = Json::MakeArray();
  for (const auto& r : resolution.resolved) {
    Json entry = Json::MakeObject();
    entry.Set("import", r.import.path);
    entry.Set("at", r.import.Where());
    entry.Set("module", r.pin.module);
    entry.Set("version", r.pin.version);
    entry.Set("source", r.source);
    list.Push(std::move(entry));
  }
  return list;
}

}  // namespace spoke::cli
