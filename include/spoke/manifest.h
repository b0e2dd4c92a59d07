// The manifest stored beside a module version's files, and the version's content digest.
//
// The manifest is the file "spoke.manifest.json" at the root of each version commit's tree. It can
// never collide with a module file because module files must end in ".proto". Its format is
// documented in docs/storage.md; Serialize() is deterministic so the same version always produces
// the same blob.
//
// The digest ("sha256:<hex>") covers exactly the module's files: SHA-256 over the lines
// "<sha256 of file content hex>  <path>\n" for every file, sorted by path (byte order). It does not
// cover the description or the dependencies, so "same content" means "same files".
#ifndef SPOKE_MANIFEST_H_
#define SPOKE_MANIFEST_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "spoke/json.h"
#include "spoke/status.h"

namespace spoke {

inline constexpr char kManifestPath[] = "spoke.manifest.json";
inline constexpr int kManifestFormat = 1;

// A module's files by path; the path order makes iteration deterministic.
using FileSet = std::map<std::string, std::string>;

struct DependencyPin {
  std::string module;
  std::string version;
  std::string commit;  // hex object id of the dependency version's commit
  std::string digest;  // the dependency version's content digest
};

// {"module", "version", "commit", "digest"}: how manifests, the REST API and `spoke lock --json`
// write a pin.
Json DependencyPinToJson(const DependencyPin& pin);

struct ManifestFile {
  std::string path;
  std::string sha256;  // hex SHA-256 of the content
  uint64_t size = 0;
};

struct Manifest {
  int format = kManifestFormat;
  std::string module;
  std::string version;
  std::string description;
  std::string digest;
  std::vector<ManifestFile> files;  // sorted by path
  std::vector<DependencyPin> dependencies;

  Json ToJson() const;
  std::string Serialize() const;  // ToJson().Dump(2) + "\n"
  // Parses and checks a manifest: known format, valid module name, version and paths, and a digest
  // that matches the listed files. Corruption when any of that fails.
  static Result<Manifest> Parse(const std::string& text);
};

// Digest of a set of (path, sha256-hex) pairs. REQUIRES: `files` sorted by path.
std::string ComputeDigest(const std::vector<ManifestFile>& files);
// Builds the manifest's file list (sorted) from file contents.
std::vector<ManifestFile> DescribeFiles(const FileSet& files);

}  // namespace spoke

#endif  // SPOKE_MANIFEST_H_
