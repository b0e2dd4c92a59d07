// A stored version's schema as the UI documents it: its files parsed and linked against its
// dependencies' with source info, the module version that provides each file of the closure, and
// the UI's URLs for them (what RenderSchemaDocs links to).
#ifndef SPOKE_REMOTE_UI_VERSION_SCHEMA_H_
#define SPOKE_REMOTE_UI_VERSION_SCHEMA_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "spoke/schema_image.h"
#include "spoke/status.h"
#include "spoke/store.h"
#include "ui_schema_docs.h"

namespace spoke {

// A version of more files than this, or of more bytes of source, documents its types on its
// files' pages (each .proto file's page, below its source), not on its version page: one page
// documenting thousands of files, or a few huge ones, is megabytes no browser shows well
// (googleads v25: 897 files, 6.9 MB; google/cloud/compute: 3 files, 8.2 MB of source, 16.8 MB).
// The documentation's HTML is about twice the source's size.
constexpr size_t kMaxDocumentedFiles = 300;
constexpr uint64_t kMaxDocumentedBytes = uint64_t{2} << 20;

// Whether the version of `manifest` documents its types on its files' pages (above).
bool DocumentsTypesOnFilePages(const Manifest& manifest);

// The module version that provides a file of a closure, and the file's path in that version (the
// path it is imported by, less the mount of the pin that reached it: DependencyPin::mount).
struct FileOwner {
  std::string module;
  std::string version;
  std::string path;
  // Whether that version documents its types on its files' pages (DocumentsTypesOnFilePages),
  // else on its version page.
  bool docs_on_file_page = false;
};

struct VersionSchema {
  std::string module;
  std::string version;  // the exact version (never "latest")
  // The version's own files, parsed with their imports; image->files() are the own files (or the
  // one file asked for).
  std::unique_ptr<SchemaImage> image;
  // Every file of the closure by the path the version imports it by (of one file's: the files it
  // imports, transitively). Files of neither the version nor a dependency (the well-known types,
  // from libprotobuf) are absent.
  std::map<std::string, FileOwner> owners;
};

// The schema of `version` (from store.GetVersion): its files and its pinned dependencies', read
// from `store`, parsed with libprotoc as the compile path does. With `only_file` (one of the
// version's files), that file alone is the target: only what it imports is parsed, which is what
// a file page of a large version needs. NotFound when a dependency is missing or the version has
// no `only_file`, InvalidArgument with every "file:line:col: message" when the files do not
// compile (a version pushed with --validate none may not), or when two modules provide one path.
Result<VersionSchema> LoadVersionSchema(const Store& store, const VersionInfo& version,
                                        const std::string& only_file = "");

// The schemas of the versions shown last, so a version page shown again is not parsed again: a
// large module's closure takes a parse of half a second (googleads v25, 897 files), its render
// about 10 ms per hundred files. Keyed by the version's tag id, which names its content, so
// an entry never goes stale ("latest" and the version it names share one), and the file for a
// one-file schema. Bounded by the files the cached closures hold (VersionSchema::owners, each at
// least 1), the least recently used dropped first; one closure above the bound is parsed and
// returned but not kept. Thread-safe; two threads asking for one uncached version may both parse
// it.
class VersionSchemaCache {
 public:
  explicit VersionSchemaCache(size_t max_files) : max_files_(max_files) {}

  // The schema of `version` (as LoadVersionSchema, `only_file` too), from the cache or parsed
  // now. Errors are not kept: a version whose dependency was missing is parsed again once it
  // arrives.
  Result<std::shared_ptr<const VersionSchema>> Get(const Store& store, const VersionInfo& version,
                                                   const std::string& only_file = "");

  // What the cache holds now: entries and their files.
  size_t entries() const;
  size_t files() const;

 private:
  // The key (the tag id, and "\n" and the file for a one-file schema) and the schema.
  using Entry = std::pair<std::string, std::shared_ptr<const VersionSchema>>;

  const size_t max_files_;
  mutable std::mutex mutex_;
  std::list<Entry> recent_;  // most recently used first
  std::map<std::string, std::list<Entry>::iterator> by_key_;
  size_t files_ = 0;
};

// The links RenderSchemaDocs needs for `schema`: each file's page in the version that provides
// it, and where that file's types are documented: the version page, or the file's page for a
// version that DocumentsTypesOnFilePages. REQUIRES: `schema` outlives the linker.
SchemaLinker LinksFor(const VersionSchema& schema);

}  // namespace spoke

#endif  // SPOKE_REMOTE_UI_VERSION_SCHEMA_H_
