// buf.yaml and buf.lock, read as the spoke.yaml they mean, so a project configured for buf is
// checked with its own configuration when it has no spoke.yaml.
//
// What maps (into ModuleConfig::values, the keys spoke.yaml would give):
//   lint: use, except, ignore, ignore_only, enum_zero_value_suffix, service_suffix,
//         rpc_allow_same_request_response, rpc_allow_google_protobuf_empty_requests,
//         rpc_allow_google_protobuf_empty_responses, disallow_comment_ignores (v2) and
//         allow_comment_ignores (v1)                                -> lint.<same key>
//   breaking: use, except, ignore, ignore_unstable_packages        -> breaking.<same key>
//   v2 modules (one, at path "."): its excludes -> lint.ignore and breaking.ignore, its own lint
//   and breaking sections over the top-level ones; v1 build.excludes likewise.
// v1's categories hold neither PACKAGE_NO_IMPORT_CYCLE nor FIELD_NOT_REQUIRED, so a v1 file gets
// them in lint.except unless its use names them. DEFAULT (v1's name of STANDARD) is STANDARD.
//
// What does not map is said, never dropped silently: an error for what would change the verdict
// beyond repair (another version than v1 or v2, several modules or a module below the directory,
// plugins, disable_builtin), a warning for the rest (deps and buf.lock's pins, which Spoke resolves
// through its registry instead; a module name; breaking.ignore_only; the PROTOVALIDATE rule).
#ifndef SPOKE_BUF_CONFIG_H_
#define SPOKE_BUF_CONFIG_H_

#include <string>
#include <vector>

#include "spoke/module_config.h"
#include "spoke/status.h"

namespace spoke {

inline constexpr char kBufConfigFile[] = "buf.yaml";
inline constexpr char kBufLockFile[] = "buf.lock";

struct BufConfig {
  ModuleConfig config;                // lint.* and breaking.* keys as spoke.yaml has them
  std::vector<std::string> warnings;  // one line each, naming the file and the key
};

// buf.yaml's text (and buf.lock's, "" when there is none) as a spoke.yaml. InvalidArgument, with
// the file and line, for what is not YAML of the shape buf reads or cannot be mapped (above).
Result<BufConfig> ParseBufConfig(const std::string& buf_yaml, const std::string& buf_lock,
                                 const std::string& dir);

// The configuration the checks of `dir` use: dir/spoke.yaml when it exists, else dir/buf.yaml
// (with dir/buf.lock) mapped as above, else an empty one.
Result<BufConfig> LoadCheckConfig(const std::string& dir);

}  // namespace spoke

#endif  // SPOKE_BUF_CONFIG_H_
