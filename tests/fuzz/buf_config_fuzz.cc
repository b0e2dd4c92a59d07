// Fuzzes ParseBufConfig (include/spoke/buf_config.h), buf.yaml and buf.lock read as spoke.yaml. The
// input is buf.yaml, then optionally a NUL byte and buf.lock. Any bytes are refused with
// InvalidArgument naming the file, or give a config holding only lint.* and breaking.* keys and
// warnings that name their file.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "spoke/buf_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using spoke::fuzz::Check;
  std::string input = spoke::fuzz::AsString(data, size);
  size_t nul = input.find('\0');
  std::string yaml = input.substr(0, nul);
  std::string lock = nul == std::string::npos ? "" : input.substr(nul + 1);
  auto config = spoke::ParseBufConfig(yaml, lock, "proj");
  if (!config.ok()) {
    Check(config.status().code() == spoke::Status::Code::kInvalidArgument,
          "a bad buf.yaml is refused with a code other than InvalidArgument",
          config.status().ToString());
    Check(config.status().message().rfind("proj/buf.", 0) == 0,
          "an error in buf.yaml or buf.lock does not start with the file's name",
          config.status().message());
    return 0;
  }
  for (const auto& [key, items] : config->config.values) {
    Check(key.rfind("lint.", 0) == 0 || key.rfind("breaking.", 0) == 0,
          "buf.yaml mapped onto a key outside lint and breaking", key);
  }
  Check(config->config.module.empty() && config->config.deps.empty(),
        "buf.yaml set spoke.yaml's module or deps");
  for (const auto& warning : config->warnings) {
    Check(warning.rfind("proj/buf.", 0) == 0, "a warning does not start with its file's name",
          warning);
  }
  return 0;
}
