// Concurrent pushers, each a separate `spoke push` process with its own local store: of many
// pushing one version with different content exactly one wins; pushers of different versions of
// one module all land, the branch compare-and-swap making the losers rebuild and retry.
#include <gtest/gtest.h>

#include "concurrent_pushers.h"
#include "harness.h"

namespace spoke::e2e {
namespace {

constexpr int kPushers = 12;

TEST(ImmutabilityRace, OfTwelvePushersOfOneVersionWithDifferentContentExactlyOneWins) {
  TempDir work;
  auto server = ServerProcess::Start({work.Sub("storage"), {}, {}});
  ASSERT_TRUE(server);
  std::vector<Pusher> pushers(kPushers);
  std::vector<std::vector<std::string>> args;
  std::vector<CliUser> users;
  for (int i = 0; i < kPushers; ++i) {
    pushers[i].dir = work.Sub("src" + std::to_string(i));
    WriteFiles(pushers[i].dir, MakeProtoFiles("race", 3, 300, 100 + i));
    users.emplace_back(work.Sub("home" + std::to_string(i)), server->url());
    args.push_back({"push", "-module", "race", "-version", "v1.0.0", "-dir", pushers[i].dir});
  }
  ASSERT_NO_FATAL_FAILURE(RunConcurrently(pushers, args, users));

  const std::string winner_dir = OnlyWinnerOf(pushers);
  ASSERT_FALSE(winner_dir.empty());
  GitFsck(work.Sub("storage"));

  CliUser reader(work.Sub("reader-home"), server->url());
  CommandResult pull =
      reader.Run({"pull", "-module", "race", "-version", "v1.0.0", "-dir", work.Sub("out")});
  ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
  EXPECT_EQ(ReadFiles(work.Sub("out")), ReadFiles(winner_dir));
}

TEST(ImmutabilityRace, TwelvePushersOfDifferentVersionsOfOneModuleAllLand) {
  TempDir work;
  // Each version is unrelated random content: the race is tested, not compatibility.
  auto server = ServerProcess::Start({work.Sub("storage"), {"--default-compat", "NONE"}, {}});
  ASSERT_TRUE(server);
  std::vector<Pusher> pushers(kPushers);
  std::vector<std::vector<std::string>> args;
  std::vector<CliUser> users;
  for (int i = 0; i < kPushers; ++i) {
    pushers[i].dir = work.Sub("src" + std::to_string(i));
    WriteFiles(pushers[i].dir, MakeProtoFiles("busy", 3, 300, 200 + i));
    users.emplace_back(work.Sub("home" + std::to_string(i)), server->url());
    args.push_back({"push", "-module", "busy", "-version", "v1." + std::to_string(i) + ".0", "-dir",
                    pushers[i].dir});
  }
  ASSERT_NO_FATAL_FAILURE(RunConcurrently(pushers, args, users));
  for (const auto& pusher : pushers)
    EXPECT_EQ(pusher.result.exit_code, 0) << pusher.result.Describe();
  GitFsck(work.Sub("storage"));

  CliUser reader(work.Sub("reader-home"), server->url());
  CommandResult log = reader.Run({"log", "-module", "busy"});
  ASSERT_EQ(log.exit_code, 0) << log.Describe();
  for (int i = 0; i < kPushers; ++i) {
    std::string version = "v1." + std::to_string(i) + ".0";
    EXPECT_NE(log.out.find("version " + version + " "), std::string::npos)
        << version << " missing\n"
        << log.out;
    CommandResult pull = reader.Run(
        {"pull", "-module", "busy", "-version", version, "-dir", work.Sub("out" + version)});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    EXPECT_EQ(ReadFiles(work.Sub("out" + version)), ReadFiles(pushers[i].dir)) << version;
  }
}

}  // namespace
}  // namespace spoke::e2e
