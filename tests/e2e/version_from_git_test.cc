// spoke batch-push and spoke push without a version, end to end, in repositories made with stock
// git: the version comes from git as Go derives it (the tag on HEAD, else a pseudo-version of
// HEAD's commit, after the highest tag it contains), is said with where it came from, and is
// refused (exit 2, nothing pushed) while the files pushed are not as committed or outside git.
#include <gtest/gtest.h>

#include <filesystem>

#include "deps_fixture.h"

namespace spoke::e2e {
namespace {

class VersionFromGit : public DependencyFixture {
 protected:
  void SetUp() override {
    repo_ = work_.Sub("repo");
    std::filesystem::create_directories(repo_);
    ASSERT_EQ(Git({"init", "-q", "."}).exit_code, 0);
  }

  // Stock git in the repository, with no user or system configuration, a fixed identity, and
  // `date` as the author and committer date.
  CommandResult Git(const std::vector<std::string>& args,
                    const std::string& date = "2026-12-04T18:30:00Z") {
    std::vector<std::string> argv = {"git", "-c", "user.name=Test", "-c",
                                     "user.email=test@example.com"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand({argv,
                       {{"GIT_CONFIG_NOSYSTEM", "1"},
                        {"GIT_CONFIG_GLOBAL", "/dev/null"},
                        {"GIT_COMMITTER_DATE", date},
                        {"GIT_AUTHOR_DATE", date}},
                       repo_});
  }

  // Commits every change at `date`; returns the new commit's id.
  std::string CommitAll(const std::string& date) {
    EXPECT_EQ(Git({"add", "-A"}).exit_code, 0);
    CommandResult commit = Git({"commit", "-q", "-m", "change"}, date);
    EXPECT_EQ(commit.exit_code, 0) << commit.Describe();
    CommandResult head = Git({"rev-parse", "HEAD"});
    EXPECT_EQ(head.exit_code, 0) << head.Describe();
    return head.out.substr(0, 40);
  }

  // The original scenario's tree (common, order importing it, app importing order) at
  // repo/schemas, committed.
  std::string CommitScenario(const std::string& date) {
    FileSet files = kCommonV1;
    files.insert(kOrderV1.begin(), kOrderV1.end());
    files.insert(kApp.begin(), kApp.end());
    WriteFiles(Schemas(), files);
    return CommitAll(date);
  }

  std::string Schemas() const { return repo_ + "/schemas"; }

  // The original document's command line, verbatim but for the directory.
  CommandResult BatchPush(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"batch-push", "-dir", Schemas(), "-recursive"};
    args.insert(args.end(), extra.begin(), extra.end());
    return publisher_->Run(args);
  }

  std::string repo_;
};

TEST_F(VersionFromGit, BatchPushOfAnUntaggedCommitPushesItsPseudoVersion) {
  StartServer();
  // 19:30 at +01:00: the pseudo-version's time is UTC.
  std::string id = CommitScenario("2026-12-04T19:30:00+01:00");
  const std::string version = "v0.0.0-20261204183000-" + id.substr(0, 12);
  CommandResult pushed = BatchPush();
  ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  EXPECT_TRUE(Contains(
      pushed.out, "version " + version + " from git commit " + id.substr(0, 7) + " (untagged)\n"))
      << pushed.out;
  EXPECT_TRUE(Contains(pushed.out, "[1/3] common@" + version + ": pushed (1 file, sha256:"))
      << pushed.out;
  EXPECT_TRUE(Contains(pushed.out, "3 pushed, 0 unchanged, 0 failed, 0 skipped (3 modules)"))
      << pushed.out;
  Json order = GetJson("/modules/order/versions/" + version);
  const Json& pin = order.Get("dependencies")->as_array().at(0);
  EXPECT_EQ(pin.GetString("module"), "common");
  EXPECT_EQ(pin.GetString("version"), version);

  // The same commit again: the same version, nothing moves.
  std::string refs = RefsOf(work_.Sub("storage"));
  CommandResult again = BatchPush();
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_TRUE(Contains(again.out, "[3/3] app@" + version + ": already there, unchanged"))
      << again.out;
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs);
}

TEST_F(VersionFromGit, ATaggedHeadIsItsTagAndTheNextCommitAPseudoVersionAfterIt) {
  StartServer();
  std::string tagged = CommitScenario("2026-12-04T18:30:00Z");
  ASSERT_EQ(Git({"tag", "v1.2.3"}).exit_code, 0);
  CommandResult pushed = BatchPush({"--json"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  Json report = ParseJson(pushed.out);
  for (const Json& m : report.Get("modules")->as_array()) {
    EXPECT_EQ(m.GetString("version"), "v1.2.3") << pushed.out;
    EXPECT_EQ(m.GetString("version_from"), "git tag v1.2.3 (commit " + tagged.substr(0, 7) + ")")
        << pushed.out;
  }
  GetJson("/modules/app/versions/v1.2.3");

  // A module with tags of its own is versioned by them, the others by the plain tags.
  WriteFiles(Schemas(), kOrderV11);
  std::string next = CommitAll("2026-12-05T01:02:03Z");
  ASSERT_EQ(Git({"tag", "order/v0.3.0"}).exit_code, 0);
  const std::string pseudo = "v1.2.4-0.20261205010203-" + next.substr(0, 12);
  CommandResult after = BatchPush();
  ASSERT_EQ(after.exit_code, 0) << after.Describe();
  EXPECT_TRUE(Contains(after.out, "common: version " + pseudo + " from git commit " +
                                      next.substr(0, 7) + " (untagged, after v1.2.3)\n"))
      << after.out;
  EXPECT_TRUE(Contains(after.out, "order: version v0.3.0 from git tag order/v0.3.0 (commit " +
                                      next.substr(0, 7) + ")"))
      << after.out;
  Json app = GetJson("/modules/app/versions/" + pseudo);
  std::map<std::string, std::string> pins;
  for (const Json& pin : app.Get("dependencies")->as_array())
    pins[pin.GetString("module")] = pin.GetString("version");
  EXPECT_EQ(pins.at("order"), "v0.3.0");
  // The pseudo-version sorts above v1.2.3 but is a pre-release: latest stays the tag.
  EXPECT_EQ(GetJson("/modules/common").GetString("latest"), "v1.2.3");
}

TEST_F(VersionFromGit, UncommittedChangesAreRefusedWithExitTwoNamingEachFile) {
  StartServer();
  CommitScenario("2026-12-04T18:30:00Z");
  WriteFiles(Schemas(), kOrderV11);
  WriteFiles(Schemas(), {{"common/extra.proto", "syntax = \"proto3\";\nmessage Extra {}\n"}});
  WriteFiles(repo_, {{"README.md", "not pushed, so not in the way\n"}});
  std::string refs = RefsOf(work_.Sub("storage"));
  CommandResult refused = BatchPush();
  EXPECT_EQ(refused.exit_code, 2) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, Schemas() + "/common/extra.proto (untracked)"))
      << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, Schemas() + "/order/order.proto (modified)"))
      << refused.Describe();
  EXPECT_FALSE(Contains(refused.err, "README.md")) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "commit them, or pass -version")) << refused.Describe();
  EXPECT_EQ(refused.out, "");
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs);

  // Also a plan, and a single module's push.
  EXPECT_EQ(BatchPush({"--dry-run"}).exit_code, 2);
  CommandResult push = publisher_->Run({"push", "-module", "order", "-dir", Schemas() + "/order"});
  EXPECT_EQ(push.exit_code, 2) << push.Describe();
  EXPECT_TRUE(Contains(push.err, Schemas() + "/order/order.proto (modified)")) << push.Describe();

  // A version given says what the content is: the tree is pushed as it is.
  CommandResult given = BatchPush({"-version", "v2.0.0"});
  EXPECT_EQ(given.exit_code, 0) << given.Describe();
  EXPECT_FALSE(Contains(given.out, "from git")) << given.out;
}

TEST_F(VersionFromGit, OutsideAGitWorkTreeNoVersionIsAUsageError) {
  StartServer();
  std::string tree = work_.Sub("plain");  // the test's temp directory is in no repository
  WriteFiles(tree, kCommonV1);
  CommandResult batch = publisher_->Run({"batch-push", "-dir", tree, "-recursive"});
  EXPECT_EQ(batch.exit_code, 2) << batch.Describe();
  EXPECT_TRUE(Contains(
      batch.err, "no version to push: pass -version vX.Y.Z or add \"version:\" to spoke.yaml"))
      << batch.Describe();
  EXPECT_TRUE(Contains(batch.err, tree + " is not in a git work tree")) << batch.Describe();
  CommandResult push = publisher_->Run({"push", "-module", "common", "-dir", tree});
  EXPECT_EQ(push.exit_code, 2) << push.Describe();
  EXPECT_TRUE(Contains(push.err, "no version to push")) << push.Describe();

  // A repository without a commit has no version either.
  WriteFiles(repo_, kCommonV1);
  CommandResult empty = publisher_->Run({"batch-push", "-dir", repo_});
  EXPECT_EQ(empty.exit_code, 2) << empty.Describe();
  EXPECT_TRUE(Contains(empty.err, "has no commit yet; commit, or pass -version"))
      << empty.Describe();
}

TEST_F(VersionFromGit, PushWithoutVersionTakesTheModulesOwnTag) {
  StartServer();
  WriteFiles(repo_ + "/user",
             {{"user.proto", "syntax = \"proto3\";\npackage user;\nmessage User {}\n"}});
  std::string id = CommitAll("2026-12-04T18:30:00Z");
  ASSERT_EQ(Git({"tag", "v9.0.0"}).exit_code, 0);
  ASSERT_EQ(Git({"tag", "user/v1.0.0"}).exit_code, 0);
  CommandResult pushed = publisher_->Run({"push", "-module", "user", "-dir", repo_ + "/user"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  EXPECT_TRUE(Contains(
      pushed.out, "version v1.0.0 from git tag user/v1.0.0 (commit " + id.substr(0, 7) + ")\n"))
      << pushed.out;
  EXPECT_TRUE(Contains(pushed.out, "Pushed user@v1.0.0 (1 file, ")) << pushed.out;
  GetJson("/modules/user/versions/v1.0.0");
}

}  // namespace
}  // namespace spoke::e2e
