// Pack compaction on a real PostgreSQL (spoke/sys/postgres_compactor.h): small packs merged into
// one by a job that two compactors never both run, readers that never lose an object while it
// happens, caches that drop the replaced packs once they hold the new one, and a cache filled
// after compaction that holds the compacted pack only.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "postgres_fixture.h"
#include "spoke/store.h"
#include "spoke/sys/postgres_backend.h"
#include "spoke/sys/postgres_compactor.h"

namespace spoke::testing {
namespace {

constexpr int kVersions = 12;

class PostgresCompactorTest : public PostgresTest {
 protected:
  std::unique_ptr<Store> OpenStore(const std::string& cache) {
    auto backend = OpenPostgresBackend(url_, dir_.Sub(cache));
    EXPECT_TRUE(backend.ok()) << backend.status();
    if (!backend.ok()) return nullptr;
    auto store = Store::Open(std::move(*backend));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::unique_ptr<PostgresCompactor> OpenCompactor(const std::string& name) {
    PostgresCompactorOptions options;
    options.pack_threshold = 1;
    options.owner = name;
    auto compactor = PostgresCompactor::Open(url_, dir_.Sub("work-" + name), options);
    EXPECT_TRUE(compactor.ok()) << compactor.status();
    return compactor.ok() ? std::move(*compactor) : nullptr;
  }

  // The pack names in a cache, from its index files.
  std::set<std::string> CachedPacks(const std::string& cache) const {
    std::set<std::string> names;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir_.Sub(cache) + "/objects/pack", ec), end;
         !ec && it != end; it.increment(ec)) {
      if (it->path().extension() == ".idx") names.insert(it->path().stem().string().substr(5));
    }
    return names;
  }

  std::set<std::string> ListedPacks() {
    std::set<std::string> names;
    auto c = Connect();
    if (c == nullptr) return names;
    auto rows = c->Execute("SELECT name FROM packs");
    EXPECT_TRUE(rows.ok()) << rows.status();
    for (int r = 0; rows.ok() && r < rows->size(); ++r)
      names.insert(std::string(rows->Bytes(r, 0)));
    return names;
  }

  static FileSet VersionFiles(int i) {
    return {{"busy.proto", "syntax = \"proto3\";\npackage busy;\n// version " + std::to_string(i) +
                               "\nmessage M" + std::to_string(i) + " {}\n"}};
  }

  static std::string Version(int i) { return "v1." + std::to_string(i) + ".0"; }

  // Every version through `store`, byte for byte.
  void ExpectEveryVersion(Store& store, int versions) {
    for (int i = 0; i < versions; ++i) {
      auto version = store.GetVersion("busy", Version(i));
      ASSERT_TRUE(version.ok()) << Version(i) << ": " << version.status();
      auto files = store.ReadFiles(*version);
      ASSERT_TRUE(files.ok()) << Version(i) << ": " << files.status();
      EXPECT_EQ(*files, VersionFiles(i)) << Version(i);
    }
  }

  TempDir dir_;
};

TEST_F(PostgresCompactorTest, SmallPacksBecomeOneByAJobThatOnlyOneOfTwoCompactorsRuns) {
  auto writer = OpenStore("writer");
  ASSERT_NE(writer, nullptr);
  for (int i = 0; i < kVersions; ++i) {
    SPOKE_ASSERT_OK(writer->PutVersion(MakeRequest("busy", Version(i), VersionFiles(i))));
  }
  ASSERT_EQ(ListedPacks().size(), static_cast<size_t>(kVersions));
  // A reader whose cache holds every small pack, and one that read nothing yet.
  auto warm = OpenStore("warm");
  ASSERT_NE(warm, nullptr);
  ASSERT_NO_FATAL_FAILURE(ExpectEveryVersion(*warm, kVersions));
  const std::set<std::string> small_packs = CachedPacks("warm");
  ASSERT_EQ(small_packs.size(), static_cast<size_t>(kVersions));

  auto first = OpenCompactor("first");
  auto second = OpenCompactor("second");
  ASSERT_TRUE(first && second);
  Result<std::optional<PackCompaction>> ran_first = std::optional<PackCompaction>();
  Result<std::optional<PackCompaction>> ran_second = std::optional<PackCompaction>();
  std::thread a([&] { ran_first = first->RunOnce(); });
  std::thread b([&] { ran_second = second->RunOnce(); });
  a.join();
  b.join();
  SPOKE_ASSERT_OK(ran_first);
  SPOKE_ASSERT_OK(ran_second);
  ASSERT_NE(ran_first->has_value(), ran_second->has_value()) << "exactly one compacts";
  const PackCompaction& done = ran_first->has_value() ? **ran_first : **ran_second;
  EXPECT_EQ(done.packs_replaced, kVersions);
  EXPECT_EQ(ListedPacks(), std::set<std::string>{done.pack_name});
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM jobs WHERE kind = 'compact'"), 1);
  EXPECT_EQ(QueryInt(*c,
                     "SELECT count(*) FROM jobs WHERE kind = 'compact' AND state = 'done'"
                     " AND attempts = 1"),
            1);
  EXPECT_EQ(QueryInt(*c,
                     "SELECT count(*) FROM pack_chunks c WHERE NOT EXISTS"
                     " (SELECT 1 FROM packs p WHERE p.id = c.pack_id)"),
            0);
  // Below the threshold now: neither queues nor runs anything.
  SPOKE_ASSERT_OK(first->RunOnce());
  EXPECT_FALSE(first->RunOnce()->has_value());

  // The warm reader still reads everything; its cache follows at its next miss, a version pushed
  // meanwhile: the new pack and the compacted one in, the replaced ones out.
  ASSERT_NO_FATAL_FAILURE(ExpectEveryVersion(*warm, kVersions));
  SPOKE_ASSERT_OK(
      writer->PutVersion(MakeRequest("busy", Version(kVersions), VersionFiles(kVersions))));
  ASSERT_NO_FATAL_FAILURE(ExpectEveryVersion(*warm, kVersions + 1));
  EXPECT_EQ(CachedPacks("warm"), ListedPacks());
  EXPECT_EQ(CachedPacks("warm").size(), 2u);

  // A reader started now fetches the compacted pack, not the replaced ones.
  auto fresh = OpenStore("fresh");
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(CachedPacks("fresh"), ListedPacks());
  ASSERT_NO_FATAL_FAILURE(ExpectEveryVersion(*fresh, kVersions + 1));
}

// Readers whose caches fill while compactions replace packs (each opening fetches every listed
// pack, so some fetch a pack the compaction deletes under them) never miss an object.
TEST_F(PostgresCompactorTest, ReadersNeverMissAnObjectWhilePacksAreCompacted) {
  auto writer = OpenStore("writer");
  ASSERT_NE(writer, nullptr);
  auto compactor = OpenCompactor("compactor");
  ASSERT_NE(compactor, nullptr);
  std::atomic<int> published{0};
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    for (int round = 0; !done.load(); ++round) {
      auto store = OpenStore("reader-" + std::to_string(round));
      if (store == nullptr) return;
      const int versions = published.load();
      ExpectEveryVersion(*store, versions);
      if (::testing::Test::HasFailure()) return;
      reads += versions;
    }
  });
  int compactions = 0;
  for (int i = 0; i < 3 * kVersions; ++i) {
    SPOKE_ASSERT_OK(writer->PutVersion(MakeRequest("busy", Version(i), VersionFiles(i))));
    published = i + 1;
    if (i % 4 == 3) {
      auto ran = compactor->RunOnce();
      SPOKE_ASSERT_OK(ran);
      compactions += ran->has_value() ? 1 : 0;
    }
  }
  done = true;
  reader.join();
  EXPECT_GE(compactions, 8);
  EXPECT_GT(reads.load(), 0);
  ASSERT_NO_FATAL_FAILURE(ExpectEveryVersion(*writer, 3 * kVersions));
}

}  // namespace
}  // namespace spoke::testing
