// Loading the schema the check commands look at, with its dependency closure: the local store
// first, the registry only for what the store lacks.
#include "schema_input.h"

#include <algorithm>
#include <set>

#include "module_dir.h"
#include "resolution.h"
#include "spoke/deps.h"
#include "spoke/sync.h"

namespace spoke::cli {
namespace {

// Makes `nested` importable from `sources`, for paths nothing there provides yet. REQUIRES:
// `nested` outlives `sources`.
void AddNestedSources(const FileSet& nested, SchemaSources* sources) {
  if (nested.empty()) return;
  for (const auto& [path, content] : nested) sources->sources.emplace(path, "nested:" + path);
  sources->load = [&nested,
                   load = std::move(sources->load)](const std::string& id) -> Result<std::string> {
    if (id.rfind("nested:", 0) == 0) return nested.at(id.substr(7));
    return load(id);
  };
}

}  // namespace

Result<std::unique_ptr<SchemaInput>> LoadDirInput(const std::string& dir,
                                                  const GlobalFlags& flags) {
  auto input = std::make_unique<SchemaInput>();
  input->label = dir;
  SPOKE_ASSIGN_OR_RETURN(input->config, LoadModuleConfig(dir));
  SPOKE_ASSIGN_OR_RETURN(ModuleDirFiles read, ReadModuleDir(dir));
  input->files = std::move(read.own);
  input->nested = std::move(read.nested);
  std::set<std::string> nested_paths;
  for (const auto& [path, content] : input->nested) nested_paths.insert(path);
  if (!NeedsDependencies(input->config, input->files, nested_paths)) {
    input->sources = SourcesFromFiles(input->files);
    AddNestedSources(input->nested, &input->sources);
    return input;
  }
  SPOKE_ASSIGN_OR_RETURN(input->store, OpenLocalStore());
  SPOKE_ASSIGN_OR_RETURN(
      Resolution resolution,
      ResolveDirDependencies(*input->store, flags, dir, input->config, input->files, nested_paths));
  std::string name = input->config.module.empty() ? dir : input->config.module;
  SPOKE_ASSIGN_OR_RETURN(input->sources,
                         ClosureSources(*input->store, name, input->files, resolution.pins));
  AddNestedSources(input->nested, &input->sources);
  return input;
}

Result<std::unique_ptr<SchemaInput>> LoadVersionInput(const std::string& spec,
                                                      const GlobalFlags& flags) {
  SPOKE_ASSIGN_OR_RETURN(auto parsed, ParseDependencySpec(spec));
  auto input = std::make_unique<SchemaInput>();
  SPOKE_ASSIGN_OR_RETURN(input->store, OpenLocalStore());
  Store& store = *input->store;
  std::unique_ptr<RemoteClient> remote;
  auto version = parsed.second == "latest" ? Result<VersionInfo>(Status::NotFound(""))
                                           : store.GetVersion(parsed.first, parsed.second);
  if (!version.ok() && version.status().code() == Status::Code::kNotFound) {
    SPOKE_ASSIGN_OR_RETURN(remote, ConnectRegistry(flags));
    version = EnsureVersion(store, remote.get(), parsed.first, parsed.second);
  }
  if (!version.ok()) return version.status();
  input->label = version->module + "@" + version->version;
  auto walked = WalkDependencies(store, input->label, version->manifest.dependencies);
  if (!walked.ok() && walked.status().code() == Status::Code::kNotFound) {
    if (!remote) {
      SPOKE_ASSIGN_OR_RETURN(remote, ConnectRegistry(flags));
    }
    SPOKE_RETURN_IF_ERROR(FetchDependencies(store, *remote, version->manifest.dependencies));
  } else if (!walked.ok()) {
    return walked.status();
  }
  SPOKE_ASSIGN_OR_RETURN(input->sources, VersionSources(store, *version));
  return input;
}

bool UnderAnyPath(const std::string& file, const std::vector<std::string>& paths) {
  for (const auto& raw : paths) {
    std::string path = raw;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path == "." || path.empty() || file == path) return true;
    if (file.compare(0, path.size() + 1, path + "/") == 0) return true;
  }
  return false;
}

Status RestrictTargets(const std::vector<std::string>& paths, SchemaSources* sources) {
  std::vector<std::string> kept;
  for (const auto& target : sources->targets) {
    if (UnderAnyPath(target, paths)) kept.push_back(target);
  }
  for (const auto& path : paths) {
    bool matched = std::any_of(kept.begin(), kept.end(),
                               [&](const std::string& t) { return UnderAnyPath(t, {path}); });
    if (!matched)
      return Status::NotFound("--path " + path + " matches no .proto file of the module");
  }
  sources->targets = std::move(kept);
  return Status::Ok();
}

}  // namespace spoke::cli
