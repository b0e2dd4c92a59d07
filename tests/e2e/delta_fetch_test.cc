// Fetching a new version of a large module into a store that has the previous one moves about the
// size of the change, not the module: measured on the wire protocol directly and through the CLI.
#include <gtest/gtest.h>

#include <cstdlib>

#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

constexpr int kFiles = 200;
constexpr size_t kFileSize = 2048;
// The delta pack must be below this fraction of the full pack of the new version. Not 5%: packs
// are never thin, so the new manifest travels whole even though the old one differs from it in
// one line, and a manifest lists every file's sha256 (here about 30 KB, 9 KB compressed: by itself
// about 5% of this module's full pack).
constexpr double kMaxDeltaFraction = 0.10;
// What one changed file in a subdirectory adds: the tag, the commit, the root tree, the
// subdirectory's tree, the file's blob and the manifest's blob.
constexpr int kObjectsOfAOneFileChange = 6;

class DeltaFetch : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    publisher_ = std::make_unique<CliUser>(work_.Sub("publisher-home"), server_->url());
    v1_ = MakeProtoFiles("big", kFiles, kFileSize, 42);
    v2_ = v1_;
    v2_["group3/file_3.proto"] += "\nmessage Added {\n  string note = 1;\n}\n";
    ASSERT_EQ(v1_.size(), v2_.size());
    WriteFiles(work_.Sub("v1"), v1_);
    WriteFiles(work_.Sub("v2"), v2_);
    Push("v1.0.0", "v1");
  }

  void Push(const std::string& version, const std::string& dir) {
    CommandResult push =
        publisher_->Run({"push", "-module", "big", "-version", version, "-dir", work_.Sub(dir)});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
  }

  // The target of `ref` on the registry (for a version tag: the tag object; `peeled` its commit).
  std::string RemoteRef(const std::string& ref, bool peeled = false) {
    auto res = http_->Get(("/sync/v1/refs?prefix=" + ref).c_str());
    EXPECT_TRUE(res && res->status == 200);
    if (!res) return "";
    auto json = Json::Parse(res->body);
    EXPECT_TRUE(json.ok()) << res->body;
    if (!json.ok() || !json->Get("refs")) return "";
    for (const Json& entry : json->Get("refs")->as_array()) {
      if (entry.GetString("name") == ref) return entry.GetString(peeled ? "peeled" : "target");
    }
    ADD_FAILURE() << "no ref " << ref << " on the registry";
    return "";
  }

  // POSTs /sync/v1/fetch; the size of the pack, and its object count in `objects` when not null.
  size_t FetchPackBytes(const std::vector<std::string>& wants,
                        const std::vector<std::string>& haves, int* objects = nullptr) {
    Json wants_json = Json::MakeArray(), haves_json = Json::MakeArray();
    for (const auto& w : wants) wants_json.Push(w);
    for (const auto& h : haves) haves_json.Push(h);
    Json request = Json::MakeObject();
    request.Set("wants", std::move(wants_json));
    request.Set("haves", std::move(haves_json));
    auto res = http_->Post("/sync/v1/fetch", request.Dump(), "application/json");
    EXPECT_TRUE(res && res->status == 200) << (res ? res->body : httplib::to_string(res.error()));
    if (!res) return 0;
    EXPECT_EQ(res->body.compare(0, 4, "PACK"), 0) << "not a git pack";
    if (objects) *objects = std::atoi(res->get_header_value("X-Spoke-Objects").c_str());
    return res->body.size();
  }

  // `spoke fetch --module big --json` in `home`; the pack bytes it reports.
  int64_t CliFetchPackBytes(const std::string& home) {
    CliUser user(home, server_->url());
    CommandResult fetch = user.Run({"fetch", "--module", "big", "--json"});
    EXPECT_EQ(fetch.exit_code, 0) << fetch.Describe();
    auto json = Json::Parse(fetch.out);
    EXPECT_TRUE(json.ok() && json->Get("pack_bytes")) << fetch.Describe();
    if (!json.ok() || !json->Get("pack_bytes")) return -1;
    EXPECT_NE(fetch.out.find("refs/tags/big/v2.0.0"), std::string::npos) << fetch.Describe();
    return json->Get("pack_bytes")->as_int();
  }

  // After the fetch, v2 is in `home`: pulling it needs no registry and gives v2's files.
  void ExpectV2PullsOffline(const std::string& home) {
    server_->Kill();
    CliUser user(home, server_->url());
    std::string out = home + "-v2";
    CommandResult pull = user.Run({"pull", "-module", "big", "-version", "v2.0.0", "-dir", out});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    EXPECT_EQ(ReadFiles(out), v2_);
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  std::unique_ptr<CliUser> publisher_;
  FileSet v1_, v2_;
};

TEST_F(DeltaFetch, RawFetchWithTheOldTipAsHaveIsASmallFractionOfTheFullPack) {
  std::string v1_commit = RemoteRef("refs/heads/big/_history");
  Push("v2.0.0", "v2");
  std::string v2_tag = RemoteRef("refs/tags/big/v2.0.0");
  size_t full = FetchPackBytes({v2_tag}, {});
  int objects = 0;
  size_t delta = FetchPackBytes({v2_tag}, {v1_commit}, &objects);
  EXPECT_EQ(objects, kObjectsOfAOneFileChange);
  // The full pack really holds the module (the content does not compress to nothing).
  EXPECT_GT(full, kFiles * kFileSize / 4);
  EXPECT_LT(static_cast<double>(delta), kMaxDeltaFraction * static_cast<double>(full))
      << "delta " << delta << " bytes, full " << full << " bytes";
}

TEST_F(DeltaFetch, FetchIntoACloneOfTheModuleTransfersOnlyTheChange) {
  std::string home = work_.Sub("clone");
  CommandResult clone = RunCli({"clone", server_->url(), home, "--module", "big"});
  ASSERT_EQ(clone.exit_code, 0) << clone.Describe();
  Push("v2.0.0", "v2");
  size_t full = FetchPackBytes({RemoteRef("refs/tags/big/v2.0.0")}, {});
  int64_t delta = CliFetchPackBytes(home);
  EXPECT_GT(delta, 0);
  EXPECT_LT(static_cast<double>(delta), kMaxDeltaFraction * static_cast<double>(full))
      << "delta " << delta << " bytes, full " << full << " bytes";
  ExpectV2PullsOffline(home);
}

TEST_F(DeltaFetch, FetchIntoAStoreThatPulledTheOldVersionTransfersOnlyTheChange) {
  std::string home = work_.Sub("pull");
  CliUser reader(home, server_->url());
  CommandResult pull =
      reader.Run({"pull", "-module", "big", "-version", "v1.0.0", "-dir", work_.Sub("out-v1")});
  ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
  Push("v2.0.0", "v2");
  size_t full = FetchPackBytes({RemoteRef("refs/tags/big/v2.0.0")}, {});
  int64_t delta = CliFetchPackBytes(home);
  EXPECT_GT(delta, 0);
  EXPECT_LT(static_cast<double>(delta), kMaxDeltaFraction * static_cast<double>(full))
      << "delta " << delta << " bytes, full " << full << " bytes";
  ExpectV2PullsOffline(home);
}

}  // namespace
}  // namespace spoke::e2e
