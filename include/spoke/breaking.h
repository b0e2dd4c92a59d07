// Breaking-change detection: what changed between two versions of a schema that would break
// generated code, the binary wire format or the JSON mapping for someone using the older one.
//
// Rules carry buf's IDs (FIELD_NO_DELETE, FIELD_WIRE_COMPATIBLE_TYPE, ...) and are grouped in buf's
// four levels, from strictest to most lenient:
//   FILE       generated code per file: nothing deleted or moved between files, no name changes
//   PACKAGE    generated code per package: elements may move between files of a package
//   WIRE_JSON  the binary and JSON encodings: names matter (JSON uses them), files and packages not
//   WIRE       the binary encoding only: renames are fine, wire-compatible type changes are fine
// Each level is a fixed set of rules (BreakingRules() lists which); `except` turns single rules
// off.
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
  std::vector<BreakingLevel> levels;  // the levels that check it
};

// Every rule, sorted by ID.
const std::vector<BreakingRuleInfo>& BreakingRules();

struct BreakingOptions {
  BreakingLevel level = BreakingLevel::kFile;
  std::vector<std::string> except;  // rule IDs not to check
  std::vector<std::string>
      ignore;  // files or directories (path prefixes) whose findings are dropped
};

// The `breaking:` section of spoke.yaml (module_config.h):
//   breaking:
//     level: WIRE_JSON      # default FILE
//     except:               # rule IDs
//       - FIELD_SAME_JSON_NAME
//     ignore:               # files or directories
//       - legacy/
// InvalidArgument for an unknown level, rule ID or key.
Result<BreakingOptions> BreakingOptionsFromConfig(const ModuleConfig& config);

// Every change from `previous` to `current` that a rule of options.level reports, sorted.
std::vector<Finding> CheckBreaking(const SchemaImage& previous, const SchemaImage& current,
                                   const BreakingOptions& options);

}  // namespace spoke

#endif  // SPOKE_BREAKING_H_
