// What the generated-code tests share: a registry holding two small modules ("shop", whose files
// import each other and a well-known type, and "clock", built on well-known types only), and a
// client for the compile route.
#ifndef SPOKE_TESTS_E2E_GENERATED_CODE_FIXTURE_H_
#define SPOKE_TESTS_E2E_GENERATED_CODE_FIXTURE_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {

// shop@v1.0.0: order.proto imports money.proto and google/protobuf/timestamp.proto and declares a
// service, so gRPC generators have something to write.
inline const FileSet kShopFiles = {
    {"shop/money.proto",
     "syntax = \"proto3\";\npackage shop;\noption go_package = \"example.com/shop;shop\";\n\n"
     "message Money {\n  int64 units = 1;\n  string currency = 2;\n}\n"},
    {"shop/order.proto",
     "syntax = \"proto3\";\npackage shop;\noption go_package = \"example.com/shop;shop\";\n\n"
     "import \"google/protobuf/timestamp.proto\";\nimport \"shop/money.proto\";\n\n"
     "message Order {\n  string id = 1;\n  Money total = 2;\n  google.protobuf.Timestamp placed = "
     "3;\n}\n"
     "message GetOrderRequest {\n  string id = 1;\n}\n"
     "service Orders {\n  rpc GetOrder(GetOrderRequest) returns (Order);\n}\n"},
};

// What libprotoc's C++ generator writes for kShopFiles.
inline const std::set<std::string> kShopCppFiles = {"shop/money.pb.cc", "shop/money.pb.h",
                                                    "shop/order.pb.cc", "shop/order.pb.h"};

// clock@v2.1.0: one file whose every import is a well-known type.
inline const FileSet kClockFiles = {
    {"clock.proto",
     "syntax = \"proto3\";\npackage clock;\n\n"
     "import \"google/protobuf/duration.proto\";\nimport \"google/protobuf/timestamp.proto\";\n"
     "import \"google/protobuf/struct.proto\";\n\n"
     "message Alarm {\n  google.protobuf.Timestamp at = 1;\n  google.protobuf.Duration snooze = "
     "2;\n"
     "  google.protobuf.Struct labels = 3;\n}\n"},
};

// An answer of the compile route, parsed.
struct CompileAnswer {
  int status = 0;
  Json body;
  std::string raw;
};

// POSTs an empty JSON body to /modules/<module>/versions/<version>/compile/<language>.
inline CompileAnswer PostCompile(httplib::Client& http, const std::string& module,
                                 const std::string& version, const std::string& language) {
  std::string path = "/modules/" + module + "/versions/" + version + "/compile/" + language;
  auto result = http.Post(path.c_str(), "", "application/json");
  CompileAnswer answer;
  if (!result) {
    ADD_FAILURE() << "POST " << path << ": no answer: " << httplib::to_string(result.error());
    return answer;
  }
  answer.status = result->status;
  answer.raw = result->body;
  auto json = Json::Parse(result->body);
  if (json.ok()) {
    answer.body = std::move(*json);
  } else {
    ADD_FAILURE() << "POST " << path << " answered " << result->status << " with non-JSON "
                  << result->body;
  }
  return answer;
}

// The "files" of a compile answer: path -> size.
inline std::map<std::string, int64_t> FileSizes(const Json& answer) {
  std::map<std::string, int64_t> sizes;
  const Json* files = answer.Get("files");
  if (!files || !files->is_array()) {
    ADD_FAILURE() << "no \"files\" array in " << answer.Dump();
    return sizes;
  }
  for (const Json& file : files->as_array())
    sizes[file.GetString("path")] = file.Get("size") ? file.Get("size")->as_int() : -1;
  return sizes;
}

inline std::set<std::string> PathsOf(const std::map<std::string, int64_t>& sizes) {
  std::set<std::string> paths;
  for (const auto& [path, size] : sizes) paths.insert(path);
  return paths;
}

inline std::set<std::string> PathsOf(const FileSet& files) {
  std::set<std::string> paths;
  for (const auto& [path, content] : files) paths.insert(path);
  return paths;
}

// Records a failure naming each path missing, extra or different in `actual` (generated files
// are long; printing them whole would bury the difference).
inline void ExpectSameFiles(const FileSet& actual, const FileSet& expected) {
  for (const auto& [path, content] : expected) {
    auto it = actual.find(path);
    if (it == actual.end()) {
      ADD_FAILURE() << "missing " << path;
    } else if (it->second != content) {
      ADD_FAILURE() << path << " differs (" << it->second.size() << " bytes, expected "
                    << content.size() << ")";
    }
  }
  for (const auto& [path, content] : actual) {
    if (!expected.count(path)) ADD_FAILURE() << "unexpected " << path;
  }
  if (expected.empty() && actual.empty()) ADD_FAILURE() << "no files on either side";
}

// True when `text` is `length` lowercase hex digits.
inline bool IsHex(const std::string& text, size_t length) {
  return text.size() == length && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A registry holding shop@v1.0.0 and clock@v2.1.0, pushed with the CLI.
class RegistryWithModules : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    CliUser publisher(work_.Sub("publisher-home"), server_->url());
    for (const auto& [module, version, files] :
         {std::tuple{"shop", "v1.0.0", &kShopFiles}, std::tuple{"clock", "v2.1.0", &kClockFiles}}) {
      WriteFiles(work_.Sub(std::string("src-") + module), *files);
      CommandResult push = publisher.Run({"push", "-module", module, "-version", version, "-dir",
                                          work_.Sub(std::string("src-") + module)});
      ASSERT_EQ(push.exit_code, 0) << push.Describe();
    }
  }

  std::string Storage() const { return work_.Sub("storage"); }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace spoke::e2e

#endif  // SPOKE_TESTS_E2E_GENERATED_CODE_FIXTURE_H_
