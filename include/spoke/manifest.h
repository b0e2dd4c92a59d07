// The manifest stored beside a module version's files, and the version's content digest.
//
// The manifest is the file "spoke.manifest.json" at the root of each version commit's tree. It can
// never collide with a module file because module files must end in ".proto". Its format is
// documented in docs/storage.md; Serialize() is deterministic so the same version always produces
// the same blob.
//
// The digest ("sha256:<hex>") covers the module's files and its dependency pins: SHA-256 over the
// lines "<sha256 of file content hex>  <path>\n" for every file, sorted by path (byte order), then
// "dep <module> <version> <digest> <mount>\n" for every pin, sorted by module. It does not cover
// the description, so "same content" means "same files built on the same dependencies". A version
// without dependencies has the digest it always had. Manifests of format 1 (written before pins
// were covered) keep their files-only digest and are still read; a manifest with pins is written
// as format 2, which older Spoke readers refuse rather than misread.
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
inline constexpr int kManifestFormat = 1;          // no dependencies; digest of the files
inline constexpr int kManifestFormatWithPins = 2;  // the digest covers the pins too

// A module's files by path; the path order makes iteration deterministic.
using FileSet = std::map<std::string, std::string>;

struct DependencyPin {
  std::string module;
  std::string version;
  std::string commit;  // hex object id of the dependency version's commit
  std::string digest;  // the dependency version's content digest
  // Where the dependency's files appear to the dependent's imports: "" for their own paths (buf's
  // layout, `import "common/types.proto"` is the file common/types.proto of the dependency), or a
  // directory, the module's name, under which each of its files is seen (the original Spoke's
  // rule: `import "common/types.proto"` is the file types.proto of module common).
  std::string mount;

  // `path` of the dependency as its dependent imports it.
  std::string Mounted(const std::string& path) const {
    return mount.empty() ? path : mount + "/" + path;
  }
};

// {"module", "version", "commit", "digest"[, "mount"]} (mount only when set): how manifests, the
// REST API and `spoke lock --json` write a pin.
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

// Digest of a set of (path, sha256-hex) pairs and the pins they are built on (see above).
// REQUIRES: `files` sorted by path.
std::string ComputeDigest(const std::vector<ManifestFile>& files,
                          const std::vector<DependencyPin>& pins = {});
// Whether a version with `files` and `pins` has the content of `stored` (what makes a second push
// of a version a no-op rather than a conflict). Pins compare by module, version, digest and mount;
// a format 1 manifest, whose digest does not cover its pins, is compared pin by pin.
bool SameContent(const Manifest& stored, const std::vector<ManifestFile>& files,
                 const std::vector<DependencyPin>& pins);
// Builds the manifest's file list (sorted) from file contents.
std::vector<ManifestFile> DescribeFiles(const FileSet& files);

}  // namespace spoke

#endif  // SPOKE_MANIFEST_H_
