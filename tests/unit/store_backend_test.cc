// Store's core behaviour on every backend (spoke/sys/store_backend.h): the same tests run on the
// filesystem backend, on the memory twin and on PostgreSQL (a server of the test's own,
// tests/pg_cluster.h; skipped when PostgreSQL is not installed), through a backend factory. Then
// what only the memory backend does: refuse, with a clear status, the features that need files.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "pg_cluster.h"
#include "spoke/files.h"
#include "spoke/store.h"
#include "spoke/sys/postgres_backend.h"
#include "spoke/sys/store_backend.h"
#include "test_support.h"

namespace spoke {
namespace {

using testing::AllRefs;
using testing::IsObjectId;
using testing::MakeRequest;
using testing::OneFile;
using testing::ReadFileOrDie;
using testing::StatusOf;
using testing::TempDir;

struct BackendFactory {
  std::string name;
  // A new, empty store; `dir` is a scratch directory the backend may use, `server` keeps a
  // database server the store needs running until the test ends. NotFound: the backend cannot run
  // on this machine, and the test is skipped with the message.
  std::function<Result<std::unique_ptr<Store>>(const TempDir& dir,
                                               std::unique_ptr<testing::PgCluster>& server)>
      open;
};

// gtest names a failing case by its backend, not by the factory's bytes.
void PrintTo(const BackendFactory& backend, std::ostream* os) { *os << backend.name; }

const BackendFactory kFilesystem = {"Filesystem",
                                    [](const TempDir& dir, std::unique_ptr<testing::PgCluster>&) {
                                      return Store::Open(dir.Sub("store"), /*create=*/true);
                                    }};
const BackendFactory kMemory = {"Memory", [](const TempDir&, std::unique_ptr<testing::PgCluster>&) {
                                  return Store::Open(NewMemoryBackend());
                                }};
const BackendFactory kPostgres = {
    "Postgres",
    [](const TempDir& dir,
       std::unique_ptr<testing::PgCluster>& server) -> Result<std::unique_ptr<Store>> {
      SPOKE_ASSIGN_OR_RETURN(server, testing::PgCluster::Start());
      SPOKE_ASSIGN_OR_RETURN(std::string url, server->CreateDatabase("spoke"));
      SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<StoreBackend> backend,
                             OpenPostgresBackend(url, dir.Sub("cache")));
      return Store::Open(std::move(backend));
    }};

class StoreBackendTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    auto store = GetParam().open(dir_, server_);
    if (!store.ok() && store.status().code() == Status::Code::kNotFound) {
      GTEST_SKIP() << store.status().message();
    }
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  PutResult MustPut(const NewVersion& request) {
    auto put = store_->PutVersion(request);
    EXPECT_TRUE(put.ok()) << request.module << "@" << request.version << ": "
                          << put.status().ToString();
    return put.ok() ? *put : PutResult{};
  }

  TempDir dir_;
  std::unique_ptr<testing::PgCluster> server_;  // declared before the store, which it outlives
  std::unique_ptr<Store> store_;
};

TEST_P(StoreBackendTest, APublishedVersionReadsBackWholeAndVerified) {
  FileSet files = {{"acme/user/v1/user.proto", "syntax = \"proto3\";\npackage acme.user.v1;\n"},
                   {"acme/user/v1/types.proto", "syntax = \"proto3\";\n"}};
  PutResult put = MustPut(MakeRequest("acme/user", "v1.0.0", files));
  EXPECT_TRUE(put.created);
  EXPECT_TRUE(IsObjectId(put.version.tag_id));
  EXPECT_TRUE(IsObjectId(put.version.commit_id));

  auto version = store_->GetVersion("acme/user", "v1.0.0");
  SPOKE_ASSERT_OK(version);
  EXPECT_EQ(version->commit_id, put.version.commit_id);
  EXPECT_EQ(version->manifest.files.size(), 2u);
  auto read = store_->ReadFiles(*version);
  SPOKE_ASSERT_OK(read);
  EXPECT_EQ(*read, files);
  auto one = store_->ReadFile(*version, "acme/user/v1/types.proto");
  SPOKE_ASSERT_OK(one);
  EXPECT_EQ(one->first, "syntax = \"proto3\";\n");
  EXPECT_EQ(one->second, Store::BlobId(one->first));
  EXPECT_EQ(store_->ReadFile(*version, "absent.proto").status().code(), Status::Code::kNotFound);

  const std::string out = dir_.Sub("checkout");
  SPOKE_ASSERT_OK(store_->CheckoutFiles(*version, out));
  EXPECT_EQ(ReadFileOrDie(out + "/acme/user/v1/user.proto"), files["acme/user/v1/user.proto"]);
  EXPECT_TRUE(store_->HasObject(put.version.tag_id));
  EXPECT_TRUE(store_->HasCompleteClosure(put.version.tag_id));
  EXPECT_FALSE(store_->HasObject(std::string(40, '0')));
}

TEST_P(StoreBackendTest, VersionTagsAreImmutable) {
  PutResult first = MustPut(MakeRequest("user", "v1.0.0", OneFile("first")));
  auto again = store_->PutVersion(MakeRequest("user", "v1.0.0", OneFile("first")));
  SPOKE_ASSERT_OK(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->version.tag_id, first.version.tag_id);

  auto different = store_->PutVersion(MakeRequest("user", "v1.0.0", OneFile("second")));
  EXPECT_EQ(different.status().code(), Status::Code::kAlreadyExists)
      << different.status().ToString();

  // Moving the tag by hand is a compare-and-swap that cannot match "must not exist yet"...
  auto other = store_->PrepareVersion(MakeRequest("user", "v1.0.0", OneFile("third")),
                                      first.version.commit_id);
  SPOKE_ASSERT_OK(other);
  const std::vector<RefEntry> before = AllRefs(*store_);
  EXPECT_EQ(store_->UpdateRefs({other->updates[0]}).code(), Status::Code::kConflict);
  // ...and a deletion is refused outright.
  EXPECT_EQ(
      store_->UpdateRefs({{VersionTagRef("user", "v1.0.0"), first.version.tag_id, ""}}).code(),
      Status::Code::kInvalidArgument);
  EXPECT_EQ(AllRefs(*store_), before);
  auto read = store_->GetVersion("user", "v1.0.0");
  SPOKE_ASSERT_OK(read);
  EXPECT_EQ(read->tag_id, first.version.tag_id);
}

TEST_P(StoreBackendTest, RefUpdatesCompareAndSwapAllOrNothing) {
  PutResult first = MustPut(MakeRequest("user", "v1.0.0", OneFile("a")));
  auto next =
      store_->PrepareVersion(MakeRequest("user", "v1.1.0", OneFile("b")), first.version.commit_id);
  SPOKE_ASSERT_OK(next);
  ASSERT_EQ(next->updates.size(), 2u);
  const std::vector<RefEntry> before = AllRefs(*store_);

  // The branch (first in name order) matches; the tag expects a value it does not have.
  std::vector<RefUpdate> wrong = next->updates;
  wrong[0].old_target = first.version.tag_id;
  Status refused = store_->UpdateRefs(wrong);
  EXPECT_EQ(refused.code(), Status::Code::kConflict) << refused.ToString();
  EXPECT_NE(refused.message().find(wrong[0].name), std::string::npos) << refused.message();
  EXPECT_EQ(AllRefs(*store_), before);

  std::vector<std::string> stages;
  store_->SetStageHook([&stages](const std::string& stage) { stages.push_back(stage); });
  SPOKE_ASSERT_OK(store_->UpdateRefs(next->updates));
  EXPECT_EQ(stages, std::vector<std::string>{"refs-locked"});
  EXPECT_EQ(store_->ResolveRef(ModuleBranchRef("user")).value(), next->commit_id);
  EXPECT_EQ(store_->ResolveRef(VersionTagRef("user", "v1.1.0")).value(), next->tag_id);
  // The same swap again no longer matches: the refs moved.
  EXPECT_EQ(store_->UpdateRefs(next->updates).code(), Status::Code::kConflict);
}

TEST_P(StoreBackendTest, ListingsFollowNamesAndSemverOrder) {
  MustPut(MakeRequest("acme/user", "v1.10.0", OneFile("c")));
  MustPut(MakeRequest("acme/user", "v1.2.0", OneFile("b")));
  MustPut(MakeRequest("acme/user", "v1.2.0-rc.1", OneFile("a")));
  MustPut(MakeRequest("acme/user/admin", "v0.1.0", OneFile("nested")));
  MustPut(MakeRequest("billing", "v2.0.0", OneFile("billing")));

  EXPECT_EQ(store_->ListModules().value(),
            (std::vector<std::string>{"acme/user", "acme/user/admin", "billing"}));
  EXPECT_EQ(store_->ListVersions("acme/user").value(),
            (std::vector<std::string>{"v1.2.0-rc.1", "v1.2.0", "v1.10.0"}));
  EXPECT_EQ(store_->GetVersion("acme/user", "latest").value().version, "v1.10.0");
  auto log = store_->Log("acme/user");
  SPOKE_ASSERT_OK(log);
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].version, "v1.2.0-rc.1");  // newest first: the last one published

  auto tags = store_->ListRefs("refs/tags/acme/user/");
  SPOKE_ASSERT_OK(tags);
  ASSERT_EQ(tags->size(), 4u);  // the nested module's tag shares the prefix
  for (size_t i = 1; i < tags->size(); ++i) EXPECT_LT((*tags)[i - 1].name, (*tags)[i].name);
  for (const auto& tag : *tags) EXPECT_TRUE(IsObjectId(tag.peeled)) << tag.name;
  EXPECT_EQ(store_->ListRefs("refs/heads/").value().size(), 3u);
  EXPECT_EQ(store_->ResolveRef("refs/heads/absent/_history").value(), "");
  EXPECT_EQ(store_->GetModule("absent").status().code(), Status::Code::kNotFound);
}

TEST_P(StoreBackendTest, ModulesAndCompatibilityRevisions) {
  SPOKE_ASSERT_OK(store_->CreateModule("user", "Users", "FILE"));
  EXPECT_EQ(store_->CreateModule("user", "again").status().code(), Status::Code::kAlreadyExists);
  auto changed = store_->SetModuleCompatibility("user", "WIRE_JSON");
  SPOKE_ASSERT_OK(changed);
  auto module = store_->GetModule("user");
  SPOKE_ASSERT_OK(module);
  EXPECT_EQ(module->description, "Users");
  EXPECT_EQ(module->compatibility, "WIRE_JSON");
}

TEST_P(StoreBackendTest, SnapshotsAndDiffs) {
  Store::FileViews files;
  std::vector<std::string> contents;
  for (int i = 0; i < 150; ++i) contents.push_back("file " + std::to_string(i) + "\n");
  for (int i = 0; i < 150; ++i) files["gen/f" + std::to_string(i) + ".pb.go"] = contents[i];
  auto commit = store_->WriteSnapshot(files, "snapshot");
  SPOKE_ASSERT_OK(commit);
  auto read = store_->ReadSnapshot(*commit);
  SPOKE_ASSERT_OK(read);
  ASSERT_EQ(read->size(), 150u);
  EXPECT_EQ(read->at("gen/f7.pb.go"), "file 7\n");

  auto v1 = MustPut(MakeRequest("user", "v1.0.0", {{"a.proto", "a"}, {"b.proto", "b"}}));
  auto v2 = MustPut(MakeRequest("user", "v1.1.0", {{"a.proto", "a2"}, {"c.proto", "c"}}));
  auto diff = store_->DiffVersions(v1.version, v2.version, /*with_patch=*/false);
  SPOKE_ASSERT_OK(diff);
  ASSERT_EQ(diff->size(), 3u);
  EXPECT_EQ((*diff)[0].path, "a.proto");
  EXPECT_EQ((*diff)[0].status, "modified");
  EXPECT_EQ((*diff)[1].status, "removed");
  EXPECT_EQ((*diff)[2].status, "added");
}

TEST_P(StoreBackendTest, ASnapshotWrittenFileByFileIsTheSnapshotWrittenAtOnceAndCanBeReferenced) {
  TempDir files_dir;
  const std::string big(300 << 10, 'x');  // with the next, past the writer's pack threshold
  const std::string bigger(400 << 10, 'y');
  SPOKE_ASSERT_OK(WriteFileAtomically(files_dir.Sub("big.txt"), big));
  auto writer = store_->StartSnapshot();
  SPOKE_ASSERT_OK(writer);
  (*writer)->Add("a.txt", "a");
  (*writer)->AddFile("big.txt", files_dir.Sub("big.txt"));
  (*writer)->Add("dir/bigger.txt", bigger);
  SPOKE_ASSERT_OK((*writer)->Settle());
  auto commit = (*writer)->Finish("artifact");
  SPOKE_ASSERT_OK(commit);
  auto at_once = store_->WriteSnapshot(
      {{"a.txt", "a"}, {"big.txt", big}, {"dir/bigger.txt", bigger}}, "artifact");
  SPOKE_ASSERT_OK(at_once);
  EXPECT_EQ(*commit, *at_once);
  // The commit can be published, as an artifact is, and read back whole.
  SPOKE_ASSERT_OK(store_->UpdateRefs({{ArtifactRef(std::string(64, 'a')), "", *commit}}));
  EXPECT_EQ(store_->ResolveRef(ArtifactRef(std::string(64, 'a'))).value(), *commit);
  auto read = store_->ReadSnapshot(*commit);
  SPOKE_ASSERT_OK(read);
  EXPECT_EQ(*read, (FileSet{{"a.txt", "a"}, {"big.txt", big}, {"dir/bigger.txt", bigger}}));
}

TEST_P(StoreBackendTest, ConcurrentPublishersOfDifferentVersionsAllSucceed) {
  constexpr int kThreads = 6;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &failures] {
      auto put = store_->PutVersion(
          MakeRequest("user", "v1." + std::to_string(t) + ".0", OneFile(std::to_string(t))));
      if (!put.ok() || !put->created) ++failures;
      // Readers run beside the writers.
      if (!store_->ListVersions("user").ok()) ++failures;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->ListVersions("user").value().size(), static_cast<size_t>(kThreads));
  EXPECT_EQ(store_->Log("user").value().size(), static_cast<size_t>(kThreads));
}

TEST_P(StoreBackendTest, APackBuiltHereAppliesToAStoreOnDisk) {
  PutResult put = MustPut(MakeRequest("user", "v1.0.0", OneFile("packed")));
  PackStats stats;
  auto pack = store_->BuildPack({put.version.tag_id, put.version.commit_id}, {}, &stats);
  SPOKE_ASSERT_OK(pack);
  EXPECT_GT(stats.objects, 3u);

  TempDir other_dir;
  auto other = Store::Open(other_dir.Sub("store"), /*create=*/true);
  SPOKE_ASSERT_OK(other);
  auto applied = (*other)->ApplyPack(*pack,
                                     {{VersionTagRef("user", "v1.0.0"), "", put.version.tag_id},
                                      {ModuleBranchRef("user"), "", put.version.commit_id}},
                                     RefPolicy::kStrict);
  SPOKE_ASSERT_OK(applied);
  auto copy = (*other)->GetVersion("user", "v1.0.0");
  SPOKE_ASSERT_OK(copy);
  EXPECT_EQ((*other)->ReadFiles(*copy).value(), OneFile("packed"));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreBackendTest,
                         ::testing::Values(kFilesystem, kMemory, kPostgres),
                         [](const ::testing::TestParamInfo<BackendFactory>& backend) {
                           return backend.param.name;
                         });

// --- Between backends, and what only the memory backend does ----------------------------------

TEST(StoreBackends, GiveTheSameIdsForTheSameVersion) {
  TempDir dir;
  auto on_disk = Store::Open(dir.Sub("store"), /*create=*/true);
  auto in_memory = Store::Open(NewMemoryBackend());
  SPOKE_ASSERT_OK(on_disk);
  SPOKE_ASSERT_OK(in_memory);
  // Snapshots have a fixed author and time, so only the content decides the ids.
  Store::FileViews files = {{"a.txt", "a"}, {"dir/b.txt", "b"}};
  auto disk_commit = (*on_disk)->WriteSnapshot(files, "m");
  auto memory_commit = (*in_memory)->WriteSnapshot(files, "m");
  SPOKE_ASSERT_OK(disk_commit);
  SPOKE_ASSERT_OK(memory_commit);
  EXPECT_EQ(*disk_commit, *memory_commit);
}

TEST(MemoryBackend, HasNoDirectoryAndRefusesWhatNeedsFilesWithFailedPrecondition) {
  auto store = Store::Open(NewMemoryBackend());
  SPOKE_ASSERT_OK(store);
  EXPECT_EQ((*store)->path(), "");
  auto expect_refused = [](const Status& status, const std::string& what) {
    EXPECT_EQ(status.code(), Status::Code::kFailedPrecondition)
        << what << ": " << status.ToString();
    EXPECT_NE(status.message().find("a store in memory keeps no files"), std::string::npos)
        << status.message();
  };
  expect_refused(StatusOf((*store)->ApplyPack("", {}, RefPolicy::kStrict)), "ApplyPack");
  expect_refused(StatusOf((*store)->ApplyPackFile("/dev/null", 0, {}, RefPolicy::kMirror)),
                 "ApplyPackFile");
  expect_refused(StatusOf((*store)->CreateIncomingFile()), "CreateIncomingFile");
  expect_refused(StatusOf((*store)->GetSetting("spoke.fetch")), "GetSetting");
  expect_refused((*store)->SetSetting("spoke.fetch", {"refs/"}), "SetSetting");
}

TEST(MemoryBackend, EachStoreIsItsOwn) {
  auto first = Store::Open(NewMemoryBackend());
  auto second = Store::Open(NewMemoryBackend());
  SPOKE_ASSERT_OK(first);
  SPOKE_ASSERT_OK(second);
  SPOKE_ASSERT_OK((*first)->PutVersion(MakeRequest("user", "v1.0.0", OneFile("x"))));
  EXPECT_EQ((*second)->ListModules().value(), std::vector<std::string>{});
  EXPECT_EQ(Store::Open(std::unique_ptr<StoreBackend>()).status().code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace spoke
