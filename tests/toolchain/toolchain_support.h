// Shared pieces of the toolchain tests: a scratch directory, running a shell command with its
// output captured, and compiling sample protos through the artifact cache of a real store.
#ifndef SPOKE_TESTS_TOOLCHAIN_SUPPORT_H_
#define SPOKE_TESTS_TOOLCHAIN_SUPPORT_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "spoke/artifact_cache.h"
#include "spoke/store.h"

namespace spoke::toolchain {

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh; the output is captured.
CommandResult RunShell(const std::string& command);
// True when `tool` is on PATH.
bool HaveTool(const std::string& tool);

// The sample module used across these tests: shop/order.proto importing common/types.proto and a
// well-known type, with a service.
std::map<std::string, std::string> SampleSources();

// Writes `files` under `dir`.
void WriteFiles(const std::filesystem::path& dir, const std::map<std::string, std::string>& files);

// A store in a scratch directory with the sample sources written as blobs.
struct SampleStore {
  ScratchDir dir;
  std::unique_ptr<Store> store;
  CachedCompileRequest request;  // sources set, every file a target; no languages yet
};
std::unique_ptr<SampleStore> MakeSampleStore(const std::map<std::string, std::string>& sources);

}  // namespace spoke::toolchain

#endif  // SPOKE_TESTS_TOOLCHAIN_SUPPORT_H_
