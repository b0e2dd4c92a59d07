// The registry's compatibility policy and the check it runs on every version pushed to it.
//
// A module may have a compatibility level (ModuleInfo::compatibility: FILE, PACKAGE, WIRE_JSON or
// WIRE; set when the module is created or later through the API). A new version of such a module
// is accepted only when nothing breaks at that level (breaking.h) against the previous release of
// the same major version: the highest release (not a pre-release) with the same major number and a
// lower precedence. The first version of a major version has nothing to compare with, so a new
// major version may break anything. Modules without a level accept any change.
#ifndef SPOKE_POLICY_H_
#define SPOKE_POLICY_H_

#include <string>
#include <vector>

#include "spoke/breaking.h"
#include "spoke/manifest.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

// The release `version` is compared with among `existing` version names, or "" when there is none.
// Unparsable names are skipped.
std::string PreviousReleaseInMajor(const std::vector<std::string>& existing,
                                   const std::string& version);

// "NONE" or "" (no policy) gives ""; a level name gives its canonical spelling ("wire_json" ->
// "WIRE_JSON"). InvalidArgument for anything else.
Result<std::string> ParseCompatibility(const std::string& text);

// How a stored level (ModuleInfo::compatibility, or ParseCompatibility's result) is shown and sent
// (REST answers, the CLI): the level itself, or "NONE" for none (""). ParseCompatibility reads it
// back.
std::string CompatibilityName(const std::string& level);

// The check a registry runs before it publishes a version (Store::VersionCheck): every file must
// be UTF-8 (InvalidArgument naming file:line:col of the first bad byte, ValidateProtoText); when
// `validate`, the files must parse and link against the dependencies they pin (InvalidArgument
// listing every error as file:line:col); when the module has a compatibility level, nothing may
// break against the previous release in the major version (FailedPrecondition whose message lists
// every finding as file:line:col: message (RULE_ID)). The store is only read.
Status CheckPushedVersion(const Store& store, const Manifest& manifest, const FileSet& files,
                          bool validate);

// What changed from one stored version of a module to another: the breaking-change findings at
// `level` (previous = `from`, current = `to`). Both versions (and their dependencies) must be in
// `store`; InvalidArgument when either does not compile.
Result<std::vector<Finding>> CompareVersions(const Store& store, const VersionInfo& from,
                                             const VersionInfo& to, BreakingLevel level);

}  // namespace spoke

#endif  // SPOKE_POLICY_H_
