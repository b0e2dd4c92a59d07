// What validate, lint and breaking check: a directory of .proto files with its dependencies,
// resolved as `spoke push` resolves them (ResolveDirDependencies in resolution.h), or a
// module version (from the local store, else the registry, the way `spoke pull` gets it).
#ifndef SPOKE_CLI_SCHEMA_INPUT_H_
#define SPOKE_CLI_SCHEMA_INPUT_H_

#include <memory>
#include <string>
#include <vector>

#include "context.h"
#include "spoke/manifest.h"
#include "spoke/module_config.h"
#include "spoke/schema_image.h"

namespace spoke::cli {

// Owns everything `sources` reads from, so it is handed around by pointer and never moved.
struct SchemaInput {
  std::string label;             // "DIR" or "module@version", for messages
  FileSet files;                 // a directory's files; empty for a stored version
  FileSet nested;                // files of modules nested in the directory: imports only
  ModuleConfig config;           // the directory's spoke.yaml; empty for a stored version
  std::unique_ptr<Store> store;  // opened only when dependencies or a version are needed
  SchemaSources sources;         // targets: every file of the module
};

// Reads `dir` (every .proto below it and its spoke.yaml) and, when its files need anything from
// outside it, resolves the dependencies as push would: spoke.yaml's, spoke.lock's, the registry's
// import index, the local store alone when the registry cannot be reached. The files of a module
// nested in `dir` (module_dir.h) are not targets, but may be imported where neither the module nor
// its dependencies hold the path. InvalidArgument for a missing directory or a bad spoke.yaml.
Result<std::unique_ptr<SchemaInput>> LoadDirInput(const std::string& dir, const GlobalFlags& flags);

// "module@version" (or module@latest) with its dependencies, from the local store, else fetched.
Result<std::unique_ptr<SchemaInput>> LoadVersionInput(const std::string& spec,
                                                      const GlobalFlags& flags);

// Keeps the targets that are one of `paths` or under one of them (paths relative to the module
// root, a trailing '/' optional). NotFound when a path matches no file.
Status RestrictTargets(const std::vector<std::string>& paths, SchemaSources* sources);

// Whether `file` is one of `paths` or under one of them.
bool UnderAnyPath(const std::string& file, const std::vector<std::string>& paths);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_SCHEMA_INPUT_H_
