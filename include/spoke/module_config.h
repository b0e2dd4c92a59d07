// spoke.yaml: a module directory's configuration.
//
// Spoke reads a small, strict subset of YAML: "key: value" scalars, "key:" followed by "  - item"
// lists, sections one level deep (a top-level "key:" followed by indented "key: value" or list
// keys, read as "section.key"), '#' comments, blank lines. Anything else is an error with its line
// number, so a typo never silently changes what is pushed. Known keys:
//   module: payments/ledger     the module name (a flag given on the command line wins)
//   version: v1.2.0             the version push and batch-push create (the -version flag wins
//                               for push; batch-push uses it over its -version default)
//   deps:                       dependencies, pinned at push ("dependencies:" is accepted too)
//     - common@v1.2.0
//   lint:                       lint rules: use, except, ignore, ignore_only and buf's rule
//                               options (lint.h)
//     except:
//       - PACKAGE_VERSION_SUFFIX
//   breaking:                   breaking-change rules: level, except, ignore (breaking.h)
//     level: WIRE_JSON
// Where a directory has no spoke.yaml but a buf.yaml, the checks read that instead, mapped onto
// these keys (buf_config.h).
#ifndef SPOKE_MODULE_CONFIG_H_
#define SPOKE_MODULE_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "spoke/status.h"

namespace spoke {

inline constexpr char kModuleConfigFile[] = "spoke.yaml";

struct ModuleConfig {
  std::string module;
  std::string version;            // empty when absent; valid semver otherwise
  std::vector<std::string> deps;  // "module@version"
  // Every key as read, section keys as "section.key" ("lint.except"); a scalar is a one-item list.
  std::map<std::string, std::vector<std::string>> values;
};

Result<ModuleConfig> ParseModuleConfig(const std::string& text, const std::string& filename);
// Reads dir/spoke.yaml; an absent file gives an empty config.
Result<ModuleConfig> LoadModuleConfig(const std::string& dir);

}  // namespace spoke

#endif  // SPOKE_MODULE_CONFIG_H_
