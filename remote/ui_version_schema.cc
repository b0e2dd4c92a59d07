// LoadVersionSchema: a stored version's closure parsed once with source info (the schema checks'
// SchemaImage over deps.h's VersionSources), with the owner of each file found by the same
// dependency walk, so the documentation can link every type to the version that defines it.
#include "ui_version_schema.h"

#include "spoke/deps.h"

namespace spoke {

std::string UiVersionPageUrl(const std::string& module, const std::string& version) {
  return "/ui/modules/" + PercentEncodePath(module) + "/versions/" + PercentEncodePath(version);
}

std::string UiFilePageUrl(const std::string& module, const std::string& version,
                          const std::string& path) {
  return UiVersionPageUrl(module, version) + "/files/" + PercentEncodePath(path);
}

Result<VersionSchema> LoadVersionSchema(const Store& store, const VersionInfo& version) {
  VersionSchema schema;
  schema.module = version.module;
  schema.version = version.version;
  SPOKE_ASSIGN_OR_RETURN(SchemaSources sources, VersionSources(store, version));
  for (const std::string& path : sources.targets)
    schema.owners[path] = {version.module, version.version, path};
  SPOKE_ASSIGN_OR_RETURN(auto reached,
                         WalkDependencies(store, version.module + "@" + version.version,
                                          version.manifest.dependencies));
  for (const ReachedVersion& dep : reached) {
    SPOKE_ASSIGN_OR_RETURN(auto ids, store.ListFileIds(dep.version));
    for (const auto& [own_path, id] : ids) {
      // The first to provide a path is the one VersionSources kept (it refuses two that differ).
      schema.owners.emplace(dep.version.Pin(dep.mount).Mounted(own_path),
                            FileOwner{dep.version.module, dep.version.version, own_path});
    }
  }
  SPOKE_ASSIGN_OR_RETURN(schema.image, SchemaImage::Build(sources));
  return schema;
}

SchemaLinker LinksFor(const VersionSchema& schema) {
  return [&schema](const std::string& file) {
    SchemaFileLinks links;
    auto it = schema.owners.find(file);
    if (it == schema.owners.end()) return links;
    const FileOwner& owner = it->second;
    links.source_page = UiFilePageUrl(owner.module, owner.version, owner.path);
    links.docs_page = UiVersionPageUrl(owner.module, owner.version);
    return links;
  };
}

}  // namespace spoke
