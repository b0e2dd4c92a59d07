// Versions are immutable: pushing the same content again is a no-op, pushing different content
// under an existing version fails and changes nothing, through the CLI and through the REST API.
#include <gtest/gtest.h>

#include "e2e_util.h"
#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

class Immutability : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    user_ = std::make_unique<CliUser>(work_.Sub("home"), server_->url());
    WriteFiles(work_.Sub("original"), original_);
    WriteFiles(work_.Sub("changed"), changed_);
    CommandResult push = Push("original");
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
  }

  CommandResult Push(const std::string& dir) const {
    return user_->Run({"push", "-module", "billing", "-version", "v1.0.0", "-dir", work_.Sub(dir)});
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<CliUser> user_;
  FileSet original_ = MakeProtoFiles("billing", 3, 200, 7);
  FileSet changed_ = MakeProtoFiles("billing", 3, 200, 8);
};

TEST_F(Immutability, RepushingTheSameContentIsANoOp) {
  std::string before = RefsOf(work_.Sub("storage"));
  CommandResult again = Push("original");
  EXPECT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_NE(again.out.find("nothing to do"), std::string::npos) << again.Describe();
  EXPECT_EQ(RefsOf(work_.Sub("storage")), before);
  // Also from a user whose local store has never seen the version.
  CliUser stranger(work_.Sub("stranger-home"), server_->url());
  CommandResult fresh = stranger.Run(
      {"push", "-module", "billing", "-version", "v1.0.0", "-dir", work_.Sub("original")});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.Describe();
  EXPECT_NE(fresh.out.find("nothing to do"), std::string::npos) << fresh.Describe();
  EXPECT_EQ(RefsOf(work_.Sub("storage")), before);
  GitFsck(work_.Sub("storage"));
}

TEST_F(Immutability, PushingDifferentContentUnderAnExistingVersionFailsAndChangesNothing) {
  std::string before = RefsOf(work_.Sub("storage"));
  CommandResult push = Push("changed");
  EXPECT_EQ(push.exit_code, 1) << push.Describe();
  EXPECT_NE(push.err.find("already exists"), std::string::npos) << push.Describe();
  EXPECT_NE(push.err.find("different content"), std::string::npos) << push.Describe();
  EXPECT_EQ(RefsOf(work_.Sub("storage")), before);
  GitFsck(work_.Sub("storage"));

  CliUser reader(work_.Sub("reader-home"), server_->url());
  CommandResult pull =
      reader.Run({"pull", "-module", "billing", "-version", "v1.0.0", "-dir", work_.Sub("out")});
  ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
  EXPECT_EQ(ReadFiles(work_.Sub("out")), original_);
}

Json VersionUpload(const std::string& version, const FileSet& files) {
  Json body = UploadBody(version, files);
  body.Set("description", "uploaded over REST");
  return body;
}

TEST_F(Immutability, RestUploadAnswers201ThenSameContent200AndDifferentContent409) {
  auto http = HttpClient(server_->port());
  auto created = http->Post("/modules/billing/versions", VersionUpload("v2.0.0", original_).Dump(),
                            "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;

  std::string before = RefsOf(work_.Sub("storage"));
  auto same = http->Post("/modules/billing/versions", VersionUpload("v2.0.0", original_).Dump(),
                         "application/json");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 200) << same->body;
  auto same_json = Json::Parse(same->body);
  ASSERT_TRUE(same_json.ok()) << same->body;
  EXPECT_FALSE(same_json->Get("created_now") && same_json->Get("created_now")->as_bool())
      << same->body;

  auto different = http->Post("/modules/billing/versions", VersionUpload("v2.0.0", changed_).Dump(),
                              "application/json");
  EXPECT_EQ(ExpectJsonError(different, 409), "already_exists");
  // The CLI-pushed version is just as immutable over REST.
  auto over_cli_version = http->Post("/modules/billing/versions",
                                     VersionUpload("v1.0.0", changed_).Dump(), "application/json");
  EXPECT_EQ(ExpectJsonError(over_cli_version, 409), "already_exists");
  EXPECT_EQ(RefsOf(work_.Sub("storage")), before);
  GitFsck(work_.Sub("storage"));
}

}  // namespace
}  // namespace spoke::e2e
