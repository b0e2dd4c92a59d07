// Breaking-change detection: what changed between two versions of a schema that would break
// generated code, the binary wire format or the JSON mapping for someone using the older one.
//
// Rules carry buf's IDs (FIELD_NO_DELETE, FIELD_WIRE_COMPATIBLE_TYPE, ...) and are grouped in buf's
// four levels, from strictest to most lenient:
//   FILE       generated code per file: nothing deleted or moved between files, no name changes
//   PACKAGE    generated code per package: elements may move between files of a package
//   WIRE_JSON  the binary and JSON encodings: names matter (JSON uses them), files and packages not
//   WIRE       the binary encoding only: renames are fine, wire-compatible type changes are fine
// Each level is a fixed set of rules (BreakingRules() lists which); `use` may instead pick levels
// and single rules, and `except` turns single rules off. Rule IDs buf has deprecated are accepted
// wherever an ID is (FIELD_SAME_CTYPE, FIELD_SAME_LABEL, FILE_SAME_JAVA_STRING_CHECK_UTF8 stand for
// the rules that replaced them; FILE_SAME_PHP_GENERIC_SERVICES and
// MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT are rules of no level, checked only when named in `use`).
//
// Only the images' targets (a module's own files) are compared, never their imports. Elements are
// matched by file path (file rules), package (package rules) or fully-qualified name (everything
// inside messages, enums and services); fields and enum values by number, RPCs and oneofs by name.
// A finding about something that was deleted points at where it was in the previous version
// (Finding::in_previous); every other finding points into the current version.
#ifndef SPOKE_BREAKING_H_
#define SPOKE_BREAKING_H_

#include <string>
#include <vector>

#include "spoke/finding.h"
#include "spoke/module_config.h"
#include "spoke/schema_image.h"
#include "spoke/status.h"

namespace spoke {

enum class BreakingLevel { kFile, kPackage, kWireJson, kWire };

// "FILE", "PACKAGE", "WIRE_JSON" or "WIRE" (any case). InvalidArgument naming the four otherwise.
Result<BreakingLevel> ParseBreakingLevel(const std::string& name);
const char* BreakingLevelName(BreakingLevel level);

struct BreakingRuleInfo {
  std::string id;
  std::string summary;
  std::vector<BreakingLevel> levels;  // the levels that check it (none for deprecated IDs)
  bool deprecated = false;
  std::vector<std::string> replaced_by;  // for a deprecated alias: the rules it stands for
};

// Every rule and deprecated alias, sorted by ID.
const std::vector<BreakingRuleInfo>& BreakingRules();

// Whether `id` names a rule or a deprecated alias of rules.
bool IsBreakingRuleId(const std::string& id);

struct BreakingOptions {
  BreakingLevel level = BreakingLevel::kFile;
  // Levels and rule IDs, mixed, to check instead of `level`'s rules; empty: `level`.
  std::vector<std::string> use;
  std::vector<std::string> except;  // levels and rule IDs not to check
  std::vector<std::string>
      ignore;  // files or directories (path prefixes) whose findings are dropped
  // Drop findings in packages whose last component is an unstable version (v1alpha1, v1beta,
  // v1p1beta1, v1test), in either version, as buf's ignore_unstable_packages does.
  bool ignore_unstable_packages = false;
  // Report every message, enum and extension nested in a deleted message, not only the
  // outermost deleted one.
  bool report_nested_deletions = false;
};

// The `breaking:` section of spoke.yaml (module_config.h):
//   breaking:
//     level: WIRE_JSON      # default FILE; or `use:`, not both
//     use:                  # levels and rule IDs, mixed
//       - WIRE
//       - FIELD_SAME_NAME
//     except:               # levels and rule IDs
//       - FIELD_SAME_JSON_NAME
//     ignore:               # files or directories
//       - legacy/
//     ignore_unstable_packages: true
//     report_nested_deletions: true
// InvalidArgument for an unknown level, rule ID or key, or both `level` and `use`.
Result<BreakingOptions> BreakingOptionsFromConfig(const ModuleConfig& config);

// Whether `options` check rule `id` (for an alias: every rule it stands for).
bool BreakingRuleEnabled(const BreakingOptions& options, const std::string& id);

// Whether a package's last component is an unstable version: v1alpha, v1beta2, v1p1alpha1,
// v2test, v1test1 (buf's definition).
bool IsUnstablePackage(const std::string& package);

// Every change from `previous` to `current` that an enabled rule reports, sorted.
std::vector<Finding> CheckBreaking(const SchemaImage& previous, const SchemaImage& current,
                                   const BreakingOptions& options);

}  // namespace spoke

#endif  // SPOKE_BREAKING_H_
