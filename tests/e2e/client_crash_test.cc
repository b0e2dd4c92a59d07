// A client killed (SIGKILL) in the middle of `spoke pull` or `spoke clone`, at 30 seeded random
// moments: after each kill, a `spoke pull` of the same version into the same local store works
// and brings the right files, and the store is clean for stock git. An interrupted fetch can
// leave objects without their closure (a tag without its tree); the next fetch must complete
// them rather than take the tag's presence for the version's.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "harness.h"

namespace spoke::e2e {
namespace {

constexpr int kKills = 30;

TEST(ClientKilled, ThirtyKillsMidPullOrCloneLeaveNoUnusableLocalStore) {
  TempDir work;
  auto server = ServerProcess::Start({work.Sub("storage"), {"--default-compat", "NONE"}, {}});
  ASSERT_TRUE(server);
  // Small versions: a fetch of fewer than 100 objects is moved into the store as loose objects,
  // one at a time, which is where an interrupted fetch used to leave a tag without its tree.
  const FileSet v1 = MakeProtoFiles("crashy", 30, 400, 21);
  const FileSet v2 = MakeProtoFiles("crashy", 30, 400, 22);
  WriteFiles(work.Sub("v1"), v1);
  WriteFiles(work.Sub("v2"), v2);
  CliUser publisher(work.Sub("publisher"), server->url());
  for (auto [version, dir] : {std::pair{"v1.0.0", "v1"}, std::pair{"v1.1.0", "v2"}}) {
    CommandResult push =
        publisher.Run({"push", "-module", "crashy", "-version", version, "-dir", work.Sub(dir)});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
  }
  // A local store that already holds v1.0.0, copied for the kills that interrupt an update.
  CliUser templated(work.Sub("template"), server->url());
  CommandResult first =
      templated.Run({"pull", "-module", "crashy", "-version", "v1.0.0", "-dir", work.Sub("t")});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();

  // The three commands the kills interrupt: a first pull into a new store, a clone, and a pull
  // into a store that holds v1.0.0 already.
  auto prepare = [&](int kind, const std::string& home) {
    if (kind == 2)
      std::filesystem::copy(work.Sub("template"), home, std::filesystem::copy_options::recursive);
    if (kind == 1) return std::vector<std::string>{"clone", server->url(), home};
    return std::vector<std::string>{"pull",   "-module", "crashy",     "-version",
                                    "v1.1.0", "-dir",    work.Sub("k")};
  };
  // How long each takes uninterrupted, so that its kills fall anywhere inside it.
  std::vector<int64_t> duration_us;
  for (int kind = 0; kind < 3; ++kind) {
    const std::string home = work.Sub("calibrate-" + std::to_string(kind));
    auto args = prepare(kind, home);
    const auto started = std::chrono::steady_clock::now();
    CommandResult clean = CliUser(home, server->url()).Run(args);
    ASSERT_EQ(clean.exit_code, 0) << clean.Describe();
    duration_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count());
  }

  std::mt19937 rng(14);
  int killed = 0, unusable = 0;
  for (int i = 0; i < kKills; ++i) {
    const std::string home = work.Sub("home-" + std::to_string(i));
    const int kind = i % 3;
    SCOPED_TRACE("kill " + std::to_string(i) +
                 (kind == 0   ? " of a first pull"
                  : kind == 1 ? " of a clone"
                              : " of an update"));
    CliUser user(home, server->url());
    auto victim = user.Start(prepare(kind, home));
    ASSERT_TRUE(victim);
    // The fault's moment, not a wait for anything: the kill lands wherever the client is then.
    // Within the first three quarters of a clean run: a loaded machine runs the same command
    // faster or slower from one run to the next, and a kill after the end proves nothing.
    std::uniform_int_distribution<int64_t> moment(0, duration_us[kind] * 3 / 4);
    std::this_thread::sleep_for(std::chrono::microseconds(moment(rng)));
    victim->Signal(SIGKILL);
    auto code = victim->WaitForExit();
    ASSERT_TRUE(code) << "the killed client did not exit";
    if (*code == 128 + SIGKILL) ++killed;

    const std::string out = work.Sub("out-" + std::to_string(i));
    CommandResult pull = user.Run({"pull", "-module", "crashy", "-version", "v1.1.0", "-dir", out});
    EXPECT_EQ(pull.exit_code, 0) << pull.Describe();
    const bool same_files = ReadFiles(out) == v2;
    EXPECT_TRUE(same_files) << "the pull after the kill wrote other files";
    const CommandResult fsck = RunGit({"-C", home, "fsck", "--strict"});
    EXPECT_EQ(fsck.exit_code, 0) << fsck.Describe();
    if (pull.exit_code != 0 || !same_files || fsck.exit_code != 0) ++unusable;
  }
  EXPECT_EQ(unusable, 0) << "of " << kKills << " local stores, " << killed
                         << " of them killed mid-command";
  // Most kills must have landed inside the command, or the test proves nothing.
  EXPECT_GE(killed, kKills / 2);
  RecordProperty("killed", killed);
}

// Damages `home` the way an older Spoke could leave it: that Spoke moved objects in one by one,
// so the store's packs are turned into loose objects first, then the object `rev` names goes.
void RemoveObjectAsAnOlderSpokeCould(const std::string& home, const std::string& rev) {
  CommandResult loosen = RunCommand(
      {{"sh", "-ec",
        "cd \"$1\"; for pack in objects/pack/*.pack; do mv \"$pack\" loose.pack; "
        "rm -f \"${pack%.pack}\".*; git unpack-objects -q < loose.pack; rm loose.pack; done",
        "sh", home},
       {},
       ""});
  ASSERT_EQ(loosen.exit_code, 0) << loosen.Describe();
  CommandResult id = RunGit({"-C", home, "rev-parse", rev});
  ASSERT_EQ(id.exit_code, 0) << id.Describe();
  const std::string hex = id.out.substr(0, 40);
  ASSERT_TRUE(std::filesystem::remove(home + "/objects/" + hex.substr(0, 2) + "/" + hex.substr(2)));
  ASSERT_NE(RunGit({"-C", home, "fsck", "--connectivity-only"}).exit_code, 0)
      << "the store is still whole";
}

class ClientRepair : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {"--default-compat", "NONE"}, {}});
    ASSERT_TRUE(server_);
    WriteFiles(work_.Sub("src"), files_);
    CliUser publisher(work_.Sub("publisher"), server_->url());
    CommandResult push = publisher.Run(
        {"push", "-module", "mended", "-version", "v1.0.0", "-dir", work_.Sub("src")});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
    user_ = std::make_unique<CliUser>(work_.Sub("home"), server_->url());
    CommandResult first =
        user_->Run({"pull", "-module", "mended", "-version", "v1.0.0", "-dir", work_.Sub("first")});
    ASSERT_EQ(first.exit_code, 0) << first.Describe();
  }

  // The manifest (read before anything else), then one of the version's files (read only when
  // they are written out).
  std::vector<std::string> Paths() const { return {"spoke.manifest.json", files_.begin()->first}; }
  static std::string Rev(const std::string& path) {
    return "refs/tags/mended/v1.0.0^{commit}:" + path;
  }

  TempDir work_;
  const FileSet files_ = MakeProtoFiles("mended", 5, 300, 31);
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<CliUser> user_;
};

// A pull fetches the version again instead of failing until the store is deleted.
TEST_F(ClientRepair, APullFetchesAgainAVersionWhoseObjectsAreMissing) {
  for (const std::string& path : Paths()) {
    SCOPED_TRACE("without the object of " + path);
    RemoveObjectAsAnOlderSpokeCould(work_.Sub("home"), Rev(path));
    const std::string out = work_.Sub("again-" + path);
    CommandResult pull =
        user_->Run({"pull", "-module", "mended", "-version", "v1.0.0", "-dir", out});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    EXPECT_EQ(ReadFiles(out), files_);
    GitFsck(work_.Sub("home"));
  }
}

// A fetch finds the version's ref up to date but its objects incomplete, and completes them.
TEST_F(ClientRepair, AFetchCompletesAVersionWhoseObjectsAreMissing) {
  for (const std::string& path : Paths()) {
    SCOPED_TRACE("without the object of " + path);
    RemoveObjectAsAnOlderSpokeCould(work_.Sub("home"), Rev(path));
    CommandResult fetch = user_->Run({"fetch"});
    ASSERT_EQ(fetch.exit_code, 0) << fetch.Describe();
    GitFsck(work_.Sub("home"));
    CommandResult offline = RunCli(
        {"pull", "-module", "mended", "-version", "v1.0.0", "-dir", work_.Sub("off-" + path)},
        {{"SPOKE_HOME", work_.Sub("home")}, {"SPOKE_REGISTRY", "http://127.0.0.1:1"}});
    ASSERT_EQ(offline.exit_code, 0) << offline.Describe();
    EXPECT_EQ(ReadFiles(work_.Sub("off-" + path)), files_);
  }
}

}  // namespace
}  // namespace spoke::e2e
