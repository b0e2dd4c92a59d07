// A stored version's schema as the UI documents it: its files parsed and linked against its
// dependencies' with source info, the module version that provides each file of the closure, and
// the UI's URLs for them (what RenderSchemaDocs links to).
#ifndef SPOKE_REMOTE_UI_VERSION_SCHEMA_H_
#define SPOKE_REMOTE_UI_VERSION_SCHEMA_H_

#include <map>
#include <memory>
#include <string>

#include "spoke/schema_image.h"
#include "spoke/status.h"
#include "spoke/store.h"
#include "ui_schema_docs.h"

namespace spoke {

// The module version that provides a file of a closure, and the file's path in that version (the
// path it is imported by, less the mount of the pin that reached it: DependencyPin::mount).
struct FileOwner {
  std::string module;
  std::string version;
  std::string path;
};

struct VersionSchema {
  std::string module;
  std::string version;  // the exact version (never "latest")
  // The version's own files, parsed with their imports; image->files() are the own files.
  std::unique_ptr<SchemaImage> image;
  // Every file of the closure by the path the version imports it by. Files of neither the version
  // nor a dependency (the well-known types, from libprotobuf) are absent.
  std::map<std::string, FileOwner> owners;
};

// The schema of `version` (from store.GetVersion): its files and its pinned dependencies', read
// from `store`, parsed with libprotoc as the compile path does. NotFound when a dependency is
// missing, InvalidArgument with every "file:line:col: message" when the files do not compile
// (a version pushed with --validate none may not), or when two modules provide one path.
Result<VersionSchema> LoadVersionSchema(const Store& store, const VersionInfo& version);

// The UI's pages (issue 18's URLs): /ui/modules/{module}/versions/{version} and
// its .../files/{path}, each path segment percent-encoded where needed.
std::string UiVersionPageUrl(const std::string& module, const std::string& version);
std::string UiFilePageUrl(const std::string& module, const std::string& version,
                          const std::string& path);

// The links RenderSchemaDocs needs for `schema`: each file's page in the version that provides
// it, and for a dependency's file that version's page. REQUIRES: `schema` outlives the linker.
SchemaLinker LinksFor(const VersionSchema& schema);

}  // namespace spoke

#endif  // SPOKE_REMOTE_UI_VERSION_SCHEMA_H_
