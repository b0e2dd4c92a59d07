// A registry killed (SIGKILL) in the middle of receiving a push, at each stage ApplyPack names:
// after restarting on the same storage dir, the store is clean for stock git, the version is
// either entirely absent or entirely present, and pushing it again works.
#include <gtest/gtest.h>

#include <tuple>

#include "harness.h"

namespace spoke::e2e {
namespace {

// (stage, number of files): a small version and a large one, each arriving as one pack moved into
// objects/pack, interrupted before and while its refs are locked.
class CrashDuringPush : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

std::string TargetOf(const std::string& refs, const std::string& name) {
  size_t at = refs.find(name + " ");
  return at == std::string::npos ? "" : refs.substr(at + name.size() + 1, 40);
}

TEST_P(CrashDuringPush, LeavesAConsistentStoreAndThePushCanBeRedone) {
  const auto& [stage, file_count] = GetParam();
  TempDir work;
  const std::string storage = work.Sub("storage");
  FileSet v1 = MakeProtoFiles("crashy", 3, 300, 5);
  FileSet v2 = MakeProtoFiles("crashy", file_count, 300, 6);
  WriteFiles(work.Sub("v1"), v1);
  WriteFiles(work.Sub("v2"), v2);

  // The registry already holds v1.0.0, so the interrupted push moves an existing branch.
  {
    auto server = ServerProcess::Start({storage, {"--default-compat", "NONE"}, {}});
    ASSERT_TRUE(server);
    CliUser publisher(work.Sub("home"), server->url());
    CommandResult push =
        publisher.Run({"push", "-module", "crashy", "-version", "v1.0.0", "-dir", work.Sub("v1")});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
    server->Stop();
  }
  const std::string refs_before = RefsOf(storage);

  {
    auto server = ServerProcess::Start(
        {storage, {"--default-compat", "NONE"}, {{"SPOKE_TEST_HOLD_AT", stage}}});
    ASSERT_TRUE(server);
    CliUser publisher(work.Sub("home"), server->url());
    auto push = publisher.Start(
        {"push", "-module", "crashy", "-version", "v1.1.0", "-dir", work.Sub("v2")});
    ASSERT_TRUE(push);
    ASSERT_TRUE(server->process().WaitForLine(Process::Stream::kStderr, "holding at " + stage))
        << "the server never reached " << stage << "\n--- server stderr\n"
        << server->process().Stderr() << "\n--- push stderr\n"
        << push->Stderr();
    server->Kill();
    auto code = push->WaitForExit();
    ASSERT_TRUE(code) << "the push did not notice the server died";
    EXPECT_EQ(*code, 1) << push->Stdout() << push->Stderr();
  }

  auto server = ServerProcess::Start({storage, {"--default-compat", "NONE"}, {}});
  ASSERT_TRUE(server);
  GitFsck(storage);
  const std::string refs_after = RefsOf(storage);
  const std::string tag = TargetOf(refs_after, "refs/tags/crashy/v1.1.0");
  CliUser reader(work.Sub("reader-home"), server->url());
  if (tag.empty()) {
    EXPECT_EQ(refs_after, refs_before) << "the version is absent, yet refs changed";
  } else {
    // All or nothing: with the tag there, the branch must have moved to its commit too.
    CommandResult peel = RunGit({"-C", storage, "rev-parse", tag + "^{commit}"});
    EXPECT_EQ(TargetOf(refs_after, "refs/heads/crashy/_history") + "\n", peel.out) << refs_after;
    CommandResult pull = reader.Run(
        {"pull", "-module", "crashy", "-version", "v1.1.0", "-dir", work.Sub("survived")});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    EXPECT_EQ(ReadFiles(work.Sub("survived")), v2);
  }
  EXPECT_EQ(TargetOf(refs_after, "refs/tags/crashy/v1.0.0"),
            TargetOf(refs_before, "refs/tags/crashy/v1.0.0"));

  // The same user pushes again, with the same local store as before the crash.
  CliUser publisher(work.Sub("home"), server->url());
  CommandResult again =
      publisher.Run({"push", "-module", "crashy", "-version", "v1.1.0", "-dir", work.Sub("v2")});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  GitFsck(storage);
  for (auto [version, files] : {std::pair{"v1.0.0", &v1}, std::pair{"v1.1.0", &v2}}) {
    std::string out = work.Sub(std::string("out-") + version);
    CommandResult pull =
        reader.Run({"pull", "-module", "crashy", "-version", version, "-dir", out});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    EXPECT_EQ(ReadFiles(out), *files) << version;
  }
  server->Stop();
}

INSTANTIATE_TEST_SUITE_P(
    Stages, CrashDuringPush,
    ::testing::Combine(::testing::Values("pack-indexed", "refs-locked"), ::testing::Values(3, 150)),
    [](const ::testing::TestParamInfo<CrashDuringPush::ParamType>& param_info) {
      std::string stage = std::get<0>(param_info.param);
      for (char& c : stage) c = c == '-' ? '_' : c;
      return "killed_at_" + stage + "_with_" + std::to_string(std::get<1>(param_info.param)) +
             "_files";
    });

}  // namespace
}  // namespace spoke::e2e
