// Versions from a git work tree: Go's three pseudo-version forms and their order, which tags count
// for a module, and the files that are not as committed. Repositories are made with stock git.
#include "spoke/git_work_tree.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"

namespace spoke {
namespace {

using testing::Git;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

// 2026-12-04T18:30:00Z.
constexpr int64_t kCommitTime = 1796409000;
const std::string kId = "e72327f3347baa7e6313361f9e42fd9816a65239";

SemVer Parsed(const std::string& text) {
  auto v = SemVer::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : *SemVer::Parse("v0.0.0");
}

TEST(PseudoVersion, TakesGoSThreeFormsAndParsesAsSemver) {
  EXPECT_EQ(PseudoVersion(std::nullopt, kCommitTime, kId), "v0.0.0-20261204183000-e72327f3347b");
  EXPECT_EQ(PseudoVersion(Parsed("v1.2.3"), kCommitTime, kId),
            "v1.2.4-0.20261204183000-e72327f3347b");
  EXPECT_EQ(PseudoVersion(Parsed("v1.2.3-rc.1"), kCommitTime, kId),
            "v1.2.3-rc.1.0.20261204183000-e72327f3347b");
  for (const auto& base : {std::optional<SemVer>(), std::optional<SemVer>(Parsed("v1.2.3"))}) {
    std::string pseudo = PseudoVersion(base, kCommitTime, kId);
    auto parsed = SemVer::Parse(pseudo);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_TRUE(parsed->is_prerelease()) << pseudo;
  }
}

TEST(PseudoVersion, SortsAboveItsBaseBelowTheNextReleaseAndByTime) {
  const int64_t later = kCommitTime + 86400;
  std::vector<std::string> expected = {
      PseudoVersion(std::nullopt, kCommitTime, kId),
      PseudoVersion(std::nullopt, later, "0000000000000000000000000000000000000000"),
      "v1.2.3-rc.1",
      PseudoVersion(Parsed("v1.2.3-rc.1"), kCommitTime, kId),
      "v1.2.3-rc.2",
      "v1.2.3",
      PseudoVersion(Parsed("v1.2.3"), kCommitTime, kId),
      PseudoVersion(Parsed("v1.2.3"), later, kId),
      "v1.2.4-rc.1",
      "v1.2.4",
  };
  std::vector<std::string> shuffled(expected.rbegin(), expected.rend());
  SortVersions(&shuffled);
  EXPECT_EQ(shuffled, expected);
  // A pseudo-version is never `latest`.
  EXPECT_EQ(HighestRelease({"v1.2.3", PseudoVersion(Parsed("v1.2.3"), kCommitTime, kId)}),
            "v1.2.3");
}

class GitWorkTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(repo());
    ASSERT_EQ(Git(repo(), "init -q .").exit_code, 0);
  }
  std::string repo() const { return dir_.Sub("repo"); }

  void Write(const std::string& path, const std::string& content) {
    std::filesystem::path full = std::filesystem::path(repo()) / path;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full) << content;
  }

  // Commits everything at `date` (committer and author) and returns the commit id.
  std::string CommitAll(const std::string& date) {
    EXPECT_EQ(Git(repo(), "add -A").exit_code, 0);
    std::string env =
        "GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_COMMITTER_DATE=" + ShellQuote(date) +
        " GIT_AUTHOR_DATE=" + ShellQuote(date) + " ";
    auto commit =
        RunCommand(env + "git -C " + ShellQuote(repo()) +
                   " -c user.name=Test -c user.email=test@example.com commit -q -m change");
    EXPECT_EQ(commit.exit_code, 0) << commit.output;
    auto head = Git(repo(), "rev-parse HEAD");
    return head.output.substr(0, 40);
  }

  std::unique_ptr<GitWorkTree> MustOpen(const std::string& dir) {
    auto tree = GitWorkTree::Open(dir);
    EXPECT_TRUE(tree.ok()) << tree.status().ToString();
    return tree.ok() ? std::move(*tree) : nullptr;
  }

  GitVersion MustVersion(const GitWorkTree& tree, const std::string& module) {
    auto v = tree.VersionFor(module);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : GitVersion{};
  }

  TempDir dir_;
};

TEST_F(GitWorkTreeTest, OutsideAWorkTreeIsNotFoundAndBeforeTheFirstCommitAPrecondition) {
  std::filesystem::create_directories(dir_.Sub("plain"));
  EXPECT_EQ(GitWorkTree::Open(dir_.Sub("plain")).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(GitWorkTree::Open(repo()).status().code(), Status::Code::kFailedPrecondition);
  ASSERT_EQ(Git(dir_.path().string(), "init -q --bare bare.git").exit_code, 0);
  EXPECT_EQ(GitWorkTree::Open(dir_.Sub("bare.git")).status().code(), Status::Code::kNotFound);
}

TEST_F(GitWorkTreeTest, UntaggedHeadGetsAPseudoVersionOfItsCommitInUtc) {
  Write("schemas/a/a.proto", "syntax = \"proto3\";\n");
  // 19:30 at +01:00 is 18:30 UTC.
  std::string id = CommitAll("2026-12-04T19:30:00+01:00");
  auto tree = MustOpen(repo() + "/schemas/a");  // found from a subdirectory, as git finds it
  ASSERT_TRUE(tree);
  GitVersion v = MustVersion(*tree, "a");
  EXPECT_EQ(v.version, "v0.0.0-20261204183000-" + id.substr(0, 12));
  EXPECT_EQ(v.commit, id);
  EXPECT_EQ(v.Origin(), "git commit " + id.substr(0, 7) + " (untagged)");
}

TEST_F(GitWorkTreeTest, TheTagsOfAModuleWinOverPlainTagsAndOthersAreIgnored) {
  Write("a/a.proto", "syntax = \"proto3\";\n");
  std::string first = CommitAll("2026-12-04T18:30:00Z");
  for (const char* tag :
       {"v1.0.0", "v0.9.0", "v1.5.0+build.1", "a/v0.5.0", "other/v3.0.0", "not-a-version"}) {
    ASSERT_EQ(Git(repo(), std::string("tag ") + tag).exit_code, 0) << tag;
  }
  ASSERT_EQ(Git(repo(), "-c user.name=T -c user.email=t@e tag -a -m annotated a/v0.4.0").exit_code,
            0);
  auto tree = MustOpen(repo());
  ASSERT_TRUE(tree);
  GitVersion a = MustVersion(*tree, "a");
  EXPECT_EQ(a.version, "v0.5.0");
  EXPECT_EQ(a.Origin(), "git tag a/v0.5.0 (commit " + first.substr(0, 7) + ")");
  GitVersion b =
      MustVersion(*tree, "b");  // no tags of its own: the highest plain one without build metadata
  EXPECT_EQ(b.version, "v1.0.0");
  EXPECT_EQ(b.tag, "v1.0.0");

  // The next commit is untagged: a pseudo-version after the highest tag on an ancestor. A higher
  // tag on a branch HEAD does not contain is not a base.
  ASSERT_EQ(Git(repo(), "checkout -q -b side").exit_code, 0);
  Write("a/side.proto", "syntax = \"proto3\";\n");
  CommitAll("2026-12-05T00:00:00Z");
  ASSERT_EQ(Git(repo(), "tag v2.0.0").exit_code, 0);
  ASSERT_EQ(Git(repo(), "checkout -q -").exit_code, 0);
  Write("a/a.proto", "syntax = \"proto3\";\nmessage A {}\n");
  std::string second = CommitAll("2026-12-06T01:02:03Z");
  tree = MustOpen(repo());
  ASSERT_TRUE(tree);
  b = MustVersion(*tree, "b");
  EXPECT_EQ(b.version, "v1.0.1-0.20261206010203-" + second.substr(0, 12));
  EXPECT_EQ(b.base, "v1.0.0");
  EXPECT_EQ(b.Origin(), "git commit " + second.substr(0, 7) + " (untagged, after v1.0.0)");
  EXPECT_EQ(MustVersion(*tree, "a").version, "v0.5.1-0.20261206010203-" + second.substr(0, 12));
}

TEST_F(GitWorkTreeTest, ListsWhatIsNotAsCommittedBelowTheDirectoryAskedAbout) {
  Write("schemas/a/kept.proto", "syntax = \"proto3\";\n");
  Write("schemas/a/edited.proto", "syntax = \"proto3\";\n");
  Write("schemas/a/gone.proto", "syntax = \"proto3\";\n");
  Write("schemas/a/staged.proto", "syntax = \"proto3\";\n");
  Write("elsewhere/edited.proto", "syntax = \"proto3\";\n");
  Write(".gitignore", "build/\n");
  CommitAll("2026-12-04T18:30:00Z");
  auto tree = MustOpen(repo());
  ASSERT_TRUE(tree);
  auto clean = tree->UncommittedFiles(repo() + "/schemas");
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  EXPECT_TRUE(clean->empty());

  Write("schemas/a/edited.proto", "syntax = \"proto2\";\n");
  std::filesystem::remove(repo() + "/schemas/a/gone.proto");
  Write("schemas/a/staged.proto", "syntax = \"proto2\";\n");
  ASSERT_EQ(Git(repo(), "add schemas/a/staged.proto").exit_code, 0);
  Write("schemas/new/new.proto", "syntax = \"proto3\";\n");
  Write("schemas/build/generated.proto", "syntax = \"proto3\";\n");
  Write("elsewhere/edited.proto", "syntax = \"proto2\";\n");
  auto changed = tree->UncommittedFiles(repo() + "/schemas");
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& file : *changed) got.emplace_back(file.path, file.state);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"a/edited.proto", "modified"},
                     {"a/gone.proto", "deleted"},
                     {"a/staged.proto", "staged, not committed"},
                     {"build/generated.proto", "ignored"},
                     {"new/new.proto", "untracked"}}));
  // Only read: git's own view of the index is unchanged.
  EXPECT_EQ(Git(repo(), "diff --cached --name-only").output, "schemas/a/staged.proto\n");
}

}  // namespace
}  // namespace spoke
