// Dependency pins: parsing specs, walking the pinned graph, and the compile check of a closure.
#include "spoke/deps.h"

#include <deque>
#include <set>

#include "spoke/compiler.h"
#include "spoke/names.h"
#include "spoke/semver.h"

namespace spoke {

Result<std::pair<std::string, std::string>> ParseDependencySpec(const std::string& spec) {
  size_t at = spec.find('@');
  if (at == std::string::npos) {
    return Status::InvalidArgument("dependency \"" + spec +
                                   "\" must be module@version, e.g. common@v1.2.0");
  }
  std::string module = spec.substr(0, at), version = spec.substr(at + 1);
  SPOKE_RETURN_IF_ERROR(ValidateModuleName(module));
  if (version != "latest") SPOKE_RETURN_IF_ERROR(SemVer::Parse(version).status());
  return std::make_pair(module, version);
}

Result<std::vector<ReachedVersion>> WalkDependencies(const Store& store,
                                                     const std::string& root_name,
                                                     const std::vector<DependencyPin>& root_pins) {
  std::vector<ReachedVersion> reached;
  std::map<std::string, size_t> by_module;  // module -> index in `reached`
  struct Pending {
    DependencyPin pin;
    std::string path;
  };
  std::deque<Pending> queue;
  for (const auto& pin : root_pins)
    queue.push_back({pin, root_name + " -> " + pin.module + "@" + pin.version});
  while (!queue.empty()) {
    Pending next = std::move(queue.front());
    queue.pop_front();
    auto seen = by_module.find(next.pin.module);
    if (seen != by_module.end()) {
      const ReachedVersion& earlier = reached[seen->second];
      if (earlier.version.version != next.pin.version) {
        return Status::InvalidArgument("version conflict for module " + next.pin.module + ": " +
                                       earlier.path + ", but " + next.path);
      }
      if (earlier.mount != next.pin.mount) {
        auto where = [](const std::string& mount) {
          return mount.empty() ? std::string("at its own paths") : "under " + mount + "/";
        };
        return Status::InvalidArgument("module " + next.pin.module + " is imported " +
                                       where(earlier.mount) + " by " + earlier.path + ", but " +
                                       where(next.pin.mount) + " by " + next.path);
      }
      continue;
    }
    auto version = store.GetVersion(next.pin.module, next.pin.version);
    if (!version.ok()) return version.status().WithContext("dependency " + next.path);
    if ((!next.pin.commit.empty() && version->commit_id != next.pin.commit) ||
        (!next.pin.digest.empty() && version->manifest.digest != next.pin.digest)) {
      return Status::Corruption("dependency " + next.path + " is pinned to " + next.pin.digest +
                                " but the store holds " + version->manifest.digest);
    }
    for (const auto& dep : version->manifest.dependencies) {
      queue.push_back({dep, next.path + " -> " + dep.module + "@" + dep.version});
    }
    by_module[next.pin.module] = reached.size();
    reached.push_back({std::move(*version), next.path, next.pin.mount});
  }
  return reached;
}

namespace {

// Adds every file of every version `pins` lead to, by blob id, to `sources`; `owner` names who
// provides each path so two providers of one path are caught.
Status AddClosure(const Store& store, const std::string& name,
                  const std::vector<DependencyPin>& pins, std::map<std::string, std::string>* owner,
                  SchemaSources* sources) {
  SPOKE_ASSIGN_OR_RETURN(auto reached, WalkDependencies(store, name, pins));
  for (const auto& dep : reached) {
    SPOKE_ASSIGN_OR_RETURN(auto ids, store.ListFileIds(dep.version));
    std::string dep_name = dep.version.module + "@" + dep.version.version;
    for (const auto& [own_path, id] : ids) {
      const std::string path = dep.mount.empty() ? own_path : dep.mount + "/" + own_path;
      auto [it, inserted] = owner->emplace(path, dep_name);
      if (!inserted && it->second != dep_name && sources->sources[path] != id) {
        return Status::InvalidArgument("file " + path + " is provided by both " + it->second +
                                       " and " + dep_name);
      }
      sources->sources[path] = id;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<SchemaSources> ClosureSources(const Store& store, const std::string& name,
                                     const FileSet& files, const std::vector<DependencyPin>& pins) {
  // The version's own files are handed over by content; the dependencies' by blob id.
  SchemaSources sources;
  std::map<std::string, std::string> owner;
  for (const auto& [path, content] : files) {
    sources.sources[path] = "self:" + path;
    sources.targets.push_back(path);
    owner[path] = name;
  }
  SPOKE_RETURN_IF_ERROR(AddClosure(store, name, pins, &owner, &sources));
  sources.load = [&store, &files](const std::string& id) -> Result<std::string> {
    if (id.rfind("self:", 0) == 0) return files.at(id.substr(5));
    return store.ReadBlob(id);
  };
  return sources;
}

Result<SchemaSources> VersionSources(const Store& store, const VersionInfo& version) {
  SchemaSources sources;
  std::map<std::string, std::string> owner;
  std::string name = version.module + "@" + version.version;
  SPOKE_ASSIGN_OR_RETURN(auto ids, store.ListFileIds(version));
  for (const auto& [path, id] : ids) {
    sources.sources[path] = id;
    sources.targets.push_back(path);
    owner[path] = name;
  }
  SPOKE_RETURN_IF_ERROR(AddClosure(store, name, version.manifest.dependencies, &owner, &sources));
  sources.load = [&store](const std::string& id) { return store.ReadBlob(id); };
  return sources;
}

Result<std::vector<ImportStatement>> MountByImports(const Store& store,
                                                    const std::string& root_name,
                                                    const FileSet& files,
                                                    std::vector<DependencyPin>* pins) {
  SPOKE_ASSIGN_OR_RETURN(auto reached, WalkDependencies(store, root_name, *pins));
  std::set<std::string> provided;  // every path the closure offers as it is mounted now
  for (const auto& r : reached) {
    for (const auto& file : r.version.manifest.files) {
      provided.insert(r.mount.empty() ? file.path : r.mount + "/" + file.path);
    }
  }
  // The files of each root pin's version, to find the module an import names.
  std::map<std::string, std::set<std::string>> files_of;  // module -> its paths
  std::map<std::string, DependencyPin*> root_pin;
  for (auto& pin : *pins) root_pin[pin.module] = &pin;
  for (const auto& r : reached) {
    if (!root_pin.count(r.version.module)) continue;
    for (const auto& file : r.version.manifest.files) files_of[r.version.module].insert(file.path);
  }
  std::set<std::string> needed_plain;              // modules some import needs at their own paths
  std::map<std::string, ImportStatement> mounted;  // module -> the first import that mounts it
  for (const auto& import : ScanImports(files)) {
    if (files.count(import.path) || CompilerProvides(import.path)) continue;
    for (const auto& [module, paths] : files_of) {
      if (root_pin[module]->mount.empty() && paths.count(import.path)) needed_plain.insert(module);
    }
    if (provided.count(import.path)) continue;
    // "a/b/c.proto": module "a/b" with file "c.proto" before module "a" with file "b/c.proto".
    for (size_t slash = import.path.rfind('/'); slash != std::string::npos && slash > 0;
         slash = import.path.rfind('/', slash - 1)) {
      const std::string module = import.path.substr(0, slash), rest = import.path.substr(slash + 1);
      auto it = files_of.find(module);
      if (it != files_of.end() && it->second.count(rest)) {
        mounted.emplace(module, import);
        break;
      }
      if (slash == 0) break;
    }
  }
  std::vector<ImportStatement> out;
  for (const auto& [module, import] : mounted) {
    DependencyPin* pin = root_pin[module];
    if (!pin->mount.empty() || needed_plain.count(module)) continue;
    pin->mount = module;
    out.push_back(import);
  }
  return out;
}

Status CheckVersionCompiles(const Store& store, const std::string& name, const FileSet& files,
                            const std::vector<DependencyPin>& pins) {
  SPOKE_ASSIGN_OR_RETURN(SchemaSources sources, ClosureSources(store, name, files, pins));
  return SchemaImage::Build(sources).status();
}

}  // namespace spoke
