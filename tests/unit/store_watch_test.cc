// StoreWatch: versions written to a store by another handle (as another process would) are
// reported once, and nothing is listed while the refs' stamp stands still.
#include "spoke/store_watch.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace spoke {
namespace {

using testing::MakeRequest;
using testing::OneFile;
using testing::TempDir;

class StoreWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto watched = Store::Open(dir_.Sub("store"), true);
    ASSERT_TRUE(watched.ok());
    watched_ = std::move(*watched);
    // A second handle on the same directory writes, as `spoke fetch` in another process does.
    auto writer = Store::Open(dir_.Sub("store"), false);
    ASSERT_TRUE(writer.ok());
    writer_ = std::move(*writer);
  }

  void Put(const std::string& module, const std::string& version) {
    ASSERT_TRUE(writer_->PutVersion(MakeRequest(module, version, OneFile(module + version))).ok());
  }

  TempDir dir_;
  std::unique_ptr<Store> watched_, writer_;
};

TEST_F(StoreWatchTest, ReportsEachVersionWrittenElsewhereOnce) {
  Put("a", "v1.0.0");
  StoreWatch watch(*watched_, std::chrono::milliseconds(0));
  auto start = watch.Start();
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, (std::vector<VersionName>{{"a", "v1.0.0"}}));

  Put("a", "v1.1.0");
  Put("b", "v1.0.0");
  auto fresh = watch.NewVersions();
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*fresh, (std::vector<VersionName>{{"a", "v1.1.0"}, {"b", "v1.0.0"}}));
  auto none = watch.NewVersions();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(StoreWatchTest, SeesVersionsAfterGitPacksTheRefs) {
  StoreWatch watch(*watched_, std::chrono::milliseconds(0));
  ASSERT_TRUE(watch.Start().ok());
  Put("a", "v1.0.0");
  ASSERT_EQ(testing::Git(dir_.Sub("store"), "pack-refs --all").exit_code, 0);
  auto fresh = watch.NewVersions();
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*fresh, (std::vector<VersionName>{{"a", "v1.0.0"}}));
}

TEST_F(StoreWatchTest, LooksAtMostOncePerInterval) {
  StoreWatch watch(*watched_, std::chrono::hours(1));
  ASSERT_TRUE(watch.Start().ok());
  Put("a", "v1.0.0");
  auto fresh = watch.NewVersions();
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->empty());
}

}  // namespace
}  // namespace spoke
