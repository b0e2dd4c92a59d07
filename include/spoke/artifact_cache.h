// The artifact cache: generated code stored in the object store under a key that names everything
// that can change it, so the same input is never compiled twice, anywhere.
//
// Key recipe (format 1; docs/storage.md): SHA-256 over a sequence of typed, length-prefixed items
// "<tag> <length>\n<bytes>\n", in this order: ("format", "spoke-artifact-key/1"), ("language",
// name), ("generator", identity: libprotoc's version or the plugin binary's SHA-256), ("parameter",
// options), for a language that takes Go import paths ("go_package_prefix", the prefix) when it is
// not empty, then for every source file sorted by path ("source", path) ("blob", git blob id), then
// every target sorted ("target", path). The tag and the length make every split unambiguous, as
// ccache's typed delimiters do. The prefix and the sources decide every default Go import path
// (go_import_path.h), so the prefix alone stands for them.
//
// An artifact is a snapshot commit (fixed author and time, so the same output gives the same
// commit everywhere) whose tree holds the generated files under "out/" and "artifact.json" (key,
// language, generator, parameter, go_package_prefix when hashed, the file list). The ref
// refs/artifacts/<key[0:2]>/<key> names it. Artifact refs travel with fetch and clone, so a client
// or mirror that has one never compiles it.
#ifndef SPOKE_ARTIFACT_CACHE_H_
#define SPOKE_ARTIFACT_CACHE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spoke/compiler.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

struct ArtifactKeyInputs {
  std::string language;
  std::string generator;  // GeneratorIdentity()
  std::string parameter;
  std::map<std::string, std::string> sources;  // path -> blob id
  std::vector<std::string> targets;
  // Hashed when not empty: the caller leaves it empty for a language that does not take Go import
  // paths (ArtifactKeysFor does), so their artifacts never depend on it.
  std::string go_import_prefix;
};

struct ArtifactKey {
  std::string hex;          // the SHA-256
  std::string explanation;  // the hashed items as readable text, for --explain-key
};

ArtifactKey ComputeArtifactKey(const ArtifactKeyInputs& inputs);

// Ok when `path`, a generated file's path, stays inside the output directory: relative, no empty,
// "." or ".." segment, no backslash, no control character. Corruption otherwise. Generators,
// plugins and registries are all outside input: every artifact path is checked before anything is
// written under -out.
Status CheckArtifactPath(const std::string& path);

struct Artifact {
  std::string key;
  std::string language;
  std::string commit;  // the snapshot commit
  GeneratedFiles files;
  // Set when the compile was staged (CachedCompileRequest::stage_dir): the files are under this
  // directory, and `files` maps their paths to empty contents.
  std::string staged_dir;
};

// What a compile with the cache did, for callers and tests: how many generator runs happened (a
// cache hit runs none), and which keys hit.
struct CompileStats {
  int generator_runs = 0;
  std::vector<std::string> hits;
  std::vector<std::string> misses;
};

struct CachedCompileRequest {
  std::map<std::string, std::string> sources;  // path -> blob id (Store::BlobId of the content)
  // Reads a source by its id when something must be compiled; when empty, sources are read from
  // the store, which must then hold them. A cache hit reads no source at all.
  SourceLoader load;
  std::vector<std::string> targets;
  std::vector<std::string> languages;
  std::map<std::string, std::string> parameters;
  // As CompileRequest::go_import_prefix: for the languages that take Go import paths, the prefix
  // of the default import paths, and part of their keys.
  std::string go_import_prefix;
  // When set, what is compiled (not what is found cached) is written under
  // <stage_dir>/<language>/ as it is generated, rather than kept in memory until the end, and the
  // artifact says so (Artifact::staged_dir). For a caller that writes the files out anyway, this
  // keeps memory to what the parse needs, however much code is generated.
  std::string stage_dir;
};

// The cached artifact for `key`, or nullopt. An entry whose snapshot does not hold together (a
// missing object, an artifact.json for another key) is treated as absent, never served.
Result<std::optional<Artifact>> LookupArtifact(const Store& store, const std::string& key);

// For each language: the cached artifact when its key is present, otherwise compiles (all misses
// in one parse) and stores the result. Returns artifacts by language.
Result<std::map<std::string, Artifact>> CompileWithCache(Store& store,
                                                         const CachedCompileRequest& request,
                                                         CompileStats* stats);

// The compile request for a stored version: its files as targets, and as sources its files plus
// every file of its pinned dependencies, transitively; the Go import prefix is the module's
// default (DefaultGoImportPrefix of its name), which the caller may replace. InvalidArgument when
// two modules of the closure hold the same path.
Result<CachedCompileRequest> RequestForVersion(
    const Store& store, const VersionInfo& version, const std::vector<std::string>& languages,
    const std::map<std::string, std::string>& parameters);

// Makes every source of `request` a target, so the generated code holds the dependencies' files
// too (at the paths the targets import them by, mounts included), as `buf generate
// --include-imports` does: what is downloaded or compiled for a version then builds on its own.
// The compiler's own files (well-known types) are never sources, so they stay out.
void IncludeImports(CachedCompileRequest* request);

// The keys CompileWithCache would use, with their explanations, by language.
Result<std::map<std::string, ArtifactKey>> ArtifactKeysFor(const CachedCompileRequest& request);

}  // namespace spoke

#endif  // SPOKE_ARTIFACT_CACHE_H_
