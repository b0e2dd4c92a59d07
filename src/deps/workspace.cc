// Workspace discovery (which directories are modules) and the push order of its modules.
#include "spoke/workspace.h"

#include <algorithm>
#include <filesystem>
#include <functional>

#include "spoke/files.h"
#include "spoke/module_config.h"
#include "spoke/names.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

// What one walk of the workspace finds, as '/'-separated paths relative to the root.
struct Found {
  std::vector<std::string> config_dirs;     // "" for the root itself
  std::vector<std::string> deeper_configs;  // spoke.yaml files that count only with `recursive`
  std::vector<std::string> protos;
};

Result<Found> Walk(const std::string& root, bool recursive) {
  Found found;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status::InvalidArgument(root + " is not a directory");
  if (fs::is_regular_file(fs::path(root) / kModuleConfigFile, ec)) found.config_dirs.push_back("");
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return Status::IOError("cannot read " + root + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::IOError("cannot read " + root + ": " + ec.message());
    std::string name = it->path().filename().string();
    if (it->is_symlink(ec)) continue;
    std::string relative = fs::relative(it->path(), root, ec).generic_string();
    if (it->is_directory(ec)) {
      if (!name.empty() && name[0] == '.') {
        it.disable_recursion_pending();
      } else if (fs::is_regular_file(it->path() / kModuleConfigFile, ec)) {
        (recursive || it.depth() == 0 ? found.config_dirs : found.deeper_configs)
            .push_back(relative);
      }
      continue;
    }
    if (it->is_regular_file(ec) && it->path().extension() == ".proto")
      found.protos.push_back(relative);
  }
  return found;
}

// True when `path` lies below the directory `dir` ("" is the root, above everything).
bool IsBelow(const std::string& path, const std::string& dir) {
  return dir.empty() || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

Status AddSource(const std::string& root, const std::string& relative,
                 const std::string& module_path, WorkspaceModule* module) {
  SPOKE_RETURN_IF_ERROR(ValidateProtoPath(module_path).WithContext(root + "/" + relative));
  module->sources.emplace(module_path, (fs::path(root) / relative).string());
  return Status::Ok();
}

Result<std::vector<WorkspaceModule>> ConfiguredModules(const std::string& root,
                                                       const Found& found) {
  std::vector<WorkspaceModule> modules;
  for (const auto& dir : found.config_dirs) {
    std::string path = (fs::path(root) / dir).lexically_normal().string();
    SPOKE_ASSIGN_OR_RETURN(ModuleConfig config, LoadModuleConfig(path));
    WorkspaceModule module;
    module.name = config.module.empty() ? dir : config.module;
    if (module.name.empty()) {
      return Status::InvalidArgument(path + "/" + kModuleConfigFile +
                                     " names no module; add \"module: <name>\"");
    }
    SPOKE_RETURN_IF_ERROR(
        ValidateModuleName(module.name).WithContext(path + "/" + kModuleConfigFile));
    module.version = config.version;
    module.dir = path;
    module.declared = config.deps;
    modules.push_back(std::move(module));
  }
  for (const auto& proto : found.protos) {
    // The deepest module root above the file owns it.
    int owner = -1;
    for (size_t i = 0; i < found.config_dirs.size(); ++i) {
      if (IsBelow(proto, found.config_dirs[i]) &&
          (owner < 0 || found.config_dirs[i].size() > found.config_dirs[owner].size())) {
        owner = static_cast<int>(i);
      }
    }
    if (owner < 0) {
      return Status::InvalidArgument(root + "/" + proto + " belongs to no module: add a " +
                                     kModuleConfigFile + " to its directory or one above it");
    }
    const std::string& dir = found.config_dirs[owner];
    SPOKE_RETURN_IF_ERROR(AddSource(root, proto, dir.empty() ? proto : proto.substr(dir.size() + 1),
                                    &modules[owner]));
  }
  return modules;
}

Result<std::vector<WorkspaceModule>> TopLevelModules(const std::string& root, const Found& found) {
  std::map<std::string, WorkspaceModule> by_name;
  for (const auto& proto : found.protos) {
    size_t slash = proto.find('/');
    if (slash == std::string::npos) {
      return Status::InvalidArgument(
          root + "/" + proto + " is in no top-level directory; move it into one, or add " +
          kModuleConfigFile + " files to say which directories are modules");
    }
    std::string top = proto.substr(0, slash);
    WorkspaceModule& module = by_name[top];
    if (module.name.empty()) {
      SPOKE_RETURN_IF_ERROR(ValidateModuleName(top).WithContext(
          "top-level directory " + top + " (add a " + std::string(kModuleConfigFile) +
          " with module: to name it)"));
      module.name = top;
      module.dir = (fs::path(root) / top).string();
    }
    SPOKE_RETURN_IF_ERROR(AddSource(root, proto, proto, &module));
  }
  std::vector<WorkspaceModule> modules;
  for (auto& [name, module] : by_name) modules.push_back(std::move(module));
  return modules;
}

}  // namespace

Result<std::vector<WorkspaceModule>> FindModules(const std::string& root, bool recursive) {
  SPOKE_ASSIGN_OR_RETURN(Found found, Walk(root, recursive));
  if (!found.deeper_configs.empty()) {
    // Silently pushing a nested module's files as part of another would lose its boundary.
    return Status::InvalidArgument(
        root + "/" + found.deeper_configs.front() + "/" + kModuleConfigFile +
        " is below the top level; pass -recursive to push it as a module");
  }
  std::sort(found.protos.begin(), found.protos.end());
  std::vector<WorkspaceModule> modules;
  if (found.config_dirs.empty()) {
    SPOKE_ASSIGN_OR_RETURN(modules, TopLevelModules(root, found));
  } else {
    SPOKE_ASSIGN_OR_RETURN(modules, ConfiguredModules(root, found));
  }
  std::sort(modules.begin(), modules.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (size_t i = 0; i < modules.size(); ++i) {
    const WorkspaceModule& m = modules[i];
    if (i > 0 && modules[i - 1].name == m.name) {
      return Status::InvalidArgument("two directories are module " + m.name + ": " +
                                     modules[i - 1].dir + " and " + m.dir);
    }
    if (m.sources.empty())
      return Status::InvalidArgument("module " + m.name + " (" + m.dir + ") holds no .proto file");
  }
  if (modules.empty()) return Status::InvalidArgument("no .proto files found under " + root);
  return modules;
}

Status ReadModuleFiles(std::vector<WorkspaceModule>* modules) {
  for (WorkspaceModule& module : *modules) {
    for (const auto& [module_path, on_disk] : module.sources) {
      SPOKE_ASSIGN_OR_RETURN(std::string content, ReadFileToString(on_disk));
      // Refused here, before anything is resolved or sent, as `spoke push` refuses it.
      SPOKE_RETURN_IF_ERROR(ValidateProtoText(on_disk, content));
      module.files.emplace(module_path, std::move(content));
    }
  }
  return Status::Ok();
}

Result<std::vector<WorkspaceModule>> OrderByImports(std::vector<WorkspaceModule> modules) {
  std::map<std::string, size_t> by_name, owner;  // module name / file path -> index
  for (size_t i = 0; i < modules.size(); ++i) {
    by_name[modules[i].name] = i;
    for (const auto& [path, content] : modules[i].files) {
      auto [it, inserted] = owner.emplace(path, i);
      if (!inserted) {
        return Status::InvalidArgument("file " + path + " is in two modules: " +
                                       modules[it->second].name + " and " + modules[i].name);
      }
    }
  }
  for (size_t i = 0; i < modules.size(); ++i) {
    WorkspaceModule& m = modules[i];
    for (const auto& spec : m.declared) {
      std::string dep = spec.substr(0, spec.find('@'));
      if (by_name.count(dep) && dep != m.name)
        m.needs.emplace(dep, ImportStatement{m.dir + "/" + kModuleConfigFile, "", 0, 0});
    }
    for (auto& import : ScanImports(m.files)) {
      auto it = owner.find(import.path);
      if (it == owner.end() || it->second == i) continue;
      m.needs.emplace(modules[it->second].name, std::move(import));
    }
  }
  // Depth-first, dependencies first; a module met again while still on the path closes a cycle.
  enum class Mark { kNew, kOnPath, kDone };
  std::vector<Mark> marks(modules.size(), Mark::kNew);
  std::vector<size_t> path, order;
  std::function<Status(size_t)> visit = [&](size_t i) -> Status {
    if (marks[i] == Mark::kDone) return Status::Ok();
    if (marks[i] == Mark::kOnPath) {
      std::string cycle, why;
      auto start = std::find(path.begin(), path.end(), i);
      for (auto at = start; at != path.end(); ++at) {
        const WorkspaceModule& from = modules[*at];
        const std::string& to = (at + 1 == path.end()) ? modules[i].name : modules[*(at + 1)].name;
        const ImportStatement& edge = from.needs.at(to);
        cycle += from.name + " -> ";
        why += (why.empty() ? "" : "; ") + (edge.path.empty()
                                                ? edge.file + " declares " + to
                                                : edge.Where() + " imports \"" + edge.path + "\"");
      }
      return Status::InvalidArgument("import cycle between modules: " + cycle + modules[i].name +
                                     " (" + why + ")");
    }
    marks[i] = Mark::kOnPath;
    path.push_back(i);
    for (const auto& [dep, statement] : modules[i].needs)
      SPOKE_RETURN_IF_ERROR(visit(by_name.at(dep)));
    path.pop_back();
    marks[i] = Mark::kDone;
    order.push_back(i);
    return Status::Ok();
  };
  for (size_t i = 0; i < modules.size(); ++i) SPOKE_RETURN_IF_ERROR(visit(i));
  std::vector<WorkspaceModule> ordered;
  for (size_t i : order) ordered.push_back(std::move(modules[i]));
  return ordered;
}

}  // namespace spoke
