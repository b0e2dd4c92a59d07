// spoke gc on a registry's store: unreferenced objects older than the grace go, everything a ref
// reaches stays (every version pulls back byte for byte, stock git fsck is clean), stale
// quarantines go, artifacts over the bound go least recently used first and compile again when
// asked for, --dry-run removes nothing, a second gc is refused, and a gc while the server takes
// pushes and pulls loses nothing and fails no request.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "generated_code_fixture.h"
#include "harness.h"

namespace spoke::e2e {
namespace {

namespace fs = std::filesystem;

// Sets the mtime (and atime) of `path` to `age_seconds` ago.
void Backdate(const std::string& path, int64_t age_seconds) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(std::time(nullptr) - age_seconds);
  times[0].tv_nsec = times[1].tv_nsec = 0;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

std::string LooseObjectPath(const std::string& storage, const std::string& id) {
  return storage + "/objects/" + id.substr(0, 2) + "/" + id.substr(2);
}

// Writes `content` as a loose blob no ref reaches, `age_seconds` old; returns its id.
std::string WriteUnreferencedBlob(const std::string& storage, const std::string& scratch,
                                  const std::string& content, int64_t age_seconds) {
  std::ofstream(scratch) << content;
  CommandResult hashed = RunGit({"-C", storage, "hash-object", "-w", scratch});
  EXPECT_EQ(hashed.exit_code, 0) << hashed.Describe();
  std::string id = hashed.out.substr(0, 40);
  Backdate(LooseObjectPath(storage, id), age_seconds);
  return id;
}

bool HasObject(const std::string& storage, const std::string& id) {
  return RunGit({"-C", storage, "cat-file", "-e", id}).exit_code == 0;
}

// Every file under `dir` with its size and mtime, for "nothing changed".
std::string Listing(const std::string& dir) {
  std::string out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    out += it->path().string() + " " + std::to_string(st.st_size) + " " +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
  }
  return out;
}

int64_t IntOf(const Json& json, const std::string& key) {
  const Json* value = json.Get(key);
  EXPECT_TRUE(value) << key << " missing in " << json.Dump();
  return value ? value->as_int() : -1;
}

const int64_t kTwoHours = 2 * 3600;

class Gc : public RegistryWithModules {
 protected:
  // Unreferenced blobs (two old, one fresh) and a quarantine a dead process left two hours ago.
  void PlantGarbage() {
    old_blobs_ = {WriteUnreferencedBlob(Storage(), work_.Sub("b1"), "old one\n", kTwoHours),
                  WriteUnreferencedBlob(Storage(), work_.Sub("b2"), "old two\n", kTwoHours)};
    fresh_blob_ = WriteUnreferencedBlob(Storage(), work_.Sub("b3"), "fresh\n", 0);
    stale_quarantine_ = Storage() + "/spoke-incoming/q-4242";
    fs::create_directories(stale_quarantine_);
    std::ofstream(stale_quarantine_ + "/incoming.pack") << "half a pack";
    Backdate(stale_quarantine_, kTwoHours);
  }

  CommandResult RunGc(std::vector<std::string> args) const {
    args.insert(args.begin(), {"gc", "--storage-dir", Storage()});
    return RunCli(args);
  }

  // Pulls module@version with a user of its own and checks the files are `expected`.
  void ExpectPullsBack(const std::string& module, const std::string& version,
                       const FileSet& expected) {
    CliUser reader(work_.Sub("reader-" + module + version), server_->url());
    const std::string dir = work_.Sub("pulled-" + module + version);
    CommandResult pull = reader.Run({"pull", "-module", module, "-version", version, "-dir", dir});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    ExpectSameFiles(ReadFiles(dir), expected);
  }

  std::vector<std::string> old_blobs_;
  std::string fresh_blob_, stale_quarantine_;
};

TEST_F(Gc, RemovesOldUnreferencedObjectsAndKeepsEveryVersion) {
  FileSet shop2 = kShopFiles;
  shop2["shop/extra.proto"] = "syntax = \"proto3\";\npackage shop;\nmessage Extra {}\n";
  WriteFiles(work_.Sub("src-shop2"), shop2);
  CliUser publisher(work_.Sub("publisher-home"), server_->url());
  CommandResult push = publisher.Run(
      {"push", "-module", "shop", "-version", "v1.1.0", "-dir", work_.Sub("src-shop2")});
  ASSERT_EQ(push.exit_code, 0) << push.Describe();
  PlantGarbage();
  const std::string refs_before = RefsOf(Storage());

  Json report = JsonOut(RunGc({"--json"}));
  EXPECT_EQ(IntOf(report, "objects_removed"), 2) << report.Dump();
  EXPECT_GE(IntOf(report, "kept_by_grace"), 1);
  EXPECT_EQ(IntOf(report, "quarantines_removed"), 1);
  EXPECT_EQ(IntOf(report, "packs_after"), 1) << "everything a ref reaches is one pack";
  EXPECT_EQ(IntOf(report, "objects_after"), IntOf(report, "objects_before") - 2);
  EXPECT_FALSE(report.Get("dry_run")->as_bool());

  for (const auto& id : old_blobs_) EXPECT_FALSE(HasObject(Storage(), id)) << id;
  EXPECT_TRUE(HasObject(Storage(), fresh_blob_)) << "the grace keeps a fresh unreferenced object";
  EXPECT_FALSE(fs::exists(stale_quarantine_));
  EXPECT_EQ(RefsOf(Storage()), refs_before);
  GitFsck(Storage());
  CommandResult full = RunGit({"-C", Storage(), "fsck", "--full", "--no-dangling"});
  EXPECT_EQ(full.exit_code, 0) << full.Describe();
  ExpectPullsBack("shop", "v1.0.0", kShopFiles);
  ExpectPullsBack("shop", "v1.1.0", shop2);
  ExpectPullsBack("clock", "v2.1.0", kClockFiles);
}

TEST_F(Gc, ASecondRunWithinTheGraceMergesTheFirstOnesPack) {
  ASSERT_EQ(RunGc({}).exit_code, 0);
  CliUser publisher(work_.Sub("publisher-home"), server_->url());
  WriteFiles(work_.Sub("src-clock2"), kClockFiles);
  ASSERT_EQ(
      publisher
          .Run({"push", "-module", "clock", "-version", "v2.2.0", "-dir", work_.Sub("src-clock2")})
          .exit_code,
      0);
  Json report = JsonOut(RunGc({"--json"}));
  EXPECT_EQ(IntOf(report, "packs_before"), 2);
  EXPECT_EQ(IntOf(report, "packs_after"), 1);
  EXPECT_EQ(IntOf(report, "objects_removed"), 0);
  GitFsck(Storage());
}

TEST_F(Gc, DryRunReportsAndRemovesNothing) {
  PlantGarbage();
  const std::string refs_before = RefsOf(Storage());
  const std::string objects_before = Listing(Storage() + "/objects");
  const std::string incoming_before = Listing(Storage() + "/spoke-incoming");

  CommandResult run = RunGc({"--dry-run", "--json"});
  Json report = JsonOut(run);
  EXPECT_TRUE(report.Get("dry_run")->as_bool());
  EXPECT_EQ(IntOf(report, "objects_removed"), 2);
  EXPECT_EQ(IntOf(report, "quarantines_removed"), 1);
  EXPECT_EQ(RefsOf(Storage()), refs_before);
  EXPECT_EQ(Listing(Storage() + "/objects"), objects_before);
  EXPECT_EQ(Listing(Storage() + "/spoke-incoming"), incoming_before);

  CommandResult human = RunGc({"--dry-run"});
  EXPECT_EQ(human.exit_code, 0) << human.Describe();
  EXPECT_NE(human.out.find("would remove 2 of"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("dry run"), std::string::npos) << human.out;
}

TEST_F(Gc, ASecondGcOnTheSameStoreIsRefused) {
  const std::string lock_path = Storage() + "/gc.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  ASSERT_EQ(::write(fd, "4242\n", 5), 5);
  CommandResult refused = RunGc({});
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_NE(refused.err.find("another gc is running on"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("pid 4242"), std::string::npos) << refused.err;
  ::close(fd);
  CommandResult after = RunGc({});
  EXPECT_EQ(after.exit_code, 0) << after.Describe();
}

TEST_F(Gc, ArtifactsOverTheBoundGoLeastRecentlyUsedFirstAndCompileAgain) {
  CompileAnswer shop = PostCompile(*http_, "shop", "v1.0.0", "cpp");
  CompileAnswer clock = PostCompile(*http_, "clock", "v2.1.0", "cpp");
  ASSERT_EQ(shop.status, 201) << shop.raw;
  ASSERT_EQ(clock.status, 201) << clock.raw;
  const std::string shop_key = shop.body.GetString("key"), clock_key = clock.body.GetString("key");
  auto use_record = [&](const std::string& key) {
    return Storage() + "/artifact-use/" + key.substr(0, 2) + "/" + key;
  };
  // shop was used long ago, clock less long ago; a download of shop now makes it the recent one.
  Backdate(use_record(shop_key), kTwoHours);
  Backdate(use_record(clock_key), 3600);
  auto download = http_->Get("/modules/shop/versions/v1.0.0/download/cpp");
  ASSERT_TRUE(download);
  ASSERT_EQ(download->status, 200);

  Json planned = JsonOut(RunGc({"--dry-run", "--json"}));
  const int64_t total = IntOf(planned, "artifact_bytes_before");
  ASSERT_GT(total, 0);
  Json report = JsonOut(RunGc({"--json", "--max-artifact-bytes", std::to_string(total - 1)}));
  const Json* removed = report.Get("artifacts_removed");
  ASSERT_TRUE(removed && removed->as_array().size() == 1) << report.Dump();
  EXPECT_EQ(removed->as_array()[0].GetString("key"), clock_key);
  EXPECT_LT(IntOf(report, "artifact_bytes_after"), total);
  const std::string refs = RefsOf(Storage());
  EXPECT_EQ(refs.find(clock_key), std::string::npos) << refs;
  EXPECT_NE(refs.find(shop_key), std::string::npos) << refs;
  GitFsck(Storage());

  // The dropped artifact is compiled again on demand; the kept one is still a hit.
  auto again = http_->Get("/modules/clock/versions/v2.1.0/download/cpp");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_NE(RefsOf(Storage()).find(clock_key), std::string::npos);
  auto hit = http_->Get("/modules/shop/versions/v1.0.0/download/cpp");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->status, 200);
}

TEST_F(Gc, WhileTheServerTakesPushesAndPullsNoRequestFailsAndNoVersionIsLost) {
  std::atomic<bool> stop{false};
  std::atomic<int> pushed{0};
  std::vector<std::string> failures;  // read after the join
  std::atomic<bool> failed{false};
  std::thread traffic([&] {
    CliUser publisher(work_.Sub("busy-publisher"), server_->url());
    for (int i = 0; !stop.load() || i < 3; ++i) {
      const std::string version = "v1." + std::to_string(i) + ".0";
      FileSet files = {{"busy.proto", "syntax = \"proto3\";\npackage busy;\nmessage M" +
                                          std::to_string(i) + " {}\n"}};
      const std::string src = work_.Sub("busy-src-" + std::to_string(i));
      WriteFiles(src, files);
      CommandResult push =
          publisher.Run({"push", "-module", "busy", "-version", version, "-dir", src});
      if (push.exit_code != 0) {
        failures.push_back("push " + version + ": " + push.Describe());
        failed = true;
        break;
      }
      pushed = i + 1;
      CliUser reader(work_.Sub("busy-reader-" + std::to_string(i)), server_->url());
      const std::string dir = work_.Sub("busy-pulled-" + std::to_string(i));
      CommandResult pull =
          reader.Run({"pull", "-module", "busy", "-version", version, "-dir", dir});
      if (pull.exit_code != 0 || ReadFiles(dir) != files) {
        failures.push_back("pull " + version + ": " + pull.Describe());
        failed = true;
        break;
      }
      auto shop =
          HttpClient(server_->port())->Get("/modules/shop/versions/v1.0.0/files/shop/money.proto");
      if (!shop || shop->status != 200 || shop->body != kShopFiles.at("shop/money.proto")) {
        failures.push_back("GET shop/money.proto failed");
        failed = true;
        break;
      }
    }
  });
  // Gc rounds until the traffic has pushed several versions, so both overlap.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int round = 0; (round < 5 || pushed.load() < 8) && !failed.load() &&
                      std::chrono::steady_clock::now() < deadline;
       ++round) {
    CommandResult gc = RunGc({});
    EXPECT_EQ(gc.exit_code, 0) << gc.Describe();
  }
  stop = true;
  traffic.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  ASSERT_GE(pushed.load(), 3);
  ASSERT_EQ(RunGc({}).exit_code, 0);
  GitFsck(Storage());
  for (int i = 0; i < pushed.load(); ++i) {
    ExpectPullsBack("busy", "v1." + std::to_string(i) + ".0",
                    {{"busy.proto", "syntax = \"proto3\";\npackage busy;\nmessage M" +
                                        std::to_string(i) + " {}\n"}});
  }
}

TEST_F(Gc, WithoutStorageDirCleansTheLocalStoreWhichStillServesPullsOffline) {
  CliUser user(work_.Sub("user-home"), server_->url());
  CommandResult pull =
      user.Run({"pull", "-module", "shop", "-version", "v1.0.0", "-dir", work_.Sub("first")});
  ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
  const std::string old_blob =
      WriteUnreferencedBlob(user.home(), work_.Sub("b-local"), "local junk\n", kTwoHours);

  CommandResult gc = user.Run({"gc", "--json"});
  Json report = JsonOut(gc);
  EXPECT_EQ(report.GetString("store"), user.home());
  EXPECT_EQ(IntOf(report, "objects_removed"), 1);
  EXPECT_FALSE(HasObject(user.home(), old_blob));
  GitFsck(user.home());

  server_->Kill();
  CommandResult offline =
      user.Run({"pull", "-module", "shop", "-version", "v1.0.0", "-dir", work_.Sub("second")});
  ASSERT_EQ(offline.exit_code, 0) << offline.Describe();
  ExpectSameFiles(ReadFiles(work_.Sub("second")), kShopFiles);
}

// Files of the server's store that it still holds (open or mapped) after they were removed.
std::vector<std::string> RemovedPacksHeldBy(pid_t pid) {
  std::vector<std::string> held;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::error_code ec;
  for (fs::directory_iterator it(proc + "/fd", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_ec;
    std::string target = fs::read_symlink(it->path(), link_ec).string();
    if (target.find("/objects/pack/") != std::string::npos &&
        target.find("(deleted)") != std::string::npos)
      held.push_back(target);
  }
  std::ifstream maps(proc + "/maps");
  for (std::string line; std::getline(maps, line);) {
    if (line.find("/objects/pack/") != std::string::npos &&
        line.find("(deleted)") != std::string::npos)
      held.push_back(line);
  }
  return held;
}

TEST_F(Gc, TheServerLetsGoOfThePacksItRemoved) {
  // Reads open every pack: pulls of each version, and a fetch of the whole registry.
  ExpectPullsBack("shop", "v1.0.0", kShopFiles);
  ExpectPullsBack("clock", "v2.1.0", kClockFiles);
  ASSERT_EQ(RunGc({}).exit_code, 0);
  // The next requests find the removed packs gone and free what held them.
  CliUser cloner(work_.Sub("cloner"), server_->url());
  CommandResult clone = cloner.Run({"clone", server_->url(), work_.Sub("mirror")});
  ASSERT_EQ(clone.exit_code, 0) << clone.Describe();
  ExpectPullsBack("shop", "v1.0.0", kShopFiles);
  std::vector<std::string> held = RemovedPacksHeldBy(server_->process().pid());
  EXPECT_TRUE(held.empty()) << held.front();
}

TEST(GcCli, HelpAndUsageErrors) {
  CommandResult help = RunCli({"gc", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.Describe();
  EXPECT_NE(help.out.find("--max-artifact-bytes"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--prune-older-than"), std::string::npos) << help.out;
  TempDir dir;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"gc", "--storage-dir", dir.Sub("nothing")},
        std::vector<std::string>{"gc", "-storage-dir", dir.path(), "--prune-older-than", "5x"},
        std::vector<std::string>{"gc", "--max-artifact-bytes", "lots"}}) {
    CommandResult bad = RunCli(args, {{"SPOKE_HOME", dir.Sub("home")}});
    EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
  }
}

}  // namespace
}  // namespace spoke::e2e
