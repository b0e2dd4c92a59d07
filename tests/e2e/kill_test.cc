// A registry SIGKILLed at random moments while the CLI pushes to it, 100 times over one store:
// after every restart the store is clean for stock git, every version whose push was acknowledged
// (the CLI exited 0) is there and reads back byte for byte, and no version is partly visible (a
// tag without its files, or without its branch having moved over it). At the end every
// acknowledged version is pulled with the CLI and compared with what was pushed.
//
// The kill point is a random delay after the push starts, drawn from a seeded RNG over about the
// time a push takes, so the kills fall before, during and after the server's work on it; pushes
// alternate between a few files (a small pack) and many (a larger one that takes longer to index).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "harness.h"
#include "spoke/store.h"

namespace spoke::e2e {
namespace {

constexpr int kKills = 100;
constexpr char kModule[] = "killed";

// Checks, through the library, the store a killed server left: every version tag reaches a whole
// version whose files are `pushed`'s for it and whose commit lies on the module's branch. Returns
// the versions present.
std::set<std::string> CheckVisibleVersions(const std::string& storage,
                                           const std::map<std::string, FileSet>& pushed) {
  std::set<std::string> present;
  auto store = Store::Open(storage, /*create=*/false);
  if (!store.ok()) {
    if (store.status().code() != Status::Code::kNotFound)
      ADD_FAILURE() << store.status().ToString();
    return present;
  }
  auto versions = (*store)->ListVersions(kModule);
  EXPECT_TRUE(versions.ok()) << versions.status().ToString();
  if (!versions.ok()) return present;
  std::set<std::string> on_branch;
  if (!versions->empty()) {
    auto log = (*store)->Log(kModule);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    if (log.ok()) {
      for (const auto& entry : *log) {
        on_branch.insert(entry.commit_id);
        EXPECT_FALSE(entry.tag_id.empty())
            << "the branch moved over " << entry.version << " without its tag";
      }
    }
  }
  for (const auto& version : *versions) {
    SCOPED_TRACE(version);
    present.insert(version);
    auto info = (*store)->GetVersion(kModule, version);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    if (!info.ok()) continue;
    auto files = (*store)->ReadFiles(*info);
    EXPECT_TRUE(files.ok()) << "a visible version is not whole: " << files.status().ToString();
    auto expected = pushed.find(version);
    EXPECT_NE(expected, pushed.end()) << "a version nobody pushed";
    if (files.ok() && expected != pushed.end()) {
      EXPECT_TRUE(*files == expected->second) << "its files differ";
    }
    EXPECT_TRUE(on_branch.count(info->commit_id))
        << "the tag is there but the branch never moved over it";
  }
  return present;
}

TEST(KilledDuringPushes, AHundredKillsLeaveNoCorruptStoreAndLoseNoAcknowledgedVersion) {
  TempDir work;
  const std::string storage = work.Sub("storage");
  std::mt19937 rng(20240614);
  std::map<std::string, FileSet> pushed;  // every version a push was attempted for
  std::set<std::string> acknowledged;
  std::chrono::milliseconds push_time{400};

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i <= kKills; ++i) {
    SCOPED_TRACE("kill " + std::to_string(i));
    auto server = ServerProcess::Start(
        {storage, {"--default-compat", "NONE", "--validate", "none", "--no-fsync"}, {}});
    ASSERT_TRUE(server);
    GitFsck(storage);
    std::set<std::string> present = CheckVisibleVersions(storage, pushed);
    for (const auto& version : acknowledged) {
      EXPECT_TRUE(present.count(version)) << "acknowledged version " << version << " was lost";
    }
    if (i == kKills) {
      server->Stop();
      break;
    }

    const std::string version = "v1." + std::to_string(i) + ".0";
    const std::string dir = work.Sub("src-" + std::to_string(i));
    FileSet files =
        MakeProtoFiles("killed", i % 2 == 0 ? 3 : 120, 400, static_cast<uint32_t>(1000 + i));
    WriteFiles(dir, files);
    pushed[version] = files;
    CliUser publisher(work.Sub("home"), server->url());
    const auto push_started = std::chrono::steady_clock::now();
    auto push = publisher.Start({"push", "-module", kModule, "-version", version, "-dir", dir});
    ASSERT_TRUE(push);
    // The first push runs to its end, to learn how long a push takes here.
    if (i == 0) {
      auto code = push->WaitForExit();
      ASSERT_EQ(code, 0) << push->Stderr();
      push_time = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - push_started);
      acknowledged.insert(version);
      server->Kill();
      continue;
    }
    std::uniform_int_distribution<int> delay(0, static_cast<int>(push_time.count() * 3 / 2));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay(rng)));
    server->Kill();
    auto code = push->WaitForExit();
    ASSERT_TRUE(code) << "the push did not notice the server died";
    if (*code == 0) acknowledged.insert(version);
  }
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
  std::printf("%d kills in %llds, %zu of %zu pushes acknowledged, a push takes %lldms\n", kKills,
              static_cast<long long>(elapsed.count()), acknowledged.size(), pushed.size(),
              static_cast<long long>(push_time.count()));
  // Killing so often must still let some pushes through, and interrupt others.
  EXPECT_GT(acknowledged.size(), 1u);
  EXPECT_LT(acknowledged.size(), pushed.size());

  auto server =
      ServerProcess::Start({storage, {"--default-compat", "NONE", "--validate", "none"}, {}});
  ASSERT_TRUE(server);
  CliUser reader(work.Sub("reader-home"), server->url());
  for (const auto& version : acknowledged) {
    const std::string out = work.Sub("out-" + version);
    CommandResult pull = reader.Run({"pull", "-module", kModule, "-version", version, "-dir", out});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    EXPECT_EQ(ReadFiles(out), pushed[version]) << version;
  }
  server->Stop();
  GitFsck(storage);
}

}  // namespace
}  // namespace spoke::e2e
