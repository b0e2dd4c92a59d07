// Scratch dirs, shell commands and the sample module for the toolchain tests.
#include "toolchain_support.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace spoke::toolchain {

ScratchDir::ScratchDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "spoke-toolchain-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult RunShell(const std::string& command) {
  CommandResult result;
  std::string wrapped = "(" + command + ") 2>&1";
  FILE* pipe = popen(wrapped.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool HaveTool(const std::string& tool) { return RunShell("command -v " + tool).exit_code == 0; }

std::map<std::string, std::string> SampleSources() {
  return {
      {"common/types.proto",
       "syntax = \"proto3\";\n"
       "package common.v1;\n"
       "option java_package = \"com.example.common.v1\";\n"
       "option go_package = \"example.com/gen/common/v1;commonv1\";\n"
       "message Money {\n"
       "  int64 units = 1;\n"
       "  string currency = 2;\n"
       "}\n"},
      {"shop/order.proto",
       "syntax = \"proto3\";\n"
       "package shop.v1;\n"
       "option java_package = \"com.example.shop.v1\";\n"
       "option java_multiple_files = true;\n"
       "option go_package = \"example.com/gen/shop/v1;shopv1\";\n"
       "import \"common/types.proto\";\n"
       "import \"google/protobuf/timestamp.proto\";\n"
       "message Order {\n"
       "  string id = 1;\n"
       "  common.v1.Money total = 2;\n"
       "  repeated string items = 3;\n"
       "  google.protobuf.Timestamp placed_at = 4;\n"
       "}\n"
       "message GetOrderRequest { string id = 1; }\n"
       "service OrderService {\n"
       "  rpc GetOrder(GetOrderRequest) returns (Order);\n"
       "}\n"},
  };
}

void WriteFiles(const std::filesystem::path& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [path, content] : files) {
    std::filesystem::path target = dir / path;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary) << content;
  }
}

std::unique_ptr<SampleStore> MakeSampleStore(const std::map<std::string, std::string>& sources) {
  auto sample = std::make_unique<SampleStore>();
  auto store = Store::Open((sample->dir.path() / "store").string(), true);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  sample->store = std::move(*store);
  for (const auto& [path, content] : sources) {
    auto id = sample->store->WriteBlob(content);
    if (!id.ok()) {
      ADD_FAILURE() << id.status().ToString();
      return nullptr;
    }
    sample->request.sources[path] = *id;
    sample->request.targets.push_back(path);
  }
  return sample;
}

}  // namespace spoke::toolchain
