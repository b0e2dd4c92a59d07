// ImportIndex over real stores: built from what a store holds, kept current by the store's publish
// listener, and the resolution rule (highest release holding the path, pre-releases only when
// there is no release, several modules ambiguous).
#include "spoke/import_index.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace spoke {
namespace {

using testing::MakeRequest;
using testing::TempDir;

FileSet Files(const std::vector<std::string>& paths) {
  FileSet files;
  for (const auto& p : paths) files[p] = "syntax = \"proto3\";\n// " + p + "\n";
  return files;
}

class ImportIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.Sub("store"), true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  void Put(const std::string& module, const std::string& version,
           const std::vector<std::string>& paths) {
    auto put = store_->PutVersion(MakeRequest(module, version, Files(paths)));
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }

  std::unique_ptr<ImportIndex> Build() {
    std::vector<Status> unreadable;
    auto index = ImportIndex::Build(*store_, &unreadable);
    EXPECT_TRUE(index.ok()) << index.status().ToString();
    EXPECT_TRUE(unreadable.empty()) << unreadable.front().ToString();
    return index.ok() ? std::move(*index) : std::make_unique<ImportIndex>();
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ImportIndexTest, ResolvesToTheHighestReleaseThatHoldsThePath) {
  Put("common", "v1.0.0", {"common/types.proto", "common/old.proto"});
  Put("common", "v1.2.0", {"common/types.proto"});
  Put("common", "v1.10.0", {"common/types.proto"});
  Put("common", "v2.0.0-rc.1", {"common/types.proto"});
  auto index = Build();
  EXPECT_EQ(index->version_count(), 4u);

  ImportResolution types = index->Resolve("common/types.proto");
  EXPECT_EQ(types.outcome, ImportResolution::Outcome::kResolved);
  EXPECT_EQ(types.pin.module, "common");
  EXPECT_EQ(types.pin.version, "v1.10.0");
  // A path the newest release dropped resolves to the last release that had it.
  ImportResolution old = index->Resolve("common/old.proto");
  EXPECT_EQ(old.outcome, ImportResolution::Outcome::kResolved);
  EXPECT_EQ(old.pin.version, "v1.0.0");
  EXPECT_EQ(index->Resolve("nothing/here.proto").outcome, ImportResolution::Outcome::kUnresolved);

  auto providers = index->Providers("common/types.proto");
  ASSERT_EQ(providers.size(), 1u);
  EXPECT_EQ(providers[0].versions,
            (std::vector<std::string>{"v1.0.0", "v1.2.0", "v1.10.0", "v2.0.0-rc.1"}));
  EXPECT_TRUE(index->Providers("nothing/here.proto").empty());
}

TEST_F(ImportIndexTest, FallsBackToTheHighestPreReleaseWhenThereIsNoRelease) {
  Put("beta", "v0.1.0-alpha.1", {"beta/b.proto"});
  Put("beta", "v0.1.0-beta.2", {"beta/b.proto"});
  ImportResolution r = Build()->Resolve("beta/b.proto");
  EXPECT_EQ(r.outcome, ImportResolution::Outcome::kResolved);
  EXPECT_EQ(r.pin.version, "v0.1.0-beta.2");
}

TEST_F(ImportIndexTest, TwoModulesProvidingOnePathAreAmbiguousAndBothAreNamed) {
  Put("types", "v1.0.0", {"shared/id.proto"});
  Put("common", "v2.1.0", {"shared/id.proto"});
  Put("common", "v2.0.0", {"shared/id.proto"});
  ImportResolution r = Build()->Resolve("shared/id.proto");
  EXPECT_EQ(r.outcome, ImportResolution::Outcome::kAmbiguous);
  EXPECT_EQ(r.candidates, (std::vector<std::string>{"common@v2.1.0", "types@v1.0.0"}));
}

TEST_F(ImportIndexTest, StaysCurrentThroughThePublishListenerAndIgnoresRepeats) {
  auto index = Build();
  EXPECT_EQ(index->version_count(), 0u);
  ImportIndex* raw = index.get();
  store_->SetPublishListener([raw](const VersionInfo& v) { raw->Add(v.manifest); });
  Put("common", "v1.0.0", {"common/types.proto"});
  EXPECT_EQ(index->Resolve("common/types.proto").pin.version, "v1.0.0");
  // The same content again publishes nothing new.
  Put("common", "v1.0.0", {"common/types.proto"});
  EXPECT_EQ(index->version_count(), 1u);
  auto version = store_->GetVersion("common", "v1.0.0");
  ASSERT_TRUE(version.ok());
  index->Add(version->manifest);
  EXPECT_EQ(index->version_count(), 1u);
  EXPECT_EQ(index->Providers("common/types.proto")[0].versions, std::vector<std::string>{"v1.0.0"});

  // Versions arriving in a pack (a registry receiving a push) are reported too.
  TempDir other_dir;
  auto other = Store::Open(other_dir.Sub("store"), true);
  ASSERT_TRUE(other.ok());
  auto put = (*other)->PutVersion(MakeRequest("order", "v1.0.0", Files({"order/order.proto"})));
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  auto pack = (*other)->BuildPack({put->version.tag_id}, {}, nullptr);
  ASSERT_TRUE(pack.ok()) << pack.status().ToString();
  auto module = (*other)->GetModule("order");
  ASSERT_TRUE(module.ok());
  auto applied = store_->ApplyPack(*pack,
                                   {{VersionTagRef("order", "v1.0.0"), "", put->version.tag_id},
                                    {ModuleBranchRef("order"), "", module->branch_tip}},
                                   RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(index->Resolve("order/order.proto").pin.module, "order");
  EXPECT_EQ(index->version_count(), 2u);
}

TEST_F(ImportIndexTest, AVersionThatCannotBeReadIsLeftOutAndReported) {
  Put("common", "v1.0.0", {"common/types.proto"});
  auto commit = store_->GetVersion("common", "v1.0.0");
  ASSERT_TRUE(commit.ok());
  // A lightweight tag where an annotated version tag belongs.
  ASSERT_EQ(testing::Git(store_->path(), "update-ref refs/tags/broken/v1.0.0 " + commit->commit_id)
                .exit_code,
            0);
  std::vector<Status> unreadable;
  auto index = ImportIndex::Build(*store_, &unreadable);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ((*index)->version_count(), 1u);
  ASSERT_EQ(unreadable.size(), 1u);
  EXPECT_NE(unreadable[0].message().find("broken@v1.0.0"), std::string::npos)
      << unreadable[0].ToString();
  EXPECT_EQ((*index)->Resolve("common/types.proto").pin.version, "v1.0.0");
}

}  // namespace
}  // namespace spoke
