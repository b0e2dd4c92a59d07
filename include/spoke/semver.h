// Module versions: semver 2.0 with a mandatory "v" prefix ("v1.2.3-rc.1+build.5").
//
// Ordering follows semver precedence: build metadata is ignored when comparing, so "v1.0.0+a" and
// "v1.0.0+b" have equal precedence; Spoke still treats them as distinct version names.
#ifndef SPOKE_SEMVER_H_
#define SPOKE_SEMVER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spoke/status.h"

namespace spoke {

class SemVer {
 public:
  // Parses "vMAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]". Returns InvalidArgument with a message that
  // shows the expected form for anything else (missing "v", leading zeros, empty identifiers).
  static Result<SemVer> Parse(const std::string& text);

  uint64_t major() const { return major_; }
  uint64_t minor() const { return minor_; }
  uint64_t patch() const { return patch_; }
  bool is_prerelease() const { return !prerelease_.empty(); }
  // The original text, e.g. "v1.2.3-rc.1".
  const std::string& text() const { return text_; }

  // Semver precedence: <0, 0, >0.
  int Compare(const SemVer& other) const;
  bool operator<(const SemVer& other) const { return Compare(other) < 0; }

 private:
  uint64_t major_ = 0, minor_ = 0, patch_ = 0;
  std::vector<std::string> prerelease_;
  std::string build_;
  std::string text_;
};

// The highest release (non-prerelease) in `versions`, by semver precedence; unparsable entries are
// skipped. nullopt when there is none.
std::optional<std::string> HighestRelease(const std::vector<std::string>& versions);

// Sorts version names by precedence, lowest first; ties (build metadata) by text. Unparsable names
// go last.
void SortVersions(std::vector<std::string>* versions);

}  // namespace spoke

#endif  // SPOKE_SEMVER_H_
