// Fuzzes ParseModuleConfig (include/spoke/module_config.h), the strict YAML subset of spoke.yaml:
// any bytes are refused with InvalidArgument naming the file, or give a config whose module,
// version and deps are what its values say.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "spoke/module_config.h"
#include "spoke/semver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using spoke::fuzz::Check;
  auto config = spoke::ParseModuleConfig(spoke::fuzz::AsString(data, size), "spoke.yaml");
  if (!config.ok()) {
    Check(config.status().code() == spoke::Status::Code::kInvalidArgument,
          "bad spoke.yaml is refused with a code other than InvalidArgument",
          config.status().ToString());
    Check(config.status().message().rfind("spoke.yaml", 0) == 0,
          "an error in spoke.yaml does not start with the file's name", config.status().message());
    return 0;
  }
  Check(config->version.empty() || spoke::SemVer::Parse(config->version).ok(),
        "spoke.yaml parsed with a version that is not semver", config->version);
  for (const char* key : {"module", "version"}) {
    auto it = config->values.find(key);
    const std::string& field = key[0] == 'm' ? config->module : config->version;
    Check(it == config->values.end() ? field.empty()
                                     : it->second.size() == 1 && it->second[0] == field,
          "a config's field differs from its value", key);
  }
  size_t deps = 0;
  for (const char* key : {"deps", "dependencies"}) {
    auto it = config->values.find(key);
    if (it != config->values.end()) deps += it->second.size();
  }
  Check(config->deps.size() == deps, "a config's deps differ from its values");
  for (const auto& [key, items] : config->values) {
    Check(!key.empty(), "a config holds an empty key");
    for (const auto& item : items) Check(!item.empty(), "a config holds an empty value", key);
  }
  return 0;
}
