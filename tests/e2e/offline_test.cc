// Working without the registry: a version pulled once is served from the local store after the
// registry died; anything else fails clearly, saying the registry is unreachable.
#include <gtest/gtest.h>

#include "harness.h"

namespace spoke::e2e {
namespace {

class Offline : public ::testing::Test {
 protected:
  void SetUp() override {
    // v1.1.0 is unrelated random content: what is tested is offline reads, not compatibility.
    server_ = ServerProcess::Start({work_.Sub("storage"), {"--default-compat", "NONE"}, {}});
    ASSERT_TRUE(server_);
    WriteFiles(work_.Sub("v1"), v1_);
    WriteFiles(work_.Sub("v2"), v2_);
    CliUser publisher(work_.Sub("publisher-home"), server_->url());
    for (auto [version, dir] : {std::pair{"v1.0.0", "v1"}, std::pair{"v1.1.0", "v2"}}) {
      CommandResult push =
          publisher.Run({"push", "-module", "user", "-version", version, "-dir", work_.Sub(dir)});
      ASSERT_EQ(push.exit_code, 0) << push.Describe();
    }
    CommandResult pull =
        Reader().Run({"pull", "-module", "user", "-version", "v1.0.0", "-dir", work_.Sub("first")});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    server_->Kill();
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  FileSet v1_ = MakeProtoFiles("user", 4, 300, 1);
  FileSet v2_ = MakeProtoFiles("user", 5, 300, 2);

  // The reader's registry URL stays that of the dead server.
  CliUser Reader() const { return CliUser(work_.Sub("reader-home"), server_->url()); }
};

TEST_F(Offline, PullOfAVersionFetchedBeforeWorksWithTheRegistryKilled) {
  CommandResult pull =
      Reader().Run({"pull", "-module", "user", "-version", "v1.0.0", "-dir", work_.Sub("again")});
  ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
  EXPECT_EQ(ReadFiles(work_.Sub("again")), v1_);
}

TEST_F(Offline, PullOfAVersionNeverFetchedFailsSayingTheRegistryIsUnreachable) {
  CommandResult pull =
      Reader().Run({"pull", "-module", "user", "-version", "v1.1.0", "-dir", work_.Sub("never")});
  EXPECT_EQ(pull.exit_code, 1) << pull.Describe();
  EXPECT_NE(pull.err.find("unreachable"), std::string::npos) << pull.Describe();
  EXPECT_TRUE(ReadFiles(work_.Sub("never")).empty());
}

TEST_F(Offline, LogFallsBackToTheLocalStoreWhenTheRegistryIsDown) {
  CommandResult log = Reader().Run({"log", "-module", "user", "--json"});
  ASSERT_EQ(log.exit_code, 0) << log.Describe();
  EXPECT_NE(log.err.find("unreachable"), std::string::npos) << log.Describe();
  EXPECT_NE(log.out.find("\"v1.0.0\""), std::string::npos) << log.Describe();
}

TEST_F(Offline, PullOfLatestFallsBackToTheLocalStoresHighestReleaseSayingSo) {
  CommandResult pull =
      Reader().Run({"pull", "-module", "user", "-dir", work_.Sub("latest"), "--json"});
  ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
  EXPECT_EQ(ReadFiles(work_.Sub("latest")), v1_);
  EXPECT_NE(pull.out.find("\"v1.0.0\""), std::string::npos) << pull.Describe();
  EXPECT_NE(pull.err.find("unreachable"), std::string::npos) << pull.Describe();
  EXPECT_NE(pull.err.find("user@v1.0.0, the local store's highest release"), std::string::npos)
      << pull.Describe();
}

TEST_F(Offline, PullOfLatestOfAModuleTheLocalStoreLacksFailsSayingTheRegistryIsUnreachable) {
  CommandResult pull = Reader().Run({"pull", "-module", "billing", "-dir", work_.Sub("none")});
  EXPECT_EQ(pull.exit_code, 1) << pull.Describe();
  EXPECT_NE(pull.err.find("unreachable"), std::string::npos) << pull.Describe();
  EXPECT_TRUE(ReadFiles(work_.Sub("none")).empty());
}

TEST_F(Offline, PullOfLatestDoesNotFallBackWhenARegistryThatAnswersHasNoSuchModule) {
  auto empty = ServerProcess::Start({work_.Sub("empty-storage"), {}, {}});
  ASSERT_TRUE(empty);
  CliUser reader(work_.Sub("reader-home"), empty->url());
  CommandResult pull = reader.Run({"pull", "-module", "user", "-dir", work_.Sub("answered")});
  EXPECT_EQ(pull.exit_code, 1) << pull.Describe();
  EXPECT_EQ(pull.err.find("local store"), std::string::npos) << pull.Describe();
  EXPECT_TRUE(ReadFiles(work_.Sub("answered")).empty());
}

}  // namespace
}  // namespace spoke::e2e
