// The compiler: protobuf sources in, generated code out, in-process with libprotoc for the built-in
// languages and through the protoc plugin protocol for the rest.
//
// Sources are read through a loader (for a store, straight from git blobs), never from a checkout.
// Errors in the sources come back as InvalidArgument whose message lists every problem as
// "file:line:col: message", one per line. A missing plugin is Unavailable with the Debian package
// to install. The output for the same inputs and generator is byte-for-byte the same.
#ifndef SPOKE_COMPILER_H_
#define SPOKE_COMPILER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// A language Spoke can generate code for.
struct Language {
  std::string name;            // "cpp", "python", "go", "grpc-cpp", ...
  std::string plugin;          // empty for libprotoc's built-in generators; else the binary on PATH
  std::string debian_package;  // where the plugin comes from
  std::string description;
};

// Every language, built-ins first, in a fixed order.
const std::vector<Language>& Languages();
// NotFound naming the known languages when `name` is not one of them.
Result<Language> FindLanguage(const std::string& name);
// Splits "cpp,python,go" into names, checking each. InvalidArgument for an empty or unknown one.
Result<std::vector<std::string>> ParseLanguageList(const std::string& list);

// The generator's identity, for the artifact cache key: "libprotoc <version>" for built-ins, the
// plugin binary's path and SHA-256 for plugins. Unavailable when the plugin is not on PATH.
Result<std::string> GeneratorIdentity(const Language& language);

// Reads one source file's bytes by its id (a git blob id for a store).
using SourceLoader = std::function<Result<std::string>(const std::string& id)>;

struct CompileRequest {
  // Every file that imports may resolve to: path -> id. The module's files and its dependencies'.
  std::map<std::string, std::string> sources;
  SourceLoader load;
  // The files to generate code for (usually the module's own files). REQUIRES: each in `sources`.
  std::vector<std::string> targets;
  // Languages to generate; the sources are parsed once for all of them.
  std::vector<std::string> languages;
  // Per language, the generator's parameter string (protoc's --X_opt); absent means none.
  std::map<std::string, std::string> parameters;
};

// Generated files: path -> content, sorted by path.
using GeneratedFiles = std::map<std::string, std::string>;

// Generated files per language.
Result<std::map<std::string, GeneratedFiles>> Compile(const CompileRequest& request);

// Receives one language's generated files. Called from the thread that generated them, so it must
// be thread-safe; an error stops the compile and is returned by CompileEach.
using GeneratedSink = std::function<Status(const std::string& language, GeneratedFiles files)>;

// Like Compile, but the languages are generated side by side on up to one thread per core (they
// share one parse), and each language's files go to `sink` as soon as they are complete, so that
// storing one language overlaps generating the next.
Status CompileEach(const CompileRequest& request, const GeneratedSink& sink);

// True when the compiler itself ships `path`: protobuf's well-known types (google/protobuf/*.proto,
// as installed with libprotobuf), which sources may import without any module providing them.
bool CompilerProvides(const std::string& path);

// Parses and links `targets` (no generation). The FileDescriptorSet of the targets and everything
// they import, dependencies first, serialized. The same errors as Compile().
Result<std::string> BuildDescriptorSet(const CompileRequest& request, bool include_source_info);

}  // namespace spoke

#endif  // SPOKE_COMPILER_H_
