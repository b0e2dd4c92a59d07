// Packs that lie, sent raw to /sync/v1/push: damaged bytes, refs to objects that are not there,
// manifests that misstate their files, tags under the wrong ref, refs outside Spoke's namespaces,
// deletes. Each must be answered 4xx with a JSON error, change no ref, and leave the store clean
// for stock git.
#include <gtest/gtest.h>

#include "harness.h"
#include "pack_forge.h"

namespace spoke::e2e {
namespace {

NewVersion Version(const std::string& module, const std::string& version) {
  return {module, version, "", MakeProtoFiles(module, 3, 400, 11), {}};
}

// A 422 "corruption" answer whose message says why.
void ExpectCorruption(const httplib::Result& result, const std::string& because) {
  std::string message;
  EXPECT_EQ(ExpectJsonError(result, 422, &message), "corruption");
  EXPECT_NE(message.find(because), std::string::npos) << message;
}

class LyingPack : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    // A store that already holds something, so "nothing changed" is not trivially true.
    seed_ = BuildVersionPack(work_.Sub("seed-scratch"), Version("seed", "v1.0.0"));
    auto pushed = PostPush(*http_, seed_.updates, seed_.pack);
    ASSERT_TRUE(pushed);
    ASSERT_EQ(pushed->status, 200) << pushed->body;
    refs_before_ = RefsOf(work_.Sub("storage"));
  }

  void TearDown() override {
    if (!server_) return;
    EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before_)
        << "a lying push changed the store's refs";
    GitFsck(work_.Sub("storage"));
  }

  // An honest version of a module the registry does not have yet.
  PushPayload Honest(const std::string& module) {
    return BuildVersionPack(work_.Sub("scratch-" + module), Version(module, "v1.0.0"));
  }

  PushPayload Forged(const std::string& module, ManifestLie lie) {
    return ForgeVersionPack(work_.Sub("scratch-" + module), Version(module, "v1.0.0"), lie);
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  PushPayload seed_;  // seed@v1.0.0, whose objects are also in the scratch store "seed-scratch"
  std::string refs_before_;
};

TEST_F(LyingPack, AnHonestPackSentRawIsAccepted) {
  PushPayload honest = Honest("honest");
  auto pushed = PostPush(*http_, honest.updates, honest.pack);
  ASSERT_TRUE(pushed);
  EXPECT_EQ(pushed->status, 200) << pushed->body;
  EXPECT_NE(RefsOf(work_.Sub("storage")).find("refs/tags/honest/v1.0.0 " + honest.tag_id),
            std::string::npos);
  refs_before_ = RefsOf(work_.Sub("storage"));  // the one push here that is meant to change refs
}

TEST_F(LyingPack, TruncatedPackIsRejected) {
  PushPayload payload = Honest("truncated");
  for (size_t keep : {size_t{0} + 11, payload.pack.size() / 2, payload.pack.size() - 1}) {
    SCOPED_TRACE("pack cut to " + std::to_string(keep) + " of " +
                 std::to_string(payload.pack.size()) + " bytes");
    ExpectCorruption(PostPush(*http_, payload.updates, payload.pack.substr(0, keep)),
                     "malformed pack");
  }
}

TEST_F(LyingPack, PackWithACorruptedByteIsRejected) {
  PushPayload payload = Honest("flipped");
  ASSERT_GT(payload.pack.size(), 64u);
  for (size_t at : {size_t{4}, size_t{20}, payload.pack.size() / 2, payload.pack.size() - 30,
                    payload.pack.size() - 1}) {
    SCOPED_TRACE("byte " + std::to_string(at) + " flipped");
    std::string pack = payload.pack;
    pack[at] = static_cast<char>(pack[at] ^ 0x40);
    ExpectClientError(PostPush(*http_, payload.updates, pack));
  }
}

TEST_F(LyingPack, RefPointingAtAnObjectNotInThePackIsRejected) {
  PushPayload payload = Honest("absent");
  std::vector<RefUpdate> updates = payload.updates;
  updates[0].new_target = "0123456789abcdef0123456789abcdef01234567";
  ExpectCorruption(PostPush(*http_, updates, payload.pack), "neither in the pack nor in the store");
  // The objects exist, but they were never sent.
  ExpectCorruption(PostPush(*http_, payload.updates, ""), "neither in the pack nor in the store");
}

TEST_F(LyingPack, TagWhoseManifestDigestDoesNotMatchItsFilesIsRejected) {
  PushPayload payload = Forged("baddigest", ManifestLie::kWrongDigest);
  ASSERT_FALSE(payload.pack.empty());
  ExpectCorruption(PostPush(*http_, payload.updates, payload.pack),
                   "digest does not match the file list");
}

TEST_F(LyingPack, TagWhoseManifestMisstatesAFileHashIsRejected) {
  PushPayload payload = Forged("badhash", ManifestLie::kWrongFileHash);
  ASSERT_FALSE(payload.pack.empty());
  ExpectCorruption(PostPush(*http_, payload.updates, payload.pack), "does not match its manifest");
}

TEST_F(LyingPack, TagWithAFileItsManifestDoesNotListIsRejected) {
  PushPayload payload = Forged("smuggler", ManifestLie::kUnlistedFile);
  ASSERT_FALSE(payload.pack.empty());
  ExpectCorruption(PostPush(*http_, payload.updates, payload.pack), "but its manifest lists");
}

TEST_F(LyingPack, TagWhoseNameIsForAnotherVersionIsRejected) {
  PushPayload payload = Forged("misnamed", ManifestLie::kTagNamedForAnotherVersion);
  ASSERT_FALSE(payload.pack.empty());
  ExpectCorruption(PostPush(*http_, payload.updates, payload.pack),
                   "holds a manifest for misnamed/v1.0.0");
  // The same tag under the ref its name claims: now the manifest disagrees.
  std::vector<RefUpdate> updates = payload.updates;
  updates[0].name = "refs/tags/misnamed/v9.9.9";
  ExpectCorruption(PostPush(*http_, updates, payload.pack), "holds a manifest for misnamed/v1.0.0");
}

TEST_F(LyingPack, HonestTagUnderAnotherVersionsRefIsRejected) {
  PushPayload payload = Honest("moved");
  std::vector<RefUpdate> updates = payload.updates;
  updates[0].name = "refs/tags/moved/v2.0.0";
  ExpectCorruption(PostPush(*http_, updates, payload.pack), "points at the tag of moved@v1.0.0");
  updates[0].name = "refs/tags/other/v1.0.0";
  ExpectCorruption(PostPush(*http_, updates, payload.pack), "points at the tag of moved@v1.0.0");
}

TEST_F(LyingPack, VersionRefMustPointAtATagAndBranchAtACommit) {
  PushPayload payload = Honest("shapes");
  std::vector<RefUpdate> tag_at_commit = payload.updates;
  tag_at_commit[0].new_target = payload.commit_id;
  ExpectCorruption(PostPush(*http_, tag_at_commit, payload.pack), "must point at an annotated tag");
  std::vector<RefUpdate> branch_at_tag = payload.updates;
  branch_at_tag[1].new_target = payload.tag_id;
  ExpectCorruption(PostPush(*http_, branch_at_tag, payload.pack), "must point at a commit");
}

TEST_F(LyingPack, RefsOutsideTheSpokeNamespacesAreRejected) {
  PushPayload payload = Honest("outside");
  for (std::string name :
       {"refs/heads/main", "refs/heads/outside/_history/x", "refs/tags/v1.0.0",
        "refs/notes/commits", "refs/spoke/x", "HEAD", "refs/heads/Outside/_history",
        "refs/tags/outside/../seed/v1.0.0", "refs/heads/outside/_history.lock"}) {
    SCOPED_TRACE("ref " + name);
    std::vector<RefUpdate> updates = {payload.updates[0], {name, "", payload.commit_id}};
    ExpectClientError(PostPush(*http_, updates, payload.pack));
  }
}

TEST_F(LyingPack, AVersionTagWithoutItsBranchMoveIsRejected) {
  // Every version commit lies on its module's branch (docs/storage.md); a tag alone would publish
  // a version that the module's history, `spoke log` and fetch negotiation never see.
  PushPayload payload = Honest("tagonly");
  ExpectClientError(PostPush(*http_, {payload.updates[0]}, payload.pack));
}

TEST_F(LyingPack, ABranchMoveToACommitThatIsNotAVersionIsRejected) {
  PushPayload payload = ForgeBranchCommit(work_.Sub("seed-scratch"), "seed", seed_.commit_id,
                                          {{"README.txt", "not a module version\n"}});
  ASSERT_FALSE(payload.pack.empty());
  ExpectClientError(PostPush(*http_, payload.updates, payload.pack));
}

TEST_F(LyingPack, DeletesAreRejected) {
  auto refs = RefsOf(work_.Sub("storage"));
  size_t space = refs.find(' ', refs.find("refs/tags/seed/v1.0.0"));
  std::string seed_tag = refs.substr(space + 1, 40);
  for (std::string new_target : {std::string(""), std::string(40, '0')}) {
    SCOPED_TRACE("new \"" + new_target + "\"");
    ExpectClientError(PostPush(*http_, {{"refs/tags/seed/v1.0.0", seed_tag, new_target}}, ""));
    ExpectClientError(PostPush(*http_, {{"refs/heads/seed/_history", "", new_target}}, ""));
  }
}

TEST_F(LyingPack, TheSameRefTwiceIsRejected) {
  PushPayload payload = Honest("twice");
  std::vector<RefUpdate> updates = {payload.updates[0], payload.updates[0], payload.updates[1]};
  ExpectClientError(PostPush(*http_, updates, payload.pack));
}

}  // namespace
}  // namespace spoke::e2e
