// LoadVersionSchema: a stored version's closure parsed once with source info (the schema checks'
// SchemaImage over deps.h's VersionSources), with the owner of each file found by the same
// dependency walk, so the documentation can link every type to the version that defines it.
#include "ui_version_schema.h"

#include <algorithm>
#include <iterator>
#include <set>

#include "spoke/deps.h"
#include "ui_pages.h"

namespace spoke {

namespace {

// The files `file` imports, transitively, and itself, by name.
void AddClosure(const google::protobuf::FileDescriptor* file, std::set<std::string>* names) {
  if (!names->insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) AddClosure(file->dependency(i), names);
}

size_t FilesOf(const VersionSchema& schema) { return std::max<size_t>(schema.owners.size(), 1); }

}  // namespace

bool DocumentsTypesOnFilePages(const Manifest& manifest) {
  uint64_t bytes = 0;
  for (const ManifestFile& file : manifest.files) bytes += file.size;
  return manifest.files.size() > kMaxDocumentedFiles || bytes > kMaxDocumentedBytes;
}

Result<VersionSchema> LoadVersionSchema(const Store& store, const VersionInfo& version,
                                        const std::string& only_file) {
  VersionSchema schema;
  schema.module = version.module;
  schema.version = version.version;
  SPOKE_ASSIGN_OR_RETURN(SchemaSources sources, VersionSources(store, version));
  const bool own_docs_on_file_page = DocumentsTypesOnFilePages(version.manifest);
  for (const std::string& path : sources.targets)
    schema.owners[path] = {version.module, version.version, path, own_docs_on_file_page};
  if (!only_file.empty()) {
    if (schema.owners.count(only_file) == 0) {
      return Status::NotFound("version " + version.module + "@" + version.version +
                              " has no file " + only_file);
    }
    sources.targets = {only_file};
  }
  SPOKE_ASSIGN_OR_RETURN(auto reached,
                         WalkDependencies(store, version.module + "@" + version.version,
                                          version.manifest.dependencies));
  for (const ReachedVersion& dep : reached) {
    SPOKE_ASSIGN_OR_RETURN(auto ids, store.ListFileIds(dep.version));
    const bool docs_on_file_page = DocumentsTypesOnFilePages(dep.version.manifest);
    for (const auto& [own_path, id] : ids) {
      // The first to provide a path is the one VersionSources kept (it refuses two that differ).
      schema.owners.emplace(
          dep.version.Pin(dep.mount).Mounted(own_path),
          FileOwner{dep.version.module, dep.version.version, own_path, docs_on_file_page});
    }
  }
  SPOKE_ASSIGN_OR_RETURN(schema.image, SchemaImage::Build(sources));
  if (!only_file.empty()) {
    // Only what the file reaches is linked from its docs: the rest would only weigh on the cache.
    std::set<std::string> reached_files;
    for (const auto* file : schema.image->files()) AddClosure(file, &reached_files);
    for (auto it = schema.owners.begin(); it != schema.owners.end();) {
      it = reached_files.count(it->first) > 0 ? std::next(it) : schema.owners.erase(it);
    }
  }
  return schema;
}

Result<std::shared_ptr<const VersionSchema>> VersionSchemaCache::Get(const Store& store,
                                                                     const VersionInfo& version,
                                                                     const std::string& only_file) {
  const std::string key = only_file.empty() ? version.tag_id : version.tag_id + "\n" + only_file;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = by_key_.find(key);
    if (found != by_key_.end()) {
      recent_.splice(recent_.begin(), recent_, found->second);
      return found->second->second;
    }
  }
  SPOKE_ASSIGN_OR_RETURN(VersionSchema loaded, LoadVersionSchema(store, version, only_file));
  auto schema = std::make_shared<const VersionSchema>(std::move(loaded));
  const size_t files = FilesOf(*schema);
  if (files > max_files_) return schema;
  std::lock_guard<std::mutex> lock(mutex_);
  if (by_key_.count(key) > 0) return schema;  // another thread's parse is kept
  recent_.emplace_front(key, schema);
  by_key_[key] = recent_.begin();
  files_ += files;
  while (files_ > max_files_) {
    files_ -= FilesOf(*recent_.back().second);
    by_key_.erase(recent_.back().first);
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
    links.docs_page = owner.docs_on_file_page
                          ? ui::FileHref(owner.module, owner.version, owner.path)
                          : ui::VersionHref(owner.module, owner.version);
    return links;
  };
}

}  // namespace spoke
