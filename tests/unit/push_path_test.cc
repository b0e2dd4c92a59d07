// The push path without back and forth: what a registry's version check is given comes from the
// one pass that verifies a pushed tag (its files read and hashed once), and PushVersion takes the
// pins it is given rather than resolving them again.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "spoke/remote.h"
#include "spoke/store.h"
#include "spoke/sync.h"
#include "test_support.h"

namespace spoke {
namespace {

using testing::MakeRequest;
using testing::TempDir;

// A registry store whose version check records what it was given.
class PushPath : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = Store::Open(dir_.Sub("client"), true);
    auto registry = Store::Open(dir_.Sub("registry"), true);
    ASSERT_TRUE(client.ok() && registry.ok());
    client_ = std::move(*client);
    registry_ = std::move(*registry);
    registry_->SetVersionCheck([this](const Manifest& manifest, const FileSet& files) {
      checked_.push_back({manifest.version, files});
      return Status::Ok();
    });
  }

  // Publishes `files` as user@`version` in the client store, then pushes it to the registry as
  // `spoke push` would: a pack of what the registry's branch tip does not reach, with the refs.
  void PublishAndPush(const std::string& version, const FileSet& files) {
    ASSERT_TRUE(client_->PutVersion(MakeRequest("user", version, files)).ok());
    const std::string tag = VersionTagRef("user", version), branch = ModuleBranchRef("user");
    std::string tag_id = *client_->ResolveRef(tag), tip = *client_->ResolveRef(branch);
    std::string registry_tip = *registry_->ResolveRef(branch);
    std::vector<std::string> haves;
    if (!registry_tip.empty()) haves.push_back(registry_tip);
    auto pack = client_->BuildPack({tag_id}, haves, nullptr);
    ASSERT_TRUE(pack.ok()) << pack.status().ToString();
    auto applied = registry_->ApplyPack(*pack, {{tag, "", tag_id}, {branch, registry_tip, tip}},
                                        RefPolicy::kStrict);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  }

  struct Checked {
    std::string version;
    FileSet files;
  };
  TempDir dir_;
  std::unique_ptr<Store> client_, registry_;
  std::vector<Checked> checked_;
};

TEST_F(PushPath, TheVersionCheckGetsEveryFileOfTheNewVersionOnce) {
  // Two paths with the same bytes are one blob: both must reach the check.
  const FileSet v1 = {{"a.proto", "syntax = \"proto3\";\nmessage A {}\n"},
                      {"copy/a.proto", "syntax = \"proto3\";\nmessage A {}\n"},
                      {"b.proto", "syntax = \"proto3\";\nmessage B {}\n"}};
  PublishAndPush("v1.0.0", v1);
  ASSERT_EQ(checked_.size(), 1u);
  EXPECT_EQ(checked_[0].version, "v1.0.0");
  EXPECT_EQ(checked_[0].files, v1);
}

TEST_F(PushPath, TheVersionCheckGetsFilesTheRegistryHadAlreadyToo) {
  const FileSet v1 = {{"a.proto", "syntax = \"proto3\";\nmessage A {}\n"},
                      {"b.proto", "syntax = \"proto3\";\nmessage B {}\n"}};
  FileSet v2 = v1;
  v2["b.proto"] = "syntax = \"proto3\";\nmessage B { string name = 1; }\n";
  PublishAndPush("v1.0.0", v1);
  // v2's pack holds only what changed: a.proto's blob is read from the registry's own store.
  PublishAndPush("v1.1.0", v2);
  ASSERT_EQ(checked_.size(), 2u);
  EXPECT_EQ(checked_[1].version, "v1.1.0");
  EXPECT_EQ(checked_[1].files, v2);
}

TEST_F(PushPath, PushVersionRefusesDependenciesThatAreNotPinned) {
  // Nothing listens there: a push that went to the network would fail as unreachable instead.
  auto remote =
      RemoteClient::Create({"http://127.0.0.1:9", "", 1, 1, {}, kDefaultMaxPackBytes, ""});
  ASSERT_TRUE(remote.ok());
  NewVersion request = MakeRequest("app", "v1.0.0", {{"app.proto", "syntax = \"proto3\";\n"}});
  request.dependencies.push_back({"common", "latest", "", "", ""});
  auto pushed = PushVersion(*client_, **remote, request);
  EXPECT_EQ(pushed.status().code(), Status::Code::kInvalidArgument) << pushed.status().ToString();
  EXPECT_NE(pushed.status().message().find("not pinned"), std::string::npos);
}

}  // namespace
}  // namespace spoke
