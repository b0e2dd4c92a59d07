// A registry compiles its own artifacts and never takes generated code on a client's word: a push
// naming any ref under refs/artifacts/ is refused with 403 permission_denied, whether the artifact
// is new, replaces one the registry compiled, repeats it exactly, or rides along with an honest
// version; nothing of such a push lands.
#include <gtest/gtest.h>

#include "generated_code_fixture.h"
#include "harness.h"
#include "pack_forge.h"
#include "spoke/artifact_cache.h"
#include "spoke/store.h"

namespace spoke::e2e {
namespace {

// A snapshot commit shaped like an artifact for `key` (record and out/ files, as the artifact
// cache writes them), holding code no generator wrote.
std::string WriteFakeArtifact(Store& store, const std::string& key) {
  Json record = Json::MakeObject();
  record.Set("format", 1);
  record.Set("key", key);
  record.Set("language", "cpp");
  record.Set("generator", "libprotoc 3.21.12");
  record.Set("parameter", "");
  Json files = Json::MakeArray();
  files.Push("shop/order.pb.h");
  record.Set("files", std::move(files));
  auto commit = store.WriteSnapshot({{"artifact.json", record.Dump(2) + "\n"},
                                     {"out/shop/order.pb.h", "#error \"planted by a client\"\n"}},
                                    "artifact " + key + " (cpp)\n");
  if (!commit.ok()) {
    ADD_FAILURE() << "cannot write the fake artifact: " << commit.status().ToString();
    return "";
  }
  return *commit;
}

std::unique_ptr<Store> OpenScratch(const std::string& dir) {
  auto store = Store::Open(dir, /*create=*/true);
  if (!store.ok()) {
    ADD_FAILURE() << "cannot open " << dir << ": " << store.status().ToString();
    return nullptr;
  }
  return std::move(*store);
}

std::string PackOf(const Store& store, const std::vector<std::string>& wants) {
  auto pack = store.BuildPack(wants, {}, nullptr);
  if (!pack.ok()) {
    ADD_FAILURE() << "cannot pack: " << pack.status().ToString();
    return "";
  }
  return *pack;
}

class ArtifactPush : public RegistryWithModules {
 protected:
  void SetUp() override {
    RegistryWithModules::SetUp();
    if (HasFatalFailure()) return;
    CompileAnswer compiled = PostCompile(*http_, "shop", "v1.0.0", "cpp");
    ASSERT_EQ(compiled.status, 201) << compiled.raw;
    key_ = compiled.body.GetString("key");
    commit_ = compiled.body.GetString("commit");
    zip_ = DownloadZip();
    refs_before_ = RefsOf(Storage());
  }

  void TearDown() override {
    if (!server_) return;
    EXPECT_EQ(RefsOf(Storage()), refs_before_) << "a refused push changed the store's refs";
    GitFsck(Storage());
    // The registry still serves the artifact it compiled, unchanged.
    CompileAnswer again = PostCompile(*http_, "shop", "v1.0.0", "cpp");
    EXPECT_EQ(again.status, 200) << again.raw;
    EXPECT_EQ(again.body.GetString("commit"), commit_);
    EXPECT_EQ(DownloadZip(), zip_);
  }

  std::string DownloadZip() {
    auto got = http_->Get("/modules/shop/versions/v1.0.0/download/cpp");
    if (!got || got->status != 200) {
      ADD_FAILURE() << "cannot download the cpp artifact";
      return "";
    }
    return got->body;
  }

  // Expects the 403 every artifact push gets.
  void ExpectRefused(const std::vector<RefUpdate>& updates, const std::string& pack) {
    std::string message;
    EXPECT_EQ(ExpectJsonError(PostPush(*http_, updates, pack), 403, &message), "permission_denied");
    EXPECT_NE(message.find("artifacts cannot be pushed"), std::string::npos) << message;
  }

  std::string key_, commit_, zip_, refs_before_;
};

TEST_F(ArtifactPush, ANewArtifactRefIsRefusedWith403) {
  auto scratch = OpenScratch(work_.Sub("scratch"));
  ASSERT_TRUE(scratch);
  const std::string key(64, 'a');
  std::string commit = WriteFakeArtifact(*scratch, key);
  ASSERT_FALSE(commit.empty());
  ExpectRefused({{ArtifactRef(key), "", commit}}, PackOf(*scratch, {commit}));
  EXPECT_NE(RunGit({"-C", Storage(), "cat-file", "-e", commit}).exit_code, 0)
      << "the refused artifact's commit entered the store";
}

TEST_F(ArtifactPush, ReplacingAnArtifactTheRegistryCompiledIsRefusedWith403) {
  auto scratch = OpenScratch(work_.Sub("scratch"));
  ASSERT_TRUE(scratch);
  std::string commit = WriteFakeArtifact(*scratch, key_);
  ASSERT_FALSE(commit.empty());
  std::string pack = PackOf(*scratch, {commit});
  // Whether the client claims to know the registry's value or not.
  for (const std::string& old : {std::string(), commit_}) {
    SCOPED_TRACE("old value \"" + old + "\"");
    ExpectRefused({{ArtifactRef(key_), old, commit}}, pack);
  }
}

TEST_F(ArtifactPush, EvenTheRegistrysOwnArtifactUnderItsOwnRefIsRefused) {
  // The objects are all on the registry already, so the pack may be empty.
  ExpectRefused({{ArtifactRef(key_), "", commit_}}, "");
  ExpectRefused({{ArtifactRef(key_), commit_, commit_}}, "");
}

TEST_F(ArtifactPush, AnArtifactRefRidingAlongAnHonestVersionSinksTheWholePush) {
  NewVersion version{"rider", "v1.0.0", "", MakeProtoFiles("rider", 2, 300, 7), {}};
  PushPayload honest = BuildVersionPack(work_.Sub("scratch"), version);
  ASSERT_FALSE(honest.pack.empty());
  auto scratch = OpenScratch(work_.Sub("scratch"));
  ASSERT_TRUE(scratch);
  const std::string key(64, 'b');
  std::string commit = WriteFakeArtifact(*scratch, key);
  ASSERT_FALSE(commit.empty());
  std::vector<RefUpdate> updates = honest.updates;
  updates.push_back({ArtifactRef(key), "", commit});
  ExpectRefused(updates, PackOf(*scratch, {honest.tag_id, commit}));
  EXPECT_EQ(ExpectJsonError(http_->Get("/modules/rider/versions/v1.0.0"), 404), "not_found");

  // The same version without the artifact ref is accepted: the refusal was for the artifact.
  auto pushed = PostPush(*http_, honest.updates, honest.pack);
  ASSERT_TRUE(pushed);
  EXPECT_EQ(pushed->status, 200) << pushed->body;
  std::string refs_after = RefsOf(Storage());
  EXPECT_NE(refs_after.find("refs/tags/rider/v1.0.0 " + honest.tag_id), std::string::npos)
      << refs_after;
  EXPECT_EQ(refs_after.find(ArtifactRef(key)), std::string::npos) << refs_after;
  refs_before_ = refs_after;  // the one push here that is meant to change refs
}

}  // namespace
}  // namespace spoke::e2e
