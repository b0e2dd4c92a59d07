// CollectGarbage (gc.h) on real stores in one process: what it removes and keeps, a store still
// open across a gc, the lock, and the artifacts' last-use record (artifact_use.h).
#include "spoke/gc.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>

#include "spoke/artifact_use.h"
#include "spoke/store.h"
#include "test_support.h"

namespace spoke {
namespace {

using testing::Git;
using testing::GitFsckStrict;
using testing::MakeRequest;
using testing::OneFile;
using testing::TempDir;

void Backdate(const std::string& path, int64_t age_seconds) {
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(std::time(nullptr) - age_seconds);
  times[0].tv_nsec = times[1].tv_nsec = 0;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

std::string LoosePath(const std::string& store, const std::string& id) {
  return store + "/objects/" + id.substr(0, 2) + "/" + id.substr(2);
}

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(path_, /*create=*/true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    for (const char* version : {"v1.0.0", "v1.1.0", "v1.2.0"}) {
      auto put = store_->PutVersion(MakeRequest("api", version, OneFile(version)));
      ASSERT_TRUE(put.ok()) << put.status().ToString();
    }
  }

  bool HasObject(const std::string& id) { return Git(path_, "cat-file -e " + id).exit_code == 0; }

  TempDir dir_;
  const std::string path_ = dir_.Sub("store");
  std::unique_ptr<Store> store_;
};

TEST_F(GcTest, RemovesOldUnreferencedBlobsKeepsFreshOnesAndEveryVersion) {
  auto old_blob = store_->WriteBlob("unreferenced and old\n");
  auto fresh_blob = store_->WriteBlob("unreferenced and fresh\n");
  ASSERT_TRUE(old_blob.ok() && fresh_blob.ok());
  Backdate(LoosePath(path_, *old_blob), 7200);

  auto report = CollectGarbage(path_, GcOptions{});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->objects_removed, 1u);
  EXPECT_EQ(report->unreferenced, 2u);
  EXPECT_EQ(report->kept_by_grace, 1u);
  EXPECT_EQ(report->packs_after, 1u);
  EXPECT_EQ(report->loose_after, 1u);  // the fresh blob
  EXPECT_FALSE(HasObject(*old_blob));
  EXPECT_TRUE(HasObject(*fresh_blob));
  EXPECT_TRUE(GitFsckStrict(path_));

  // The store opened before the gc still reads every version, through handles opened after it.
  for (const char* version : {"v1.0.0", "v1.1.0", "v1.2.0"}) {
    auto info = store_->GetVersion("api", version);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    auto files = store_->ReadFiles(*info);
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    EXPECT_EQ(*files, OneFile(version));
  }
  // And writes on top of the repacked history.
  auto put = store_->PutVersion(MakeRequest("api", "v1.3.0", OneFile("v1.3.0")));
  EXPECT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_TRUE(GitFsckStrict(path_));
}

TEST_F(GcTest, AVersionPublishedDuringTheGcKeepsTheOldObjectsItReaches) {
  // An old blob no ref reaches, which a version published while the gc runs then holds: libgit2
  // finds it stored and writes nothing, so only the gc's second look at the refs can save it.
  const std::string content = "syntax = \"proto3\";\n// revived\nmessage M {}\n";
  auto blob = store_->WriteBlob(content);
  ASSERT_TRUE(blob.ok());
  Backdate(LoosePath(path_, *blob), 7200);
  GcOptions options;
  options.before_final_step = [&] {
    auto put = store_->PutVersion(MakeRequest("api", "v2.0.0", {{"api.proto", content}}));
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    // The survey saw the blob's file as old; it must stay all the same.
    Backdate(LoosePath(path_, *blob), 7200);
  };
  auto report = CollectGarbage(path_, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(HasObject(*blob));
  EXPECT_TRUE(GitFsckStrict(path_));
  auto info = store_->GetVersion("api", "v2.0.0");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto files = store_->ReadFiles(*info);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(files->at("api.proto"), content);
}

TEST_F(GcTest, AnObjectAWriteFindsStoredDuringTheGcSurvivesUntilItsRefIsWritten) {
  // A version's objects written while the gc runs (libgit2 finds the old blob and only touches
  // its file), its refs after the gc: the gc must see the touch at its final step.
  const std::string content = "syntax = \"proto3\";\n// written twice\nmessage M {}\n";
  auto blob = store_->WriteBlob(content);
  ASSERT_TRUE(blob.ok());
  Backdate(LoosePath(path_, *blob), 7200);
  auto tip = store_->GetModule("api");
  ASSERT_TRUE(tip.ok());
  Result<PreparedVersion> prepared = Status::Internal("not prepared");
  GcOptions options;
  options.before_final_step = [&] {
    prepared = store_->PrepareVersion(MakeRequest("api", "v3.0.0", {{"api.proto", content}}),
                                      tip->branch_tip);
  };
  auto report = CollectGarbage(path_, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  ASSERT_TRUE(store_->UpdateRefs(prepared->updates).ok());
  EXPECT_TRUE(HasObject(*blob));
  EXPECT_TRUE(GitFsckStrict(path_));
}

TEST_F(GcTest, WithoutAGraceEveryUnreferencedObjectGoes) {
  auto blob = store_->WriteBlob("just written\n");
  ASSERT_TRUE(blob.ok());
  GcOptions options;
  options.prune_older_than = std::chrono::seconds(0);
  auto report = CollectGarbage(path_, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->objects_removed, 1u);
  EXPECT_FALSE(HasObject(*blob));
}

TEST_F(GcTest, ADryRunRemovesNothing) {
  auto blob = store_->WriteBlob("old\n");
  ASSERT_TRUE(blob.ok());
  Backdate(LoosePath(path_, *blob), 7200);
  GcOptions options;
  options.dry_run = true;
  auto report = CollectGarbage(path_, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->dry_run);
  EXPECT_EQ(report->objects_removed, 1u);
  EXPECT_TRUE(HasObject(*blob));
}

TEST_F(GcTest, IsRefusedWhileAnotherHoldsTheLock) {
  int fd = ::open((path_ + "/gc.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  // flock locks belong to open file descriptions: this process's own second open conflicts too.
  auto refused = CollectGarbage(path_, GcOptions{});
  EXPECT_EQ(refused.status().code(), Status::Code::kConflict) << refused.status().ToString();
  ::close(fd);
  EXPECT_TRUE(CollectGarbage(path_, GcOptions{}).ok());
}

TEST(GcStore, AMissingStoreIsNotFound) {
  TempDir dir;
  EXPECT_EQ(CollectGarbage(dir.Sub("none"), GcOptions{}).status().code(), Status::Code::kNotFound);
}

TEST(ArtifactUse, IsRecordedAtMostOnceAMinute) {
  TempDir dir;
  const std::string key(64, 'a');
  EXPECT_EQ(LastArtifactUse(dir.path().string(), key), 0);
  RecordArtifactUse(dir.path().string(), key);
  const int64_t first = LastArtifactUse(dir.path().string(), key);
  EXPECT_GT(first, 0);
  const std::string record = dir.Sub("artifact-use/aa/" + key);
  Backdate(record, 30);
  RecordArtifactUse(dir.path().string(), key);
  EXPECT_LT(LastArtifactUse(dir.path().string(), key), first) << "rewritten within a minute";
  Backdate(record, 120);
  RecordArtifactUse(dir.path().string(), key);
  EXPECT_GE(LastArtifactUse(dir.path().string(), key), first);
  ForgetArtifactUse(dir.path().string(), key);
  EXPECT_EQ(LastArtifactUse(dir.path().string(), key), 0);
  // Keys are hex: nothing else names a file.
  RecordArtifactUse(dir.path().string(), "../../escape");
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("escape")));
}

}  // namespace
}  // namespace spoke
