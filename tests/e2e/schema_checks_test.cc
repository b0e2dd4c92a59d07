// spoke validate, lint and breaking, end to end: the real binary on directories in temp dirs (and a
// real registry where a dependency or an earlier version comes from it). Output lines, JSON and
// exit codes (0 clean, 1 findings or errors, 2 usage) are what scripts and editors rely on.
#include <gtest/gtest.h>

#include "e2e_util.h"
#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

const std::string kUserV1 =
    "syntax = \"proto3\";\npackage acme.user.v1;\n\n"
    "message User {\n  string name = 1;\n  int32 age = 2;\n}\n";

class SchemaChecks : public ::testing::Test {
 protected:
  SchemaChecks() : user_(work_.Sub("home"), "http://127.0.0.1:1") {}

  std::string Dir(const std::string& name, const FileSet& files) {
    std::string dir = work_.Sub(name);
    WriteFiles(dir, files);
    return dir;
  }

  void StartServer() {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    user_ = CliUser(work_.Sub("home"), server_->url());
  }

  TempDir work_;
  CliUser user_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(SchemaChecks, ValidatePrintsEveryErrorOfEveryFileWithItsPositionAndExitsOne) {
  std::string dir =
      Dir("bad", {{"a.proto", "syntax = \"proto3\";\nmessage A {\n  int32 x = 1\n}\n"},
                  {"b.proto", "syntax = \"proto3\";\nmessage B {\n  Missing m = 1;\n}\n"},
                  {"c.proto", "syntax = \"proto3\";\nmessage C {}\n"}});
  CommandResult result = user_.Run({"validate", "-dir", dir});
  EXPECT_EQ(result.exit_code, 1) << result.Describe();
  EXPECT_TRUE(Contains(result.out, "a.proto:4:1: Expected \";\".")) << result.Describe();
  EXPECT_TRUE(Contains(result.out, "b.proto:3:3: \"Missing\" is not defined."))
      << result.Describe();
  EXPECT_FALSE(Contains(result.out, "c.proto")) << result.Describe();

  CommandResult json = user_.Run({"validate", "-dir", dir, "--json"});
  EXPECT_EQ(json.exit_code, 1);
  Json parsed = ParseJson(json.out);
  ASSERT_TRUE(parsed.Get("valid") && parsed.Get("errors")) << json.Describe();
  EXPECT_FALSE(parsed.Get("valid")->as_bool());
  ASSERT_EQ(parsed.Get("errors")->as_array().size(), 2u) << json.out;
  const Json& first = parsed.Get("errors")->as_array()[0];
  EXPECT_EQ(first.GetString("file"), "a.proto");
  EXPECT_EQ(first.Get("line")->as_int(), 4);
}

TEST_F(SchemaChecks, ValidateAcceptsAValidDirectoryAndChecksSubdirectoriesOnlyWhenRecursive) {
  std::string dir = Dir(
      "mixed",
      {{"top.proto", "syntax = \"proto3\";\nimport \"sub/ok.proto\";\nmessage T { S s = 1; }\n"},
       {"sub/ok.proto", "syntax = \"proto3\";\nmessage S {}\n"},
       {"sub/broken.proto", "syntax = \"proto3\";\nmessage X { Y y = 1; }\n"}});
  CommandResult top = user_.Run({"validate", "-dir", dir});
  EXPECT_EQ(top.exit_code, 0) << top.Describe();
  EXPECT_TRUE(top.out.empty()) << top.Describe();
  CommandResult all = user_.Run({"validate", "-dir", dir, "--recursive"});
  EXPECT_EQ(all.exit_code, 1) << all.Describe();
  EXPECT_TRUE(Contains(all.out, "sub/broken.proto:2:13: \"Y\" is not defined.")) << all.Describe();
  CommandResult one = user_.Run({"validate", "-dir", dir, "--path", "sub/ok.proto"});
  EXPECT_EQ(one.exit_code, 0) << one.Describe();
}

TEST_F(SchemaChecks, ValidateResolvesImportsFromTheDependenciesSpokeYamlPins) {
  StartServer();
  std::string common = Dir(
      "common", {{"common/id.proto", "syntax = \"proto3\";\npackage common;\nmessage Id {}\n"}});
  ASSERT_EQ(
      user_.Run({"push", "-module", "common", "-version", "v1.0.0", "-dir", common}).exit_code, 0);
  FileSet order = {{"order/order.proto",
                    "syntax = \"proto3\";\npackage order;\nimport \"common/id.proto\";\nmessage O "
                    "{ common.Id id = 1; }\n"}};
  std::string without = Dir("order-nodeps", order);
  // No pins, no registry, an empty local store: nothing provides the import.
  CliUser stranger(work_.Sub("stranger-home"), "http://127.0.0.1:1");
  CommandResult missing = stranger.Run({"validate", "-dir", without, "--recursive"});
  EXPECT_EQ(missing.exit_code, 1) << missing.Describe();
  EXPECT_TRUE(Contains(missing.out + missing.err,
                       "order/order.proto:3:1: import \"common/id.proto\" is provided by no file"))
      << missing.Describe();
  // With the registry, an unpinned import is found through its import index, as push finds it.
  CommandResult indexed = user_.Run({"validate", "-dir", without, "--recursive"});
  EXPECT_EQ(indexed.exit_code, 0) << indexed.Describe();

  order["spoke.yaml"] = "module: order\ndeps:\n  - common@v1.0.0\n";
  std::string with = Dir("order", order);
  // A reader with an empty local store: the dependency comes from the registry.
  CliUser reader(work_.Sub("reader-home"), server_->url());
  CommandResult resolved = reader.Run({"validate", "-dir", with, "--recursive"});
  EXPECT_EQ(resolved.exit_code, 0) << resolved.Describe();
}

TEST_F(SchemaChecks, LintPrintsFindingsWithRuleIdsAndJsonAndExitsOne) {
  std::string dir = Dir(
      "lint",
      {{"acme/user/v1/user.proto",
        "syntax = \"proto3\";\npackage acme.user.v1;\n\nmessage User {\n  string userName = 1;\n}\n"
        "enum Kind {\n  NONE = 0;\n}\n"}});
  CommandResult result = user_.Run({"lint", "-dir", dir});
  EXPECT_EQ(result.exit_code, 1) << result.Describe();
  EXPECT_TRUE(
      Contains(result.out,
               "acme/user/v1/user.proto:5:10: Field name \"userName\" should be lower_snake_case. "
               "(FIELD_LOWER_SNAKE_CASE)\n"))
      << result.Describe();
  EXPECT_TRUE(Contains(result.out, "(ENUM_VALUE_PREFIX)")) << result.Describe();
  EXPECT_TRUE(Contains(result.out, "(ENUM_ZERO_VALUE_SUFFIX)")) << result.Describe();

  CommandResult json = user_.Run({"lint", "-dir", dir, "--json"});
  EXPECT_EQ(json.exit_code, 1);
  Json parsed = ParseJson(json.out);
  ASSERT_TRUE(parsed.Get("findings") && parsed.Get("findings")->is_array()) << json.out;
  std::vector<std::string> rules;
  for (const auto& f : parsed.Get("findings")->as_array()) rules.push_back(f.GetString("rule"));
  EXPECT_EQ(rules, (std::vector<std::string>{"FIELD_LOWER_SNAKE_CASE", "ENUM_VALUE_PREFIX",
                                             "ENUM_ZERO_VALUE_SUFFIX"}));
}

TEST_F(SchemaChecks, LintFollowsSpokeYamlAndIsQuietOnACleanModule) {
  FileSet files = {{"acme/user/v1/user.proto",
                    "syntax = \"proto3\";\npackage acme.user.v1;\n\nmessage User {\n  string "
                    "userName = 1;\n}\n"},
                   {"spoke.yaml", "lint:\n  except:\n    - FIELD_LOWER_SNAKE_CASE\n"}};
  std::string dir = Dir("configured", files);
  CommandResult clean = user_.Run({"lint", "-dir", dir});
  EXPECT_EQ(clean.exit_code, 0) << clean.Describe();
  EXPECT_TRUE(clean.out.empty()) << clean.Describe();

  files["spoke.yaml"] = "lint:\n  use:\n    - COMMENTS\n";
  std::string commented = Dir("comments", files);
  CommandResult comments = user_.Run({"lint", "-dir", commented});
  EXPECT_EQ(comments.exit_code, 1) << comments.Describe();
  EXPECT_TRUE(Contains(comments.out, "(COMMENT_MESSAGE)")) << comments.Describe();
  EXPECT_FALSE(Contains(comments.out, "(FIELD_LOWER_SNAKE_CASE)")) << comments.Describe();

  files["spoke.yaml"] = "lint:\n  use:\n    - NO_SUCH_RULE\n";
  CommandResult unknown = user_.Run({"lint", "-dir", Dir("unknown", files)});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.Describe();
  EXPECT_TRUE(Contains(unknown.err, "NO_SUCH_RULE")) << unknown.Describe();
}

TEST_F(SchemaChecks, LintReadsBufYamlWithoutSpokeYamlAndWarnsOfWhatItDoesNotMap) {
  FileSet files = {{"acme/user/v1/user.proto",
                    "syntax = \"proto3\";\npackage acme.user.v1;\n\nmessage User {\n  string "
                    "userName = 1;\n}\n"},
                   {"buf.yaml",
                    "version: v2\ndeps:\n  - buf.build/acme/common\nlint:\n  except: "
                    "[FIELD_LOWER_SNAKE_CASE]\n"}};
  CommandResult clean = user_.Run({"lint", "-dir", Dir("buf", files)});
  EXPECT_EQ(clean.exit_code, 0) << clean.Describe();
  EXPECT_TRUE(clean.out.empty()) << clean.Describe();
  EXPECT_TRUE(Contains(clean.err, "buf.yaml:3: deps are buf registry modules")) << clean.Describe();

  // spoke.yaml wins over buf.yaml.
  files["spoke.yaml"] = "lint:\n  use:\n    - FIELD_LOWER_SNAKE_CASE\n";
  CommandResult spoke = user_.Run({"lint", "-dir", Dir("both", files)});
  EXPECT_EQ(spoke.exit_code, 1) << spoke.Describe();
  EXPECT_TRUE(Contains(spoke.out, "(FIELD_LOWER_SNAKE_CASE)")) << spoke.Describe();

  files.erase("spoke.yaml");
  files["buf.yaml"] = "version: v2\nmodules:\n  - path: proto\n";
  CommandResult refused = user_.Run({"lint", "-dir", Dir("module_path", files)});
  EXPECT_EQ(refused.exit_code, 2) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "module path proto is not supported")) << refused.Describe();
}

TEST_F(SchemaChecks, BreakingAgainstADirectoryReportsPerLevel) {
  std::string before = Dir("v1", {{"acme/user/v1/user.proto", kUserV1}});
  std::string after =
      Dir("v2", {{"acme/user/v1/user.proto",
                  "syntax = \"proto3\";\npackage acme.user.v1;\n\n"
                  "message User {\n  string full_name = 1;\n  int64 age = 2;\n}\n"}});
  CommandResult file_level = user_.Run({"breaking", "-dir", after, "-against-dir", before});
  EXPECT_EQ(file_level.exit_code, 1) << file_level.Describe();
  EXPECT_TRUE(Contains(
      file_level.out,
      "acme/user/v1/user.proto:5:10: Field \"1\" on message \"User\" changed name from \"name\" to "
      "\"full_name\". (FIELD_SAME_NAME)"))
      << file_level.Describe();
  EXPECT_TRUE(Contains(file_level.out, "(FIELD_SAME_TYPE)")) << file_level.Describe();
  // On the wire a rename is invisible and int32 -> int64 is compatible.
  CommandResult wire =
      user_.Run({"breaking", "-dir", after, "-against-dir", before, "--level", "WIRE"});
  EXPECT_EQ(wire.exit_code, 0) << wire.Describe();
  EXPECT_TRUE(wire.out.empty()) << wire.Describe();

  CommandResult json = user_.Run(
      {"breaking", "-dir", after, "-against-dir", before, "--level", "wire_json", "--json"});
  EXPECT_EQ(json.exit_code, 1) << json.Describe();
  Json parsed = ParseJson(json.out);
  EXPECT_EQ(parsed.GetString("level"), "WIRE_JSON");
  ASSERT_TRUE(parsed.Get("findings")) << json.Describe();
  std::vector<std::string> rules;
  for (const auto& f : parsed.Get("findings")->as_array()) rules.push_back(f.GetString("rule"));
  EXPECT_EQ(rules, (std::vector<std::string>{"FIELD_SAME_JSON_NAME", "FIELD_SAME_NAME",
                                             "FIELD_WIRE_JSON_COMPATIBLE_TYPE"}));
}

TEST_F(SchemaChecks, BreakingAgainstAModuleVersionFetchesItLikePull) {
  StartServer();
  std::string v1 = Dir("v1", {{"acme/user/v1/user.proto", kUserV1}});
  ASSERT_EQ(user_.Run({"push", "-module", "user", "-version", "v1.0.0", "-dir", v1}).exit_code, 0);
  std::string v2 = Dir(
      "v2",
      {{"acme/user/v1/user.proto",
        "syntax = \"proto3\";\npackage acme.user.v1;\n\nmessage User {\n  string name = 1;\n}\n"}});
  CliUser reader(work_.Sub("reader-home"), server_->url());
  CommandResult result = reader.Run({"breaking", "-dir", v2, "-against", "user@v1.0.0"});
  EXPECT_EQ(result.exit_code, 1) << result.Describe();
  EXPECT_TRUE(Contains(
      result.out,
      "acme/user/v1/user.proto:6:3: Previously present field \"2\" with name \"age\" on message "
      "\"User\" was deleted. (FIELD_NO_DELETE)"))
      << result.Describe();
  // Now in the reader's store: it works with the registry gone.
  server_->Kill();
  CommandResult offline =
      reader.Run({"breaking", "-dir", v2, "-against", "user@v1.0.0", "--level", "WIRE", "--json"});
  EXPECT_EQ(offline.exit_code, 1) << offline.Describe();
  EXPECT_EQ(ParseJson(offline.out).GetString("against"), "user@v1.0.0");
}

TEST_F(SchemaChecks, UsageErrorsExitTwo) {
  std::string dir = Dir("ok", {{"acme/user/v1/user.proto", kUserV1}});
  EXPECT_EQ(user_.Run({"breaking", "-dir", dir}).exit_code, 2);
  EXPECT_EQ(
      user_.Run({"breaking", "-dir", dir, "-against-dir", dir, "--level", "SOURCE"}).exit_code, 2);
  EXPECT_EQ(user_.Run({"breaking", "-dir", dir, "-against-dir", dir, "--except", "NOPE"}).exit_code,
            2);
  EXPECT_EQ(user_.Run({"lint", "-dir", dir, "--use", "NOPE"}).exit_code, 2);
  EXPECT_EQ(user_.Run({"validate", "-dir", work_.Sub("does-not-exist")}).exit_code, 2);
  EXPECT_EQ(user_.Run({"validate", "-dir", dir, "--path", "nope.proto"}).exit_code, 2);
  EXPECT_EQ(user_.Run({"lint", "--no-such-flag"}).exit_code, 2);
  // Same directory on both sides: nothing breaks.
  EXPECT_EQ(user_.Run({"breaking", "-dir", dir, "-against-dir", dir}).exit_code, 0);
}

TEST_F(SchemaChecks, EveryCheckCommandHasHelp) {
  for (const char* command : {"validate", "lint", "breaking", "compat"}) {
    CommandResult help = user_.Run({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command << "\n" << help.Describe();
    EXPECT_TRUE(Contains(help.out, "--json")) << command << "\n" << help.Describe();
  }
  CommandResult rules = user_.Run({"lint", "--list-rules"});
  EXPECT_EQ(rules.exit_code, 0);
  EXPECT_TRUE(Contains(rules.out, "PACKAGE_VERSION_SUFFIX")) << rules.Describe();
  CommandResult levels = user_.Run({"breaking", "--list-rules", "--level", "WIRE"});
  EXPECT_EQ(levels.exit_code, 0);
  EXPECT_TRUE(Contains(levels.out, "FIELD_WIRE_COMPATIBLE_TYPE")) << levels.Describe();
}

}  // namespace
}  // namespace spoke::e2e
