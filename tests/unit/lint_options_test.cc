// Lint's configuration beyond use and except, as buf has it: the rule options, ignore_only, comment
// ignores (where they hold, what they cover, the switch that turns them off), and where findings
// are placed. Each expectation was checked against buf 1.75 (tests/buf_compare/cases/lint).
#include <gtest/gtest.h>

#include "spoke/lint.h"
#include "spoke/schema_image.h"

namespace spoke {
namespace {

// "RULE file:line:column" per finding, sorted as Lint sorts them.
std::vector<std::string> LintLines(const FileSet& files, const LintConfig& config) {
  auto image = SchemaImage::Build(SourcesFromFiles(files));
  EXPECT_TRUE(image.ok()) << image.status().message();
  if (!image.ok()) return {"(no image)"};
  auto findings = Lint(**image, config);
  EXPECT_TRUE(findings.ok()) << findings.status().message();
  if (!findings.ok()) return {"(error)"};
  std::vector<std::string> out;
  for (const auto& f : *findings) {
    out.push_back(f.rule + " " + f.file + ":" + std::to_string(f.line) + ":" +
                  std::to_string(f.column));
  }
  return out;
}

LintConfig Using(std::vector<std::string> use) {
  LintConfig config;
  config.use = std::move(use);
  return config;
}

using Lines = std::vector<std::string>;

const std::string kRpcs = R"(syntax = "proto3";
package acme.v1;
import "google/protobuf/empty.proto";
service AService {
  rpc Echo(EchoRequest) returns (EchoRequest);
  rpc Ping(google.protobuf.Empty) returns (PingResponse);
  rpc Drop(DropRequest) returns (google.protobuf.Empty);
  rpc Noop(google.protobuf.Empty) returns (google.protobuf.Empty);
}
message EchoRequest {}
message PingResponse {}
message DropRequest {}
)";

TEST(LintOptions, RequestResponseUniqueReportsEachTypeOncePerRpcAtTheRpcKeyword) {
  auto lines = LintLines({{"acme/v1/a.proto", kRpcs}}, Using({"RPC_REQUEST_RESPONSE_UNIQUE"}));
  // Echo: request and response are one type. Ping, Drop: Empty is shared. Noop: both.
  EXPECT_EQ(lines, (Lines{"RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:5:3",
                          "RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:6:3",
                          "RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:7:3",
                          "RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:8:3",
                          "RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:8:3"}));
}

TEST(LintOptions, SameRequestResponseCanBeAllowed) {
  LintConfig config = Using({"RPC_REQUEST_RESPONSE_UNIQUE"});
  config.options.rpc_allow_same_request_response = true;
  auto lines = LintLines({{"acme/v1/a.proto", kRpcs}}, config);
  EXPECT_EQ(lines, (Lines{"RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:6:3",
                          "RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:7:3",
                          "RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:8:3"}));
}

TEST(LintOptions, EmptyIsAllowedPerRoleItPlaysInEachRpc) {
  LintConfig requests = Using({"RPC_REQUEST_RESPONSE_UNIQUE", "RPC_REQUEST_STANDARD_NAME"});
  requests.options.rpc_allow_google_protobuf_empty_requests = true;
  EXPECT_EQ(LintLines({{"acme/v1/a.proto", kRpcs}}, requests),
            (Lines{"RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:5:3",
                   "RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:7:3",
                   "RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:8:3",
                   "RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:8:3"}));
  LintConfig both = requests;
  both.use = {"RPC_REQUEST_RESPONSE_UNIQUE", "RPC_RESPONSE_STANDARD_NAME"};
  both.options.rpc_allow_google_protobuf_empty_responses = true;
  EXPECT_EQ(LintLines({{"acme/v1/a.proto", kRpcs}}, both),
            (Lines{"RPC_REQUEST_RESPONSE_UNIQUE acme/v1/a.proto:5:3",
                   "RPC_RESPONSE_STANDARD_NAME acme/v1/a.proto:5:34"}));
}

TEST(LintOptions, PathsCountOnlyTheRpcsOfFilesUnderThem) {
  const std::string shared = "syntax = \"proto3\";\npackage acme.v1;\nmessage Shared {}\n";
  auto service = [](const std::string& name) {
    return "syntax = \"proto3\";\npackage acme.v1;\nimport \"acme/v1/shared.proto\";\nservice " +
           name + " {\n  rpc Get(Shared) returns (" + name + "GetResponse);\n}\nmessage " + name +
           "GetResponse {}\n";
  };
  FileSet files = {{"acme/v1/shared.proto", shared},
                   {"acme/v1/a.proto", service("A")},
                   {"acme/v1/b.proto", service("B")}};
  LintConfig config = Using({"RPC_REQUEST_RESPONSE_UNIQUE"});
  EXPECT_EQ(LintLines(files, config).size(), 2u);
  config.options.paths = {"acme/v1/a.proto"};
  EXPECT_EQ(LintLines(files, config), Lines{});
}

TEST(LintOptions, PathsLimitWhatRulesCompareButImportCyclesFollowTheWholeModule) {
  FileSet files = {
      {"a/v1/a.proto",
       "syntax = \"proto3\";\npackage a.v1;\nimport \"b/v1/b.proto\";\noption go_package = "
       "\"x/a\";\nmessage A {\n  b.v1.B b = 1;\n}\n"},
      {"a/v1/leaf.proto", "syntax = \"proto3\";\npackage a.v1;\nmessage Leaf {}\n"},
      {"b/v1/b.proto",
       "syntax = \"proto3\";\npackage b.v1;\nimport \"a/v1/leaf.proto\";\nmessage B {\n  "
       "a.v1.Leaf leaf = 1;\n}\n"}};
  LintConfig config = Using({"PACKAGE_SAME_GO_PACKAGE", "PACKAGE_NO_IMPORT_CYCLE"});
  EXPECT_EQ(LintLines(files, config), (Lines{"PACKAGE_NO_IMPORT_CYCLE a/v1/a.proto:3:1",
                                             "PACKAGE_SAME_GO_PACKAGE a/v1/a.proto:4:1",
                                             "PACKAGE_SAME_GO_PACKAGE a/v1/leaf.proto:1:1",
                                             "PACKAGE_NO_IMPORT_CYCLE b/v1/b.proto:3:1"}));
  config.options.paths = {"a/v1/a.proto"};
  EXPECT_EQ(LintLines(files, config), (Lines{"PACKAGE_NO_IMPORT_CYCLE a/v1/a.proto:3:1"}));
}

TEST(LintOptions, EnumZeroValueSuffixAndServiceSuffixAreConfigurable) {
  FileSet files = {{"acme/v1/a.proto", R"(syntax = "proto3";
package acme.v1;
enum Kind {
  KIND_NONE = 0;
}
service UserAPI {}
)"}};
  LintConfig config = Using({"ENUM_ZERO_VALUE_SUFFIX", "SERVICE_SUFFIX"});
  EXPECT_EQ(LintLines(files, config), (Lines{"ENUM_ZERO_VALUE_SUFFIX acme/v1/a.proto:4:3",
                                             "SERVICE_SUFFIX acme/v1/a.proto:6:9"}));
  config.options.enum_zero_value_suffix = "_NONE";
  config.options.service_suffix = "API";
  EXPECT_EQ(LintLines(files, config), Lines{});
}

TEST(LintOptions, IgnoreOnlyDropsOneRuleOrCategoryUnderAPath) {
  FileSet files = {
      {"acme/v1/a.proto",
       "syntax = \"proto3\";\npackage acme.v1;\nmessage A {\n  string badName = 1;\n}\n"},
      {"legacy/v1/b.proto",
       "syntax = \"proto3\";\npackage legacy.v1;\nmessage b {\n  string badName = 1;\n}\n"}};
  LintConfig config = Using({"BASIC"});
  config.ignore_only["FIELD_LOWER_SNAKE_CASE"] = {"legacy"};
  EXPECT_EQ(LintLines(files, config), (Lines{"FIELD_LOWER_SNAKE_CASE acme/v1/a.proto:4:10",
                                             "MESSAGE_PASCAL_CASE legacy/v1/b.proto:3:9"}));
  config.ignore_only["BASIC"] = {"legacy/v1/b.proto"};
  EXPECT_EQ(LintLines(files, config), (Lines{"FIELD_LOWER_SNAKE_CASE acme/v1/a.proto:4:10"}));
}

const std::string kIgnores = R"(syntax = "proto3";
// buf:lint:ignore PACKAGE_DIRECTORY_MATCH
package acme.v2;
// spoke:lint:ignore PACKAGE_SAME_GO_PACKAGE
option go_package = "example.com/acme";
// buf:lint:ignore FIELD_LOWER_SNAKE_CASE
message Outer {
  string badOne = 1;
  message Inner {
    string badTwo = 1;
  }
}
message Plain {
  string badThree = 1;
}
)";

TEST(LintOptions, CommentIgnoresHoldAbovePackageAndOptionAndCoverNestedElements) {
  FileSet files = {{"acme/v1/a.proto", kIgnores},
                   {"acme/v1/b.proto", "syntax = \"proto3\";\npackage acme.v2;\nmessage B {}\n"}};
  LintConfig config =
      Using({"PACKAGE_DIRECTORY_MATCH", "PACKAGE_SAME_GO_PACKAGE", "FIELD_LOWER_SNAKE_CASE"});
  EXPECT_EQ(LintLines(files, config), (Lines{"FIELD_LOWER_SNAKE_CASE acme/v1/a.proto:14:10",
                                             "PACKAGE_SAME_GO_PACKAGE acme/v1/b.proto:1:1",
                                             "PACKAGE_DIRECTORY_MATCH acme/v1/b.proto:2:1"}));
}

TEST(LintOptions, CommentIgnoresCanBeTurnedOff) {
  FileSet files = {{"acme/v1/a.proto", kIgnores}};
  LintConfig config = Using({"PACKAGE_DIRECTORY_MATCH", "FIELD_LOWER_SNAKE_CASE"});
  config.comment_ignores = false;
  EXPECT_EQ(LintLines(files, config), (Lines{"PACKAGE_DIRECTORY_MATCH acme/v1/a.proto:3:1",
                                             "FIELD_LOWER_SNAKE_CASE acme/v1/a.proto:8:10",
                                             "FIELD_LOWER_SNAKE_CASE acme/v1/a.proto:10:12",
                                             "FIELD_LOWER_SNAKE_CASE acme/v1/a.proto:14:10"}));
}

TEST(LintOptions, AnIgnoreOnlyCommentIsNotDocumentationAndCommentsAreReportedAtTheKeyword) {
  FileSet files = {{"acme/v1/a.proto", R"(syntax = "proto3";
package acme.v1;
// buf:lint:ignore MESSAGE_PASCAL_CASE
// spoke:lint:ignore FIELD_LOWER_SNAKE_CASE
message A {
  // Documented.
  // buf:lint:ignore FIELD_LOWER_SNAKE_CASE
  repeated string tags = 1;
  //
  optional int32 n = 2;
}
)"}};
  EXPECT_EQ(LintLines(files, Using({"COMMENT_MESSAGE", "COMMENT_FIELD"})),
            (Lines{"COMMENT_MESSAGE acme/v1/a.proto:5:1", "COMMENT_FIELD acme/v1/a.proto:10:3"}));
}

TEST(LintOptions, FilesWithoutAPackageAreOnePackageForPackageSameDirectory) {
  FileSet files = {{"x/a.proto", "syntax = \"proto3\";\nmessage A {}\n"},
                   {"y/b.proto", "// No package.\nsyntax = \"proto3\";\nmessage B {}\n"}};
  EXPECT_EQ(
      LintLines(files, Using({"PACKAGE_SAME_DIRECTORY"})),
      (Lines{"PACKAGE_SAME_DIRECTORY x/a.proto:1:1", "PACKAGE_SAME_DIRECTORY y/b.proto:1:1"}));
}

TEST(LintOptions, SpokeYamlSpellsEveryOption) {
  ModuleConfig module;
  module.values["lint.ignore_only"] = {"FIELD_LOWER_SNAKE_CASE legacy/", "BASIC a/b.proto"};
  module.values["lint.enum_zero_value_suffix"] = {"_NONE"};
  module.values["lint.service_suffix"] = {"API"};
  module.values["lint.rpc_allow_same_request_response"] = {"true"};
  module.values["lint.rpc_allow_google_protobuf_empty_requests"] = {"true"};
  module.values["lint.rpc_allow_google_protobuf_empty_responses"] = {"false"};
  module.values["lint.disallow_comment_ignores"] = {"true"};
  auto config = LintConfigFromModuleConfig(module);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->ignore_only["FIELD_LOWER_SNAKE_CASE"], Lines{"legacy/"});
  EXPECT_EQ(config->ignore_only["BASIC"], Lines{"a/b.proto"});
  EXPECT_EQ(config->options.enum_zero_value_suffix, "_NONE");
  EXPECT_EQ(config->options.service_suffix, "API");
  EXPECT_TRUE(config->options.rpc_allow_same_request_response);
  EXPECT_TRUE(config->options.rpc_allow_google_protobuf_empty_requests);
  EXPECT_FALSE(config->options.rpc_allow_google_protobuf_empty_responses);
  EXPECT_FALSE(config->comment_ignores);
}

TEST(LintOptions, SpokeYamlRefusesMalformedOptions) {
  for (auto [key, value] : {std::pair{"lint.rpc_allow_same_request_response", "yes"},
                            std::pair{"lint.ignore_only", "FIELD_LOWER_SNAKE_CASE"},
                            std::pair{"lint.disallow_comment_ignores", "1"}}) {
    ModuleConfig module;
    module.values[key] = {value};
    auto config = LintConfigFromModuleConfig(module);
    EXPECT_FALSE(config.ok()) << key << ": " << value;
    if (!config.ok()) {
      EXPECT_NE(config.status().message().find(key), std::string::npos);
    }
  }
  ModuleConfig two;
  two.values["lint.service_suffix"] = {"A", "B"};
  EXPECT_FALSE(LintConfigFromModuleConfig(two).ok());
}

TEST(LintOptions, IgnoreOnlyOfAnUnknownRuleIsAnError) {
  LintConfig config = Using({"BASIC"});
  config.ignore_only["NO_SUCH_RULE"] = {"a"};
  auto image = SchemaImage::Build(SourcesFromFiles({{"a.proto", "syntax = \"proto3\";\n"}}));
  ASSERT_TRUE(image.ok());
  EXPECT_FALSE(Lint(**image, config).ok());
}

}  // namespace
}  // namespace spoke
