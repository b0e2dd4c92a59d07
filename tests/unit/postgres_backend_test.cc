// The PostgreSQL store backend (spoke/sys/postgres_backend.h) as several servers use it: Stores
// with backends and caches of their own on one database, against a real server
// (tests/pg_cluster.h). Store's behaviour on one such backend is store_backend_test.cc's.
#include <git2.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "postgres_fixture.h"
#include "spoke/artifact_cache.h"
#include "spoke/store.h"
#include "spoke/store_watch.h"
#include "spoke/sys/postgres_backend.h"
#include "spoke/sys/store_backend.h"

namespace spoke::testing {
namespace {

class PostgresBackendTest : public PostgresTest {
 protected:
  // A Store on the test's database with its pack cache in `cache` (under the test's directory),
  // as one server opens it; nullptr (and a test failure) when it cannot open.
  std::unique_ptr<Store> OpenStore(const std::string& cache) {
    auto backend = OpenPostgresBackend(url_, CacheDir(cache));
    EXPECT_TRUE(backend.ok()) << backend.status();
    if (!backend.ok()) return nullptr;
    auto store = Store::Open(std::move(*backend));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string CacheDir(const std::string& cache) const { return dir_.Sub(cache); }

  // The packs in a cache: its index files.
  int CachedPacks(const std::string& cache) const {
    int packs = 0;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(CacheDir(cache) + "/objects/pack", ec), end;
         !ec && it != end; it.increment(ec)) {
      if (it->path().extension() == ".idx") ++packs;
    }
    return packs;
  }

  TempDir dir_;
};

TEST_F(PostgresBackendTest, AVersionWrittenThroughOneServerIsReadThroughTheOtherAtOnce) {
  auto first = OpenStore("first");
  auto second = OpenStore("second");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  FileSet files = {{"acme/user/v1/user.proto", "syntax = \"proto3\";\npackage acme.user.v1;\n"},
                   {"acme/user/v1/types.proto", "syntax = \"proto3\";\n"}};
  auto put = first->PutVersion(MakeRequest("acme/user", "v1.0.0", files));
  SPOKE_ASSERT_OK(put);
  ASSERT_TRUE(put->created);
  EXPECT_EQ(CachedPacks("second"), 0);

  // The refs come from the database, the objects from the pack the miss fetched.
  auto version = second->GetVersion("acme/user", "v1.0.0");
  SPOKE_ASSERT_OK(version);
  EXPECT_EQ(version->tag_id, put->version.tag_id);
  EXPECT_EQ(second->ReadFiles(*version).value(), files);
  EXPECT_EQ(CachedPacks("second"), CachedPacks("first"));
  EXPECT_GE(CachedPacks("second"), 1);

  // And back: the second server builds on the branch the first one moved.
  auto next = second->PutVersion(MakeRequest("acme/user", "v1.1.0", OneFile("next")));
  SPOKE_ASSERT_OK(next);
  EXPECT_EQ(first->ListVersions("acme/user").value(),
            (std::vector<std::string>{"v1.0.0", "v1.1.0"}));
  auto log = first->Log("acme/user");
  SPOKE_ASSERT_OK(log);
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].version, "v1.1.0");
  EXPECT_EQ(first->ReadFiles(first->GetVersion("acme/user", "v1.1.0").value()).value(),
            OneFile("next"));

  // Every ref change names the pack that brought its objects.
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM ref_changes WHERE pack_id IS NULL"), 0);
  EXPECT_EQ(QueryInt(*c,
                     "SELECT count(*) FROM ref_changes r WHERE NOT EXISTS"
                     " (SELECT 1 FROM packs p WHERE p.id = r.pack_id)"),
            0);
}

// Sprocket's and the compile route's write: CompileWithCache stores the generated files through
// the backend (held in memory, then one pack with the artifact's ref), so every server finds it.
TEST_F(PostgresBackendTest, AnArtifactCompiledThroughOneServerIsACacheHitOnTheOther) {
  auto first = OpenStore("first");
  auto second = OpenStore("second");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  FileSet files = {
      {"acme/user/v1/user.proto",
       "syntax = \"proto3\";\npackage acme.user.v1;\nmessage User { string id = 1; }\n"}};
  auto put = first->PutVersion(MakeRequest("acme/user", "v1.0.0", files));
  SPOKE_ASSERT_OK(put);
  auto request = RequestForVersion(*first, put->version, {"cpp", "python"}, {});
  SPOKE_ASSERT_OK(request);
  CompileStats stats;
  auto compiled = CompileWithCache(*first, *request, &stats);
  SPOKE_ASSERT_OK(compiled);
  EXPECT_EQ(stats.generator_runs, 2);
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM refs WHERE name LIKE 'refs/artifacts/%'"), 2);

  auto again = RequestForVersion(*second, second->GetVersion("acme/user", "v1.0.0").value(),
                                 {"cpp", "python"}, {});
  SPOKE_ASSERT_OK(again);
  CompileStats hit;
  auto found = CompileWithCache(*second, *again, &hit);
  SPOKE_ASSERT_OK(found);
  EXPECT_EQ(hit.generator_runs, 0);
  for (const std::string language : {"cpp", "python"}) {
    ASSERT_FALSE(found->at(language).files.empty()) << language;
    EXPECT_EQ(found->at(language).files, compiled->at(language).files) << language;
    EXPECT_EQ(found->at(language).commit, compiled->at(language).commit) << language;
  }
}

// The index watcher of a server on PostgreSQL follows ref_changes rather than listing every
// version tag at each look.
TEST_F(PostgresBackendTest, AWatcherReadsOnlyTheRefChangesAfterItsLastLook) {
  auto first = OpenStore("first");
  auto second = OpenStore("second");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  SPOKE_ASSERT_OK(first->PutVersion(MakeRequest("acme/user", "v1.0.0", OneFile("a"))));

  int64_t position = -1;
  auto start = second->RefsChangedSince(&position);
  SPOKE_ASSERT_OK(start);
  ASSERT_TRUE(start->has_value());
  EXPECT_TRUE((*start)->empty()) << "a negative position only finds the log's end";
  EXPECT_GT(position, 0);
  SPOKE_ASSERT_OK(first->PutVersion(MakeRequest("acme/user", "v1.1.0", OneFile("b"))));
  auto changed = second->RefsChangedSince(&position);
  SPOKE_ASSERT_OK(changed);
  ASSERT_TRUE(changed->has_value());
  std::vector<std::string> names = **changed;
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{ModuleBranchRef("acme/user"),
                                             VersionTagRef("acme/user", "v1.1.0")}));
  auto none = second->RefsChangedSince(&position);
  SPOKE_ASSERT_OK(none);
  EXPECT_TRUE((*none)->empty());

  StoreWatch watch(*second, std::chrono::milliseconds(0));
  auto all = watch.Start();
  SPOKE_ASSERT_OK(all);
  EXPECT_EQ(all->size(), 2u);
  SPOKE_ASSERT_OK(first->PutVersion(MakeRequest("acme/user", "v1.2.0", OneFile("c"))));
  SPOKE_ASSERT_OK(first->PutVersion(MakeRequest("acme/base", "v1.0.0", OneFile("d"))));
  auto fresh = watch.NewVersions();
  SPOKE_ASSERT_OK(fresh);
  EXPECT_EQ(*fresh, (std::vector<VersionName>{{"acme/base", "v1.0.0"}, {"acme/user", "v1.2.0"}}));
  // Stores without a log say so, and are listed instead.
  auto memory = Store::Open(NewMemoryBackend());
  SPOKE_ASSERT_OK(memory);
  int64_t memory_position = -1;
  EXPECT_FALSE((*memory)->RefsChangedSince(&memory_position).value().has_value());
}

// A pushed pack: checked in the incoming directory, its objects stored with the refs, so another
// server reads the version at once; without that directory the store cannot receive one.
TEST_F(PostgresBackendTest, AReceivedPackIsCheckedInTheIncomingDirectoryAndStoredWithItsRefs) {
  auto local = Store::Open(dir_.Sub("local"), /*create=*/true);
  SPOKE_ASSERT_OK(local);
  const FileSet files = {{"user.proto", "syntax = \"proto3\";\npackage user;\n"}};
  SPOKE_ASSERT_OK((*local)->PutVersion(MakeRequest("user", "v1.0.0", files)));
  auto refs = (*local)->ListRefs("");
  SPOKE_ASSERT_OK(refs);
  std::vector<RefUpdate> updates;
  std::vector<std::string> wants;
  for (const auto& ref : *refs) {
    updates.push_back({ref.name, "", ref.target});
    wants.push_back(ref.target);
  }
  auto pack = (*local)->BuildPack(wants, {}, nullptr);
  SPOKE_ASSERT_OK(pack);

  auto receiver = OpenStore("receiver");
  auto reader = OpenStore("reader");
  ASSERT_NE(receiver, nullptr);
  ASSERT_NE(reader, nullptr);
  auto refused = receiver->ApplyPack(*pack, updates, RefPolicy::kStrict);
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition) << refused.status();
  receiver->SetIncomingDirectory(dir_.Sub("incoming"));
  auto applied = receiver->ApplyPack(*pack, updates, RefPolicy::kStrict);
  SPOKE_ASSERT_OK(applied);
  auto version = reader->GetVersion("user", "v1.0.0");
  SPOKE_ASSERT_OK(version);
  EXPECT_EQ(reader->ReadFiles(*version).value(), files);
  // The quarantine is gone once the pack is in.
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(dir_.Sub("incoming") + "/spoke-incoming", ec));
  // Every ref change names the pack that brought its objects.
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM ref_changes WHERE pack_id IS NULL"), 0);
}

// The hex of a pack's trailer: its checksum, the name it is stored under.
std::string PackChecksum(const std::string& pack) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : pack.substr(pack.size() - 20)) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 15];
  }
  return hex;
}

// A received pack is stored as it was checked, not rebuilt from its objects held in memory: the
// database's pack has the received pack's name and every object it held, those the store had
// already included (a rebuilt pack would hold only the new ones, under another name).
TEST_F(PostgresBackendTest, AReceivedPackIsStoredAsItWasCheckedNotRebuilt) {
  auto local = Store::Open(dir_.Sub("local"), /*create=*/true);
  SPOKE_ASSERT_OK(local);
  const FileSet first = {{"user.proto", "syntax = \"proto3\";\npackage user;\n"}};
  const FileSet second = {{"user.proto", "syntax = \"proto3\";\npackage user;\n"},
                          {"more.proto", "syntax = \"proto3\";\npackage user;\n// more\n"}};
  SPOKE_ASSERT_OK((*local)->PutVersion(MakeRequest("user", "v1.0.0", first)));
  const std::string v1_tag = (*local)->ResolveRef(VersionTagRef("user", "v1.0.0")).value();
  const std::string v1_branch = (*local)->ResolveRef(ModuleBranchRef("user")).value();
  SPOKE_ASSERT_OK((*local)->PutVersion(MakeRequest("user", "v1.1.0", second)));
  const std::string v2_tag = (*local)->ResolveRef(VersionTagRef("user", "v1.1.0")).value();
  const std::string v2_branch = (*local)->ResolveRef(ModuleBranchRef("user")).value();

  auto receiver = OpenStore("receiver");
  ASSERT_NE(receiver, nullptr);
  receiver->SetIncomingDirectory(dir_.Sub("incoming"));
  auto pack_one = (*local)->BuildPack({v1_tag, v1_branch}, {}, nullptr);
  SPOKE_ASSERT_OK(pack_one);
  SPOKE_ASSERT_OK(receiver->ApplyPack(
      *pack_one,
      {{ModuleBranchRef("user"), "", v1_branch}, {VersionTagRef("user", "v1.0.0"), "", v1_tag}},
      RefPolicy::kStrict));
  // The second pack holds the first version's objects too: no haves.
  PackStats stats;
  auto pack_two = (*local)->BuildPack({v2_tag, v2_branch}, {}, &stats);
  SPOKE_ASSERT_OK(pack_two);
  SPOKE_ASSERT_OK(receiver->ApplyPack(*pack_two,
                                      {{ModuleBranchRef("user"), v1_branch, v2_branch},
                                       {VersionTagRef("user", "v1.1.0"), "", v2_tag}},
                                      RefPolicy::kStrict));
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  for (const std::string* pack : {&*pack_one, &*pack_two}) {
    auto rows = c->Execute("SELECT object_count, size FROM packs WHERE name = $1",
                           {postgres::Param::Text(PackChecksum(*pack))});
    SPOKE_ASSERT_OK(rows);
    ASSERT_EQ(rows->size(), 1) << "no pack named as the received one";
    EXPECT_EQ(rows->Int64(0, 1).value(), static_cast<int64_t>(pack->size()));
  }
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM packs"), 2);
  // Nothing is left staged, and another server reads both versions.
  EXPECT_EQ(CachedPacks("receiver"), 2);
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(CacheDir("receiver") + "/staged/objects/pack", ec));
  auto reader = OpenStore("reader");
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->ReadFiles(reader->GetVersion("user", "v1.0.0").value()).value(), first);
  EXPECT_EQ(reader->ReadFiles(reader->GetVersion("user", "v1.1.0").value()).value(), second);
}

// StoreBackend's contract, below Store: handles share what is not stored yet, and refs change only
// through UpdateRefs.
TEST_F(PostgresBackendTest,
       AnObjectWrittenThroughOneHandleIsReadThroughAnotherAndRefWritesRefused) {
  auto backend = OpenPostgresBackend(url_, CacheDir("cache"));
  SPOKE_ASSERT_OK(backend);
  using Handle = std::unique_ptr<git_repository, decltype(&git_repository_free)>;
  auto opened_one = (*backend)->OpenHandle();
  auto opened_other = (*backend)->OpenHandle();
  SPOKE_ASSERT_OK(opened_one);
  SPOKE_ASSERT_OK(opened_other);
  Handle one(*opened_one, git_repository_free), other(*opened_other, git_repository_free);
  const std::string content = "written through one handle";
  git_oid id;
  ASSERT_EQ(git_blob_create_from_buffer(&id, one.get(), content.data(), content.size()), 0);
  git_blob* blob = nullptr;
  ASSERT_EQ(git_blob_lookup(&blob, other.get(), &id), 0);
  EXPECT_EQ(std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                        static_cast<size_t>(git_blob_rawsize(blob))),
            content);
  git_blob_free(blob);

  git_reference* ref = nullptr;
  EXPECT_NE(git_reference_create(&ref, one.get(), "refs/heads/direct", &id, 0, nullptr), 0);
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM refs"), 0);
}

TEST_F(PostgresBackendTest, DescribesItselfByDatabaseWithoutThePassword) {
  const std::string prefix = "postgresql://spoke@";
  ASSERT_EQ(url_.rfind(prefix, 0), 0u) << url_;
  // The test's server trusts loopback, so the password is never checked, only carried.
  auto backend = OpenPostgresBackend("postgresql://spoke:secret@" + url_.substr(prefix.size()),
                                     CacheDir("cache"));
  SPOKE_ASSERT_OK(backend);
  EXPECT_EQ((*backend)->Describe(), "a store in PostgreSQL at spoke@127.0.0.1:" +
                                        std::to_string(cluster_->port()) + "/spoke");
  EXPECT_EQ((*backend)->directory(), "");
}

TEST_F(PostgresBackendTest,
       RacersOverTwoServersGiveOneWinnerPerVersionAndDifferentVersionsAllLand) {
  std::unique_ptr<Store> stores[] = {OpenStore("first"), OpenStore("second")};
  ASSERT_NE(stores[0], nullptr);
  ASSERT_NE(stores[1], nullptr);
  constexpr int kThreads = 16;

  // One version, each racer with its own content: one takes the tag, the others find it taken.
  std::atomic<int> winners{0}, refused{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto put =
          stores[t % 2]->PutVersion(MakeRequest("user", "v1.0.0", OneFile(std::to_string(t))));
      if (put.ok() && put->created) {
        ++winners;
      } else if (put.status().code() == Status::Code::kAlreadyExists) {
        ++refused;
      } else {
        errors[t] = put.ok() ? "not created, without an error" : put.status().ToString();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], "") << "racer " << t;
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
  auto on_first = stores[0]->GetVersion("user", "v1.0.0");
  auto on_second = stores[1]->GetVersion("user", "v1.0.0");
  SPOKE_ASSERT_OK(on_first);
  SPOKE_ASSERT_OK(on_second);
  EXPECT_EQ(on_first->tag_id, on_second->tag_id);
  EXPECT_EQ(stores[1]->ReadFiles(*on_second).value(), stores[0]->ReadFiles(*on_first).value());

  // Different versions: every one lands, on one branch.
  threads.clear();
  threads.reserve(kThreads);
  std::atomic<int> created{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto put = stores[t % 2]->PutVersion(MakeRequest("user", "v2." + std::to_string(t) + ".0",
                                                       OneFile("v2 " + std::to_string(t))));
      if (put.ok() && put->created) {
        ++created;
      } else {
        errors[t] = put.status().ToString();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], "") << "racer " << t;
  EXPECT_EQ(created.load(), kThreads);
  for (auto& store : stores) {
    EXPECT_EQ(store->ListVersions("user").value().size(), size_t{kThreads + 1});
    EXPECT_EQ(store->Log("user").value().size(), size_t{kThreads + 1});  // one parent chain
    auto last = store->GetVersion("user", "v2.15.0");
    SPOKE_ASSERT_OK(last);
    EXPECT_EQ(store->ReadFiles(*last).value(), OneFile("v2 15"));
  }
}

// Racers with the same content build the same objects, and within one second the same pack, whose
// name the database holds once: a later server finds it stored, or loses the insert of its name
// and looks again; either way all but one racer find the version there.
TEST_F(PostgresBackendTest, RacersWithTheSameContentOverTwoServersGiveOneWinnerAndNoError) {
  std::unique_ptr<Store> stores[] = {OpenStore("first"), OpenStore("second")};
  ASSERT_NE(stores[0], nullptr);
  ASSERT_NE(stores[1], nullptr);
  constexpr int kThreads = 16;
  std::atomic<int> winners{0}, found{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto put = stores[t % 2]->PutVersion(MakeRequest("user", "v1.0.0", OneFile("same")));
      if (!put.ok()) {
        errors[t] = put.status().ToString();
      } else {
        ++(put->created ? winners : found);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], "") << "racer " << t;
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(found.load(), kThreads - 1);
  for (auto& store : stores) {
    auto version = store->GetVersion("user", "v1.0.0");
    SPOKE_ASSERT_OK(version);
    EXPECT_EQ(store->ReadFiles(*version).value(), OneFile("same"));
  }
}

// Snapshots have a fixed author and time, so two servers writing the same files build the same
// pack: the second finds it stored, loses the compare-and-swap in the words of the other backends,
// and stores no second copy when its update goes through.
TEST_F(PostgresBackendTest, APackAnotherServerStoredIsUsedNotStoredAgain) {
  auto first = OpenStore("first");
  auto second = OpenStore("second");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  Store::FileViews files = {{"a.txt", "a"}, {"dir/b.txt", "b"}};
  auto commit = first->WriteSnapshot(files, "m");
  SPOKE_ASSERT_OK(commit);
  SPOKE_ASSERT_OK(second->WriteSnapshot(files, "m"));
  SPOKE_ASSERT_OK(first->UpdateRefs({{ModuleBranchRef("snap"), "", *commit}}));

  Status lost = second->UpdateRefs({{ModuleBranchRef("snap"), "", *commit}});
  EXPECT_EQ(lost.code(), Status::Code::kConflict) << lost;
  EXPECT_EQ(lost.message(),
            "ref " + ModuleBranchRef("snap") + " is at " + *commit + ", expected nothing");
  SPOKE_ASSERT_OK(second->UpdateRefs({{ModuleBranchRef("copy"), "", *commit}}));
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM packs"), 1);
  EXPECT_EQ(CachedPacks("second"), 1);
  EXPECT_EQ(second->ReadSnapshot(*commit).value().size(), 2u);
}

TEST_F(PostgresBackendTest, ADeletedCacheIsFilledAgainWhenTheStoreOpens) {
  std::vector<PutResult> puts;
  {
    auto store = OpenStore("cache");
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 3; ++i) {
      auto put = store->PutVersion(
          MakeRequest("user", "v1." + std::to_string(i) + ".0", OneFile(std::to_string(i))));
      SPOKE_ASSERT_OK(put);
      puts.push_back(*put);
    }
  }
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  const int64_t packs = QueryInt(*c, "SELECT count(*) FROM packs");
  EXPECT_GE(packs, 3);
  ASSERT_EQ(CachedPacks("cache"), packs);
  std::filesystem::remove_all(CacheDir("cache"));

  auto store = OpenStore("cache");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(CachedPacks("cache"), packs);  // on open, before any read
  for (int i = 0; i < 3; ++i) {
    auto version = store->GetVersion("user", "v1." + std::to_string(i) + ".0");
    SPOKE_ASSERT_OK(version);
    EXPECT_EQ(version->tag_id, puts[i].version.tag_id);
    EXPECT_EQ(store->ReadFiles(*version).value(), OneFile(std::to_string(i)));
    EXPECT_TRUE(store->HasCompleteClosure(version->tag_id));
  }
}

// A cache holds only copies of the database's packs: one left by a store on another database
// would make objects that database lacks look stored, and refs could then be published without
// them.
TEST_F(PostgresBackendTest, ACacheOfAnotherDatabaseIsEmptiedWhenTheStoreOpens) {
  std::string tag_id;
  {
    auto store = OpenStore("cache");
    ASSERT_NE(store, nullptr);
    auto put = store->PutVersion(MakeRequest("user", "v1.0.0", OneFile("a")));
    SPOKE_ASSERT_OK(put);
    tag_id = put->version.tag_id;
  }
  ASSERT_GE(CachedPacks("cache"), 1);
  auto other_url = cluster_->CreateDatabase("other");
  SPOKE_ASSERT_OK(other_url);
  auto backend = OpenPostgresBackend(*other_url, CacheDir("cache"));
  SPOKE_ASSERT_OK(backend);
  EXPECT_EQ(CachedPacks("cache"), 0);
  auto store = Store::Open(std::move(*backend));
  SPOKE_ASSERT_OK(store);
  EXPECT_FALSE((*store)->HasObject(tag_id));
}

TEST_F(PostgresBackendTest, AStoredPackThatDoesNotMatchItsNameIsNotCachedAndHidesNoOther) {
  auto writer = OpenStore("writer");
  auto reader = OpenStore("reader");
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  SPOKE_ASSERT_OK(writer->PutVersion(MakeRequest("user", "v1.0.0", OneFile("a"))));
  SPOKE_ASSERT_OK(writer->PutVersion(MakeRequest("user", "v1.1.0", OneFile("b"))));
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  // One byte inside the first pack (v1.0.0's, fetched first) changes, past its 12-byte header:
  // its trailer still names it, only hashing the whole pack shows the damage.
  auto damaged = c->Execute(
      "UPDATE pack_chunks SET data = overlay(data placing"
      " (CASE WHEN get_byte(data, 13) = 0 THEN '\\x01' ELSE '\\x00' END)::bytea from 14)"
      " WHERE part = 'pack' AND seq = 0 AND pack_id = (SELECT min(id) FROM packs)");
  SPOKE_ASSERT_OK(damaged);
  ASSERT_EQ(damaged->affected(), 1);

  auto later = reader->GetVersion("user", "v1.1.0");
  SPOKE_ASSERT_OK(later);
  EXPECT_EQ(reader->ReadFiles(*later).value(), OneFile("b"));
  EXPECT_EQ(CachedPacks("reader"), 1);
  EXPECT_FALSE(reader->GetVersion("user", "v1.0.0").ok());
  auto reopened = OpenPostgresBackend(url_, CacheDir("fresh"));
  EXPECT_EQ(reopened.status().code(), Status::Code::kCorruption) << reopened.status();
  EXPECT_NE(reopened.status().message().find("hashes to"), std::string::npos) << reopened.status();
}

TEST_F(PostgresBackendTest, ALostCompareAndSwapLeavesNoPackRowAndItsObjectsReadable) {
  auto store = OpenStore("cache");
  ASSERT_NE(store, nullptr);
  auto first = store->PutVersion(MakeRequest("user", "v1.0.0", OneFile("a")));
  SPOKE_ASSERT_OK(first);
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  const int64_t packs = QueryInt(*c, "SELECT count(*) FROM packs");
  const int64_t chunks = QueryInt(*c, "SELECT count(*) FROM pack_chunks");
  const int64_t changes = QueryInt(*c, "SELECT count(*) FROM ref_changes");

  auto next =
      store->PrepareVersion(MakeRequest("user", "v1.1.0", OneFile("b")), first->version.commit_id);
  SPOKE_ASSERT_OK(next);
  ASSERT_EQ(next->updates.size(), 2u);
  // The new tag expects to replace the old one's id: the pack is stored and the branch (first by
  // name) moved in the transaction before the tag's compare fails, and all of it is rolled back.
  std::vector<RefUpdate> stale = next->updates;
  ASSERT_EQ(stale[0].name, VersionTagRef("user", "v1.1.0"));
  stale[0].old_target = first->version.tag_id;
  Status lost = store->UpdateRefs(stale);
  EXPECT_EQ(lost.code(), Status::Code::kConflict) << lost;
  EXPECT_EQ(lost.message(),
            "ref " + stale[0].name + " is at nothing, expected " + first->version.tag_id);
  EXPECT_EQ(store->ResolveRef(ModuleBranchRef("user")).value(), first->version.commit_id);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM packs"), packs);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM pack_chunks"), chunks);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM ref_changes"), changes);
  EXPECT_TRUE(store->HasCompleteClosure(next->tag_id));  // still in memory

  SPOKE_ASSERT_OK(store->UpdateRefs(next->updates));
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM packs"), packs + 1);
  auto other = OpenStore("other");
  ASSERT_NE(other, nullptr);
  auto read = other->GetVersion("user", "v1.1.0");
  SPOKE_ASSERT_OK(read);
  EXPECT_EQ(other->ReadFiles(*read).value(), OneFile("b"));
}

}  // namespace
}  // namespace spoke::testing
