// LoadVersionSchema: a stored version's closure parsed once with source info (the schema checks'
// SchemaImage over deps.h's VersionSources), with the owner of each file found by the same
// dependency walk, so the documentation can link every type to the version that defines it.
#include "ui_version_schema.h"

#include <algorithm>

#include "spoke/deps.h"
#include "ui_pages.h"

namespace spoke {

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

namespace {

size_t FilesOf(const VersionSchema& schema) { return std::max<size_t>(schema.owners.size(), 1); }

}  // namespace

Result<std::shared_ptr<const VersionSchema>> VersionSchemaCache::Get(const Store& store,
                                                                     const VersionInfo& version) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = by_tag_.find(version.tag_id);
    if (found != by_tag_.end()) {
      recent_.splice(recent_.begin(), recent_, found->second);
      return found->second->second;
    }
  }
  SPOKE_ASSIGN_OR_RETURN(VersionSchema loaded, LoadVersionSchema(store, version));
  auto schema = std::make_shared<const VersionSchema>(std::move(loaded));
  const size_t files = FilesOf(*schema);
  if (files > max_files_) return schema;
  std::lock_guard<std::mutex> lock(mutex_);
  if (by_tag_.count(version.tag_id) > 0) return schema;  // another thread's parse is kept
  recent_.emplace_front(version.tag_id, schema);
  by_tag_[version.tag_id] = recent_.begin();
  files_ += files;
  while (files_ > max_files_) {
    files_ -= FilesOf(*recent_.back().second);
    by_tag_.erase(recent_.back().first);
    recent_.pop_back();
  }
  return schema;
}

size_t VersionSchemaCache::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return recent_.size();
}

size_t VersionSchemaCache::files() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return files_;
}

SchemaLinker LinksFor(const VersionSchema& schema) {
  return [&schema](const std::string& file) {
    SchemaFileLinks links;
    auto it = schema.owners.find(file);
    if (it == schema.owners.end()) return links;
    const FileOwner& owner = it->second;
    links.source_page = ui::FileHref(owner.module, owner.version, owner.path);
    links.docs_page = ui::VersionHref(owner.module, owner.version);
    return links;
  };
}

}  // namespace spoke
