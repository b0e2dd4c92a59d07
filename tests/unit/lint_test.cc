// Lint: every rule reports a violating file and stays quiet on a clean one; categories, except,
// ignore paths and ignore comments; positions; custom rules through the extension point.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "spoke/lint.h"
#include "spoke/schema_image.h"

namespace spoke {
namespace {

// A module that follows every STANDARD rule.
const std::string kCleanUser = R"(syntax = "proto3";
package acme.user.v1;

message GetUserRequest {
  string user_id = 1;
}
message GetUserResponse {
  User user = 1;
}
message User {
  string name = 1;
  Status status = 2;
  oneof contact {
    string email = 3;
    string phone = 4;
  }
}
enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_ACTIVE = 1;
}
service UserService {
  rpc GetUser(GetUserRequest) returns (GetUserResponse);
}
)";

const std::string kCommentedUser = R"(syntax = "proto3";
package acme.user.v1;

// Asks for a user.
message GetUserRequest {
  // Who.
  string user_id = 1;
}
// A user.
message GetUserResponse {
  // The user.
  string name = 1;
  // How to reach them.
  oneof contact {
    // By mail.
    string email = 3;
  }
  // Their state.
  Status status = 2;
}
// States.
enum Status {
  // Unknown.
  STATUS_UNSPECIFIED = 0;
}
// Users.
service UserService {
  // Reads one.
  rpc GetUser(GetUserRequest) returns (GetUserResponse);
}
)";

FileSet Clean() { return {{"acme/user/v1/user.proto", kCleanUser}}; }

// kCleanUser with `from` replaced by `to` (which must occur).
FileSet Edited(const std::string& from, const std::string& to,
               const std::string& path = "acme/user/v1/user.proto") {
  std::string text = kCleanUser;
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return {{path, text}};
}

Result<std::vector<Finding>> LintFiles(const FileSet& files, const LintConfig& config,
                                       const std::vector<LintRule>& extra = {}) {
  auto image = SchemaImage::Build(SourcesFromFiles(files));
  if (!image.ok()) return image.status();
  return Lint(**image, config, extra);
}

struct RuleCase {
  const char* rule;
  FileSet bad;
  FileSet good;
};

void PrintTo(const RuleCase& c, std::ostream* out) { *out << c.rule; }

const std::string kProto2User = R"(package acme.user.v1;
message User {
  optional string name = 1;
}
)";

// Two files of one package: bad when only one sets `option`, good when both do.
RuleCase SameOptionCase(const char* rule, const std::string& option) {
  std::string other = "syntax = \"proto3\";\npackage acme.user.v1;\n";
  std::string with_option = other + "option " + option + ";\n";
  return {rule,
          {{"acme/user/v1/a.proto", with_option + "message A {}\n"},
           {"acme/user/v1/b.proto", other + "message B {}\n"}},
          {{"acme/user/v1/a.proto", with_option + "message A {}\n"},
           {"acme/user/v1/b.proto", with_option + "message B {}\n"}}};
}

std::vector<RuleCase> RuleCases() {
  FileSet commented = {{"acme/user/v1/user.proto", kCommentedUser}};
  FileSet uncommented = {{"acme/user/v1/user.proto",
                          kCommentedUser.substr(0, kCommentedUser.find("// Asks")) +
                              "message GetUserRequest {\n  string user_id = 1;\n}\n"
                              "message GetUserResponse {\n  string name = 1;\n"
                              "  oneof contact {\n    string email = 3;\n  }\n"
                              "  Status status = 2;\n}\n"
                              "enum Status {\n  STATUS_UNSPECIFIED = 0;\n}\n"
                              "service UserService {\n"
                              "  rpc GetUser(GetUserRequest) returns (GetUserResponse);\n}\n"}};
  return {
      {"PACKAGE_LOWER_SNAKE_CASE",
       Edited("package acme.user.v1;", "package acme.User.v1;", "acme/User/v1/user.proto"),
       Clean()},
      {"PACKAGE_VERSION_SUFFIX",
       Edited("package acme.user.v1;", "package acme.user;", "acme/user/user.proto"), Clean()},
      {"PACKAGE_DEFINED", Edited("package acme.user.v1;", "", "user.proto"), Clean()},
      {"PACKAGE_DIRECTORY_MATCH", Edited("x", "x", "user.proto"), Clean()},
      {"DIRECTORY_SAME_PACKAGE",
       {{"acme/user/v1/user.proto", kCleanUser},
        {"acme/user/v1/other.proto",
         "syntax = \"proto3\";\npackage acme.user.v2;\nmessage Other {}\n"}},
       Clean()},
      {"PACKAGE_SAME_DIRECTORY",
       {{"acme/user/v1/user.proto", kCleanUser},
        {"acme/user/v1/sub/other.proto",
         "syntax = \"proto3\";\npackage acme.user.v1;\nmessage Other {}\n"}},
       Clean()},
      {"FILE_LOWER_SNAKE_CASE", Edited("x", "x", "acme/user/v1/UserApi.proto"), Clean()},
      {"SYNTAX_SPECIFIED",
       {{"acme/user/v1/user.proto", kProto2User}},
       {{"acme/user/v1/user.proto", "syntax = \"proto2\";\n" + kProto2User}}},
      {"MESSAGE_PASCAL_CASE",
       Edited("message User {\n", "message user_record {}\nmessage User {\n"), Clean()},
      {"FIELD_LOWER_SNAKE_CASE", Edited("string user_id = 1;", "string userId = 1;"), Clean()},
      {"ONEOF_LOWER_SNAKE_CASE", Edited("oneof contact", "oneof Contact"), Clean()},
      {"ENUM_PASCAL_CASE",
       Edited("enum Status {",
              "enum status_kind {\n  STATUS_KIND_UNSPECIFIED = 0;\n}\nenum Status {"),
       Clean()},
      {"ENUM_VALUE_UPPER_SNAKE_CASE", Edited("STATUS_ACTIVE = 1;", "STATUS_Active = 1;"), Clean()},
      {"ENUM_VALUE_PREFIX", Edited("STATUS_ACTIVE = 1;", "ACTIVE = 1;"), Clean()},
      {"ENUM_ZERO_VALUE_SUFFIX", Edited("STATUS_UNSPECIFIED = 0;", "STATUS_NONE = 0;"), Clean()},
      {"ENUM_FIRST_VALUE_ZERO",
       {{"acme/user/v1/user.proto",
         "syntax = \"proto2\";\npackage acme.user.v1;\nenum Status {\n  STATUS_ACTIVE = 1;\n"
         "  STATUS_UNSPECIFIED = 0;\n}\n"}},
       Clean()},
      {"ENUM_NO_ALLOW_ALIAS",
       Edited("STATUS_ACTIVE = 1;",
              "option allow_alias = true;\n  STATUS_ACTIVE = 1;\n  STATUS_ENABLED = 1;"),
       Clean()},
      {"SERVICE_PASCAL_CASE", Edited("service UserService", "service user_Service"), Clean()},
      {"SERVICE_SUFFIX", Edited("service UserService", "service Users"), Clean()},
      {"RPC_PASCAL_CASE", Edited("rpc GetUser(", "rpc get_user("), Clean()},
      {"RPC_REQUEST_STANDARD_NAME", Edited("rpc GetUser(GetUserRequest)", "rpc GetUser(User)"),
       Clean()},
      {"RPC_RESPONSE_STANDARD_NAME", Edited("returns (GetUserResponse)", "returns (User)"),
       Clean()},
      {"RPC_REQUEST_RESPONSE_UNIQUE",
       Edited("rpc GetUser(GetUserRequest) returns (GetUserResponse);",
              "rpc GetUser(GetUserRequest) returns (GetUserResponse);\n  rpc "
              "FindUser(GetUserRequest) returns (User);"),
       Clean()},
      {"RPC_NO_CLIENT_STREAMING",
       Edited("rpc GetUser(GetUserRequest)", "rpc GetUser(stream GetUserRequest)"), Clean()},
      {"RPC_NO_SERVER_STREAMING",
       Edited("returns (GetUserResponse)", "returns (stream GetUserResponse)"), Clean()},
      {"IMPORT_NO_PUBLIC",
       {{"acme/user/v1/user.proto",
         "syntax = \"proto3\";\npackage acme.user.v1;\nimport public \"acme/user/v1/base.proto\";\n"
         "message User {\n  Base base = 1;\n}\n"},
        {"acme/user/v1/base.proto",
         "syntax = \"proto3\";\npackage acme.user.v1;\nmessage Base {}\n"}},
       Clean()},
      {"IMPORT_NO_WEAK",
       {{"acme/user/v1/user.proto",
         "syntax = \"proto3\";\npackage acme.user.v1;\nimport weak \"acme/user/v1/base.proto\";\n"
         "message User {}\n"},
        {"acme/user/v1/base.proto",
         "syntax = \"proto3\";\npackage acme.user.v1;\nmessage Base {}\n"}},
       Clean()},
      {"IMPORT_USED",
       Edited("package acme.user.v1;\n",
              "package acme.user.v1;\nimport \"google/protobuf/timestamp.proto\";\n"),
       Edited("package acme.user.v1;\n",
              "package acme.user.v1;\nimport \"google/protobuf/timestamp.proto\";\n"
              "message Stamped {\n  google.protobuf.Timestamp at = 1;\n}\n")},
      {"FIELD_NOT_REQUIRED",
       {{"acme/user/v1/user.proto", "syntax = \"proto2\";\n" + kProto2User +
                                        "message Id {\n"
                                        "  required string value = 1;\n}\n"}},
       {{"acme/user/v1/user.proto", "syntax = \"proto2\";\n" + kProto2User}}},
      {"PACKAGE_NO_IMPORT_CYCLE",
       {{"acme/a/v1/a.proto",
         "syntax = \"proto3\";\npackage acme.a.v1;\n"
         "import \"acme/b/v1/b.proto\";\nmessage A {\n  acme.b.v1.B b = 1;\n}\n"},
        {"acme/b/v1/b.proto",
         "syntax = \"proto3\";\npackage acme.b.v1;\n"
         "import \"acme/a/v1/c.proto\";\nmessage B {\n  acme.a.v1.C c = 1;\n}\n"},
        {"acme/a/v1/c.proto", "syntax = \"proto3\";\npackage acme.a.v1;\nmessage C {}\n"}},
       {{"acme/a/v1/a.proto",
         "syntax = \"proto3\";\npackage acme.a.v1;\n"
         "import \"acme/b/v1/b.proto\";\nmessage A {\n  acme.b.v1.B b = 1;\n}\n"},
        {"acme/b/v1/b.proto", "syntax = \"proto3\";\npackage acme.b.v1;\nmessage B {}\n"}}},
      {"STABLE_PACKAGE_NO_IMPORT_UNSTABLE",
       {{"acme/a/v1/a.proto",
         "syntax = \"proto3\";\npackage acme.a.v1;\n"
         "import \"acme/b/v1beta1/b.proto\";\n"
         "message A {\n  acme.b.v1beta1.B b = 1;\n}\n"},
        {"acme/b/v1beta1/b.proto",
         "syntax = \"proto3\";\npackage acme.b.v1beta1;\nmessage B {}\n"}},
       {{"acme/a/v1beta1/a.proto",
         "syntax = \"proto3\";\npackage acme.a.v1beta1;\n"
         "import \"acme/b/v1/b.proto\";\n"
         "message A {\n  acme.b.v1.B b = 1;\n}\n"},
        {"acme/b/v1/b.proto", "syntax = \"proto3\";\npackage acme.b.v1;\nmessage B {}\n"}}},
      SameOptionCase("PACKAGE_SAME_CSHARP_NAMESPACE", "csharp_namespace = \"Acme.User\""),
      SameOptionCase("PACKAGE_SAME_GO_PACKAGE", "go_package = \"acme/user\""),
      SameOptionCase("PACKAGE_SAME_JAVA_MULTIPLE_FILES", "java_multiple_files = true"),
      SameOptionCase("PACKAGE_SAME_JAVA_PACKAGE", "java_package = \"com.acme.user\""),
      SameOptionCase("PACKAGE_SAME_PHP_NAMESPACE", "php_namespace = \"Acme\\\\User\""),
      SameOptionCase("PACKAGE_SAME_RUBY_PACKAGE", "ruby_package = \"Acme::User\""),
      SameOptionCase("PACKAGE_SAME_SWIFT_PREFIX", "swift_prefix = \"AU\""),
      {"COMMENT_MESSAGE", uncommented, commented},
      {"COMMENT_FIELD", uncommented, commented},
      {"COMMENT_ONEOF", uncommented, commented},
      {"COMMENT_ENUM", uncommented, commented},
      {"COMMENT_ENUM_VALUE", uncommented, commented},
      {"COMMENT_SERVICE", uncommented, commented},
      {"COMMENT_RPC", uncommented, commented},
  };
}

class LintRuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(LintRuleTest, ReportsTheViolationAndNothingOnTheCleanVersion) {
  const RuleCase& c = GetParam();
  LintConfig config;
  config.use = {c.rule};
  auto bad = LintFiles(c.bad, config);
  ASSERT_TRUE(bad.ok()) << bad.status().message();
  ASSERT_FALSE(bad->empty()) << c.rule << " found nothing";
  for (const auto& f : *bad) {
    EXPECT_EQ(f.rule, c.rule);
    EXPECT_GT(f.line, 0) << FormatFinding(f);
  }
  auto good = LintFiles(c.good, config);
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_TRUE(good->empty()) << FormatFindings(*good);
}

INSTANTIATE_TEST_SUITE_P(Rules, LintRuleTest, ::testing::ValuesIn(RuleCases()),
                         [](const ::testing::TestParamInfo<RuleCase>& param_info) {
                           return std::string(param_info.param.rule);
                         });

TEST(Lint, EveryBuiltinRuleHasACase) {
  std::set<std::string> covered;
  for (const auto& c : RuleCases()) covered.insert(c.rule);
  for (const auto& rule : BuiltinLintRules())
    EXPECT_TRUE(covered.count(rule.id)) << rule.id << " has no test case";
}

TEST(Lint, TheCleanModulePassesTheDefaultRules) {
  auto findings = LintFiles(Clean(), LintConfig{});
  ASSERT_TRUE(findings.ok()) << findings.status().message();
  EXPECT_TRUE(findings->empty()) << FormatFindings(*findings);
}

TEST(Lint, DefaultIsStandardWithoutCommentsOrUnaryRpc) {
  auto enabled = EnabledLintRules(LintConfig{}, BuiltinLintRules());
  ASSERT_TRUE(enabled.ok());
  auto has = [&](const std::string& id) {
    return std::count(enabled->begin(), enabled->end(), id) == 1;
  };
  EXPECT_TRUE(has("ENUM_ZERO_VALUE_SUFFIX"));
  EXPECT_TRUE(has("PACKAGE_DIRECTORY_MATCH"));
  EXPECT_FALSE(has("COMMENT_FIELD"));
  EXPECT_FALSE(has("RPC_NO_SERVER_STREAMING"));
}

TEST(Lint, FindingsCarryRulePositionAndMessage) {
  auto findings = LintFiles(Edited("string user_id = 1;", "string userId = 1;"), LintConfig{});
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u) << FormatFindings(*findings);
  EXPECT_EQ(FormatFinding((*findings)[0]),
            "acme/user/v1/user.proto:5:10: Field name \"userId\" should be lower_snake_case. "
            "(FIELD_LOWER_SNAKE_CASE)");
  Json json = FindingToJson((*findings)[0]);
  EXPECT_EQ(json.GetString("rule"), "FIELD_LOWER_SNAKE_CASE");
  EXPECT_EQ(json.Get("line")->as_int(), 5);
}

TEST(Lint, ExceptRemovesRulesAndCategories) {
  FileSet files = Edited("package acme.user.v1;", "package acme.user;", "acme/user/user.proto");
  LintConfig config;
  ASSERT_EQ(LintFiles(files, config)->size(), 1u);
  config.except = {"PACKAGE_VERSION_SUFFIX"};
  EXPECT_TRUE(LintFiles(files, config)->empty());
  config.except = {"STANDARD"};
  EXPECT_TRUE(LintFiles(files, config)->empty());
}

TEST(Lint, UnknownRuleNamesAreRefused) {
  LintConfig config;
  config.use = {"FIELD_LOWER_CAMEL"};
  auto findings = LintFiles(Clean(), config);
  ASSERT_FALSE(findings.ok());
  EXPECT_NE(findings.status().message().find("FIELD_LOWER_CAMEL"), std::string::npos);
}

TEST(Lint, IgnoredPathsReportNothing) {
  FileSet files = Edited("string user_id = 1;", "string userId = 1;", "legacy/acme/user.proto");
  LintConfig config;
  config.use = {"FIELD_LOWER_SNAKE_CASE"};
  EXPECT_EQ(LintFiles(files, config)->size(), 1u);
  config.ignore = {"legacy/"};
  EXPECT_TRUE(LintFiles(files, config)->empty());
}

TEST(Lint, AnIgnoreCommentExemptsOneElementFromOneRule) {
  FileSet files = Edited(
      "  string user_id = 1;",
      "  // spoke:lint:ignore FIELD_LOWER_SNAKE_CASE\n  string userId = 1;\n  string otherId = 9;");
  LintConfig config;
  config.use = {"FIELD_LOWER_SNAKE_CASE"};
  auto findings = LintFiles(files, config);
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u) << FormatFindings(*findings);
  EXPECT_NE((*findings)[0].message.find("otherId"), std::string::npos);
}

TEST(Lint, ConfigComesFromTheLintSection) {
  auto module = ParseModuleConfig(
      "lint:\n  use:\n    - BASIC\n    - COMMENTS\n  except:\n    - IMPORT_USED\n", "spoke.yaml");
  ASSERT_TRUE(module.ok());
  auto config = LintConfigFromModuleConfig(*module);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->use, (std::vector<std::string>{"BASIC", "COMMENTS"}));
  auto enabled = EnabledLintRules(*config, BuiltinLintRules());
  ASSERT_TRUE(enabled.ok());
  EXPECT_TRUE(std::count(enabled->begin(), enabled->end(), "COMMENT_RPC"));
  EXPECT_FALSE(std::count(enabled->begin(), enabled->end(), "IMPORT_USED"));
  EXPECT_FALSE(std::count(enabled->begin(), enabled->end(), "ENUM_VALUE_PREFIX"));  // STANDARD only
  auto bad = ParseModuleConfig("lint:\n  exclude:\n    - X\n", "spoke.yaml");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(LintConfigFromModuleConfig(*bad).ok());
}

// A rule added through the extension point runs in the same pass as the built-in ones.
class NoTodoFieldsCheck : public LintCheck {
 public:
  void CheckField(const google::protobuf::FieldDescriptor& field, LintReport* report) override {
    if (field.name().find("todo") != std::string::npos)
      report->Add(field, LintPart::kName, "No todo fields.");
  }
};

TEST(Lint, ExtraRulesRunAlongsideBuiltinOnes) {
  LintRule rule{
      "FIELD_NO_TODO", {"STANDARD"}, "no todo fields", [](const SchemaImage&, const LintOptions&) {
        return std::make_unique<NoTodoFieldsCheck>();
      }};
  auto findings =
      LintFiles(Edited("string name = 1;", "string name_todo = 1;"), LintConfig{}, {rule});
  ASSERT_TRUE(findings.ok()) << findings.status().message();
  ASSERT_EQ(findings->size(), 1u) << FormatFindings(*findings);
  EXPECT_EQ((*findings)[0].rule, "FIELD_NO_TODO");
}

}  // namespace
}  // namespace spoke
