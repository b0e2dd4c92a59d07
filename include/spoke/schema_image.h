// SchemaImage: a module's .proto files parsed and linked once, kept with their source positions,
// for the schema checks (validate, lint, breaking) to read.
//
// Building an image is validation: every file is parsed and every name resolved with libprotoc, the
// same parser `spoke compile` and protoc use, and every error is reported as "file:line:col:
// message". Imports resolve against the sources (the module's files first, then its dependencies'),
// and Google's well-known types come from libprotobuf's installed copies when the sources lack
// them.
//
// An image is immutable once built; reading it from several threads at once is safe.
#ifndef SPOKE_SCHEMA_IMAGE_H_
#define SPOKE_SCHEMA_IMAGE_H_

#include <google/protobuf/descriptor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spoke/compiler.h"
#include "spoke/manifest.h"
#include "spoke/status.h"

namespace spoke {

struct SchemaSources {
  // Every file an import may resolve to: path -> id, read through `load` when first needed.
  std::map<std::string, std::string> sources;
  SourceLoader load;
  // The files the image is about (the module's own); their imports are parsed too but are not
  // checked. REQUIRES: each is in `sources`.
  std::vector<std::string> targets;
};

// Sources for files held in memory (a directory just read, a version about to be published): the
// files are both sources and targets; `imports` adds more sources (path -> id read by
// `load_import`) that may be imported but are not targets, and may be empty. REQUIRES: `files`
// outlives every SchemaImage::Build given the result (the loader reads them by reference).
SchemaSources SourcesFromFiles(const FileSet& files,
                               const std::map<std::string, std::string>& imports = {},
                               SourceLoader load_import = nullptr);

// An import that nothing in the importing file uses, where libprotobuf's own check found it.
struct UnusedImport {
  std::string import;
  int line = 0;  // 1-based, of the import statement
  int column = 0;
};

class SchemaImage {
 public:
  // Parses and links every target and what it imports. InvalidArgument whose message lists every
  // error, one "file:line:col: message" per line, when any file has one (a missing import is named
  // where it is imported). `sources` is copied; its loader is not called after Build returns.
  static Result<std::unique_ptr<SchemaImage>> Build(const SchemaSources& sources);
  ~SchemaImage();

  // The targets, sorted by path.
  const std::vector<const google::protobuf::FileDescriptor*>& files() const;
  // The target at `path`, or nullptr.
  const google::protobuf::FileDescriptor* FindFile(const std::string& path) const;
  bool IsTarget(const google::protobuf::FileDescriptor* file) const;
  // The unused imports of target `path`, in source order (empty for others).
  const std::vector<UnusedImport>& UnusedImports(const std::string& path) const;

  SchemaImage(const SchemaImage&) = delete;
  SchemaImage& operator=(const SchemaImage&) = delete;

  struct Impl;

 private:
  explicit SchemaImage(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spoke

#endif  // SPOKE_SCHEMA_IMAGE_H_
