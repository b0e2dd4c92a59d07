// spoke.lock: the exact versions a consumer's tree was built from.
//
// The original Spoke's format, {"dependencies": {"common": "v1.2.0", ...}}, extended with a
// sibling object that pins each entry to its commit and digest, so older readers still parse it:
//   {"format": 1,
//    "dependencies": {"common": "v1.2.0", "order": "v1.0.0"},
//    "pins": {"common": {"commit": "<hex>", "digest": "sha256:...", "mount": "common"}, ...}}
// ("mount" only for a dependency whose files are imported under its module's name, manifest.h).
// Written by recursive pulls and `spoke lock`; honoured by later pulls, which refuse any version
// whose commit or digest differs from the lock's (never a silent overwrite).
#ifndef SPOKE_LOCKFILE_H_
#define SPOKE_LOCKFILE_H_

#include <map>
#include <string>

#include "spoke/manifest.h"
#include "spoke/status.h"

namespace spoke {

inline constexpr char kLockFile[] = "spoke.lock";

struct Lockfile {
  std::map<std::string, DependencyPin> entries;  // by module name

  std::string Serialize() const;
  // InvalidArgument (with the file name) for malformed JSON, bad names, versions or pins.
  static Result<Lockfile> Parse(const std::string& text, const std::string& filename);
  // NotFound when `path` does not exist.
  static Result<Lockfile> Load(const std::string& path);
  Status Save(const std::string& path) const;

  // Checks a resolved version against the lock: Ok when the module is not locked or matches;
  // Conflict naming the lock and both values otherwise.
  Status Check(const DependencyPin& resolved, const std::string& lock_path) const;
};

}  // namespace spoke

#endif  // SPOKE_LOCKFILE_H_
