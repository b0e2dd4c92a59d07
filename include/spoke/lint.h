// Lint: style rules over a module's .proto files, with buf's rule IDs and categories where buf has
// the rule (PACKAGE_LOWER_SNAKE_CASE, ENUM_ZERO_VALUE_SUFFIX, RPC_REQUEST_STANDARD_NAME, ...).
//
// Categories, each containing the one before: MINIMAL (file layout, package import cycles), BASIC
// (naming, imports, one value of each language option per package, no required fields), STANDARD
// (the default: enum prefixes and zero values, version suffixes, RPC naming). Off unless asked
// for: COMMENTS (leading comments on public elements), UNARY_RPC (no streaming), and
// STABLE_PACKAGE_NO_IMPORT_UNSTABLE (in no category).
// BuiltinLintRules() lists every rule with its categories.
//
// Configuration, in spoke.yaml (module_config.h):
//   lint:
//     use:                     # rule IDs or categories; default STANDARD
//       - STANDARD
//       - COMMENTS
//     except:                  # rule IDs or categories to leave out
//       - PACKAGE_VERSION_SUFFIX
//     ignore:                  # files or directories (path prefixes)
//       - vendor/
//     ignore_only:             # "RULE_ID_OR_CATEGORY path": that rule only, in those files
//       - ENUM_PASCAL_CASE legacy/
//     enum_zero_value_suffix: _NONE             # ENUM_ZERO_VALUE_SUFFIX (default _UNSPECIFIED)
//     service_suffix: API                       # SERVICE_SUFFIX (default Service)
//     rpc_allow_same_request_response: true     # buf's rpc_allow_* options, default false
//     rpc_allow_google_protobuf_empty_requests: true
//     rpc_allow_google_protobuf_empty_responses: true
//     disallow_comment_ignores: true            # ignore comments have no effect
// A single element is exempted by a leading comment "spoke:lint:ignore <RULE_ID>" (or buf's
// "buf:lint:ignore <RULE_ID>"), which covers the elements nested in it too; above `package` it
// exempts the file's file-level findings, above an `option` that option's. With no spoke.yaml,
// buf.yaml's lint section says the same (buf_config.h).
//
// One pass: every enabled rule sees each element of each target file once (sys/lint_rule.h).
#ifndef SPOKE_LINT_H_
#define SPOKE_LINT_H_

#include <map>
#include <string>
#include <vector>

#include "spoke/finding.h"
#include "spoke/module_config.h"
#include "spoke/schema_image.h"
#include "spoke/status.h"
#include "spoke/sys/lint_rule.h"

namespace spoke {

// Spoke's rules, sorted by ID.
const std::vector<LintRule>& BuiltinLintRules();

struct LintConfig {
  std::vector<std::string> use = {"STANDARD"};  // rule IDs and categories
  std::vector<std::string> except;              // rule IDs and categories
  std::vector<std::string> ignore;              // files or directories whose findings are dropped
  // Rule ID or category -> files or directories where its findings are dropped.
  std::map<std::string, std::vector<std::string>> ignore_only;
  bool comment_ignores = true;  // honour "spoke:lint:ignore" comments (buf: !disallow_...)
  LintOptions options;          // the configurable rules' settings, and --path
};

// The `lint:` section of spoke.yaml; defaults for what it does not say. InvalidArgument for an
// unknown key. (Rule names are checked when linting, against the rules in use.)
Result<LintConfig> LintConfigFromModuleConfig(const ModuleConfig& config);

// The IDs of the rules `config` turns on among `rules`, sorted. InvalidArgument naming any entry of
// use or except that is neither a rule ID nor a category.
Result<std::vector<std::string>> EnabledLintRules(const LintConfig& config,
                                                  const std::vector<LintRule>& rules);

// Runs the enabled rules (built-in ones plus `extra_rules`) over the image's target files. The
// findings, sorted; InvalidArgument for a config naming unknown rules.
Result<std::vector<Finding>> Lint(const SchemaImage& image, const LintConfig& config,
                                  const std::vector<LintRule>& extra_rules = {});

}  // namespace spoke

#endif  // SPOKE_LINT_H_
