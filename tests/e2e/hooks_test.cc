// The pre-commit hook, end to end: `spoke hooks install` in a real git repository, then real
// `git commit`s. An invalid or lint-failing staged .proto stops the commit with Spoke's messages;
// what counts is the index, not the work tree; a valid file goes through; modules are found by
// their spoke.yaml; an existing foreign hook is kept unless --force.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "e2e_util.h"
#include "harness.h"

namespace spoke::e2e {
namespace {

const std::string kValid =
    "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Order {\n  string order_id = 1;\n}\n";
const std::string kInvalid =
    "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Order {\n  Missing order_id = 1;\n}\n";
const std::string kLintFailing =
    "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Order {\n  string orderId = 1;\n}\n";

class PreCommitHook : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = work_.Sub("repo");
    std::filesystem::create_directories(repo_);
    std::filesystem::create_directories(work_.Sub("tmp"));
    ASSERT_EQ(Git({"init", "-q", "."}).exit_code, 0);
  }

  // Stock git in the repository, with no user or system configuration but a fixed identity.
  CommandResult Git(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"git", "-c", "user.name=Test", "-c",
                                     "user.email=test@example.com"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand({argv,
                       {{"GIT_CONFIG_NOSYSTEM", "1"},
                        {"GIT_CONFIG_GLOBAL", "/dev/null"},
                        {"SPOKE_HOME", work_.Sub("home")},
                        {"TMPDIR", work_.Sub("tmp")}},
                       repo_});
  }

  CommandResult Install(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"hooks", "install"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args, {{"SPOKE_HOME", work_.Sub("home")}}, repo_);
  }

  void Write(const std::string& path, const std::string& content) {
    WriteFiles(repo_, {{path, content}});
  }

  int Commits() {
    CommandResult count = Git({"rev-list", "--count", "--all"});
    return count.exit_code == 0 ? std::stoi(count.out) : 0;
  }

  TempDir work_;
  std::string repo_;
};

TEST_F(PreCommitHook, BlocksAnInvalidProtoAndLetsAValidOneThrough) {
  CommandResult installed = Install();
  ASSERT_EQ(installed.exit_code, 0) << installed.Describe();
  std::string hook = repo_ + "/.git/hooks/pre-commit";
  struct stat st {};
  ASSERT_EQ(stat(hook.c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  // The hook runs the `spoke` the user installed it with (the front end), not the spoke-core that
  // front end handed the command to.
  const std::string front_end = std::filesystem::canonical(SPOKE_BIN).string();
  EXPECT_TRUE(
      Contains(ReadFiles(repo_ + "/.git/hooks").at("pre-commit"), "${SPOKE:=" + front_end + "}"));

  Write("acme/v1/order.proto", kInvalid);
  ASSERT_EQ(Git({"add", "."}).exit_code, 0);
  CommandResult blocked = Git({"commit", "-m", "invalid"});
  EXPECT_NE(blocked.exit_code, 0) << blocked.Describe();
  EXPECT_TRUE(Contains(blocked.err, "acme/v1/order.proto:5:3: \"Missing\" is not defined."))
      << blocked.Describe();
  EXPECT_EQ(Commits(), 0);

  // Fixed in the work tree but not staged: the index still holds the invalid file.
  Write("acme/v1/order.proto", kValid);
  CommandResult still = Git({"commit", "-m", "still invalid"});
  EXPECT_NE(still.exit_code, 0) << still.Describe();
  EXPECT_EQ(Commits(), 0);

  ASSERT_EQ(Git({"add", "acme/v1/order.proto"}).exit_code, 0);
  CommandResult passed = Git({"commit", "-m", "valid"});
  EXPECT_EQ(passed.exit_code, 0) << passed.Describe();
  EXPECT_EQ(Commits(), 1);
  // The hook leaves nothing behind.
  EXPECT_TRUE(std::filesystem::is_empty(work_.Sub("tmp")));
}

TEST_F(PreCommitHook, BlocksLintFindingsOfStagedFilesOnly) {
  ASSERT_EQ(Install().exit_code, 0);
  // A lint problem already committed (with --no-verify) does not block later commits of other
  // files.
  Write("acme/v1/legacy.proto",
        "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Legacy {\n  string legacyId = 1;\n}\n");
  ASSERT_EQ(Git({"add", "."}).exit_code, 0);
  ASSERT_EQ(Git({"commit", "--no-verify", "-m", "legacy"}).exit_code, 0);

  Write("acme/v1/order.proto", kLintFailing);
  ASSERT_EQ(Git({"add", "."}).exit_code, 0);
  CommandResult blocked = Git({"commit", "-m", "camelCase"});
  EXPECT_NE(blocked.exit_code, 0) << blocked.Describe();
  EXPECT_TRUE(
      Contains(blocked.err,
               "acme/v1/order.proto:5:10: Field name \"orderId\" should be lower_snake_case. "
               "(FIELD_LOWER_SNAKE_CASE)"))
      << blocked.Describe();
  EXPECT_FALSE(Contains(blocked.err, "legacy.proto")) << blocked.Describe();

  Write("acme/v1/order.proto", kValid);
  ASSERT_EQ(Git({"add", "."}).exit_code, 0);
  CommandResult passed = Git({"commit", "-m", "snake_case"});
  EXPECT_EQ(passed.exit_code, 0) << passed.Describe();
  EXPECT_EQ(Commits(), 2);
}

TEST_F(PreCommitHook, ChecksAFileWithinTheModuleItsSpokeYamlDeclares) {
  ASSERT_EQ(Install().exit_code, 0);
  // The module lives in proto/; its imports are relative to it, and its spoke.yaml turns a rule
  // off.
  Write("proto/spoke.yaml", "module: acme\nlint:\n  except:\n    - FIELD_LOWER_SNAKE_CASE\n");
  Write("proto/acme/v1/common.proto",
        "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Money {\n  int64 units = 1;\n}\n");
  Write("proto/acme/v1/order.proto",
        "syntax = \"proto3\";\npackage acme.v1;\n\nimport \"acme/v1/common.proto\";\n\n"
        "message Order {\n  Money totalPrice = 1;\n}\n");
  ASSERT_EQ(Git({"add", "."}).exit_code, 0);
  CommandResult passed = Git({"commit", "-m", "module"});
  EXPECT_EQ(passed.exit_code, 0) << passed.Describe();

  Write("proto/acme/v1/order.proto",
        "syntax = \"proto3\";\npackage acme.v1;\n\nimport \"acme/v1/common.proto\";\n\n"
        "message Order {\n  Money total = 1;\n  Cents cents = 2;\n}\n");
  ASSERT_EQ(Git({"add", "."}).exit_code, 0);
  CommandResult blocked = Git({"commit", "-m", "broken"});
  EXPECT_NE(blocked.exit_code, 0) << blocked.Describe();
  // Named from the repository's top.
  EXPECT_TRUE(Contains(blocked.err, "proto/acme/v1/order.proto:8:3: \"Cents\" is not defined."))
      << blocked.Describe();
}

TEST_F(PreCommitHook, InstallKeepsAForeignHookUnlessForced) {
  Write(".git/hooks/pre-commit", "#!/bin/sh\nexit 0\n");
  CommandResult refused = Install();
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "--force")) << refused.Describe();
  EXPECT_EQ(ReadFiles(repo_ + "/.git/hooks").at("pre-commit"), "#!/bin/sh\nexit 0\n");
  EXPECT_EQ(Install({"--force"}).exit_code, 0);
  EXPECT_TRUE(Contains(ReadFiles(repo_ + "/.git/hooks").at("pre-commit"), "spoke-pre-commit-hook"));
  // Installing again over Spoke's own hook needs no --force.
  EXPECT_EQ(Install().exit_code, 0);
  EXPECT_EQ(RunCli({"hooks", "install"}, {}, work_.path()).exit_code, 2);  // not a git repository
}

}  // namespace
}  // namespace spoke::e2e
