// The compiler: protobuf sources in, generated code out, in-process with libprotoc for the built-in
// languages and through the protoc plugin protocol for the rest.
//
// Sources are read through a loader (for a store, straight from git blobs), never from a checkout.
// Errors in the sources come back as InvalidArgument whose message lists every problem as
// "file:line:col: message", one per line. A missing plugin is Unavailable with the Debian package
// to install; a plugin that refuses its input (exits non-zero, or answers with an error) is
// FailedPrecondition with the plugin's message. The output for the same inputs and generator is
// byte-for-byte the same.
#ifndef SPOKE_COMPILER_H_
#define SPOKE_COMPILER_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// A language Spoke can generate code for.
struct Language {
  std::string name;            // "cpp", "python", "go", "grpc-cpp", ...
  std::string plugin;          // empty for libprotoc's built-in generators; else the binary on PATH
  std::string debian_package;  // where the plugin comes from
  std::string description;
  // The generator places code by Go import path: files without go_package get a default one
  // (CompileRequest::go_import_prefix, go_import_path.h).
  bool takes_go_import_paths = false;
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
  // For the languages that take Go import paths: when not empty, every file of `sources` that the
  // compile reads and that sets no go_package gets DefaultGoImportPath(go_import_prefix, file), as
  // "M" items put before the language's parameter (so an M the caller gives wins). REQUIRES: empty
  // or ValidateGoImportPrefix() ok.
  std::string go_import_prefix;
};

// Generated files: path -> content, sorted by path.
using GeneratedFiles = std::map<std::string, std::string>;

// Generated files per language.
Result<std::map<std::string, GeneratedFiles>> Compile(const CompileRequest& request);

// Receives generated files. Generation runs on several threads at once (files of one language
// too), so Written() may be called from several threads at the same time, for the same language
// or not. Generated() and Complete() are called from one thread, after every file is generated.
class GeneratedSink {
 public:
  virtual ~GeneratedSink() = default;
  // A file the built-in generator of `language` has finished writing, while it goes on writing
  // others, so the sink can start storing it. `content` stays valid and unchanged until
  // Generated(language) returns, and not after, unless Written returns true: the sink has put the
  // file somewhere it reads it from (a file on disk), so the compiler frees `content` at once and
  // Complete() lists the path with empty content. That keeps memory to what the parse needs
  // however much code is generated. Plugins' files are not announced.
  virtual bool Written(const std::string& language, const std::string& path,
                       std::string_view content) {
    return false;
  }
  // Asked first, for a file the built-in generator of `language` has just closed, in the pieces it
  // was written in: a sink that puts the file somewhere it reads it from (a file on disk) returns
  // true, and the compiler frees the pieces without ever joining them, so the file is never held
  // twice; Written() is then not called for it, and Complete() lists it with empty content. The
  // pieces are valid only during the call. By default nothing is taken.
  virtual bool Take(const std::string& language, const std::string& path,
                    const std::vector<std::string_view>& pieces) {
    return false;
  }
  // The generator of `language` is done. When this returns the sink must no longer read anything
  // Written() gave it (insertion points are applied and the files moved next). An error stops the
  // compile.
  virtual Status Generated(const std::string& language) { return Status::Ok(); }
  // The language's final files. `unannounced`: the paths whose final content Written() did not
  // give (a plugin's files, files changed by an insertion point). An error stops the compile.
  virtual Status Complete(const std::string& language, GeneratedFiles files,
                          const std::set<std::string>& unannounced) = 0;
};

// Like Compile, with the generating spread over up to one thread per core: the languages share
// one parse, and a language whose generator makes each file from its own .proto alone (cpp, java,
// kotlin, python, csharp, ruby) has its target files split between the threads. Each file goes to
// `sink` as soon as it is complete, so that storing overlaps generating. The output is the same
// as one thread would make. Returns the first error of a generator (in the order one thread would
// meet them), or the sink's. Generated() is called for every language even after an error.
Status CompileEach(const CompileRequest& request, GeneratedSink& sink);

// True when the compiler itself ships `path`: protobuf's well-known types (google/protobuf/*.proto,
// as installed with libprotobuf), which sources may import without any module providing them.
bool CompilerProvides(const std::string& path);

// Parses and links `targets` (no generation). The FileDescriptorSet of the targets and everything
// they import, dependencies first, serialized. The same errors as Compile().
Result<std::string> BuildDescriptorSet(const CompileRequest& request, bool include_source_info);

}  // namespace spoke

#endif  // SPOKE_COMPILER_H_
