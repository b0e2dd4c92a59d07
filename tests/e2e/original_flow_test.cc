// The original Spoke walkthrough, verbatim: start a server on a storage dir, push two versions of
// "user" from ./v1 and ./v2, pull both back, read the log, and check that the storage dir is a git
// repository stock git accepts and can mirror.
#include <gtest/gtest.h>

#include "harness.h"

namespace spoke::e2e {
namespace {

const FileSet kUserV1 = {
    {"user.proto",
     "syntax = \"proto3\";\npackage user;\n\nimport \"types/id.proto\";\n\n"
     "message User {\n  types.Id id = 1;\n  string name = 2;\n}\n"},
    {"types/id.proto",
     "syntax = \"proto3\";\npackage types;\n\nmessage Id {\n  string value = 1;\n}\n"},
    {"api/v1/service.proto",
     "syntax = \"proto3\";\npackage user.api.v1;\n\nimport \"user.proto\";\n\n"
     "service Users {\n  rpc Get(GetRequest) returns (user.User);\n}\n"
     "message GetRequest {\n  string id = 1;\n}\n"},
};

FileSet UserV2() {
  FileSet files = kUserV1;
  files["user.proto"] += "\nmessage Address {\n  string street = 1;\n}\n";
  files["types/time.proto"] =
      "syntax = \"proto3\";\npackage types;\n\nmessage Time {\n  int64 unix = 1;\n}\n";
  return files;
}

TEST(OriginalFlow, PushPullLogAndStockGitAllWorkOnOneStore) {
  TempDir work;
  auto server = ServerProcess::Start({work.Sub("storage"), {}, {}});
  ASSERT_TRUE(server);
  WriteFiles(work.Sub("v1"), kUserV1);
  WriteFiles(work.Sub("v2"), UserV2());
  CliUser user(work.Sub("home"), server->url());

  // As in the original README: relative -dir, single-dash flags.
  CommandResult push1 =
      user.Run({"push", "-module", "user", "-version", "v1.0.0", "-dir", "./v1"}, work.path());
  ASSERT_EQ(push1.exit_code, 0) << push1.Describe();
  CommandResult push2 = user.Run({"push", "-module", "user", "-version", "v1.1.0", "-dir", "./v2",
                                  "-description", "Add Address and Time"},
                                 work.path());
  ASSERT_EQ(push2.exit_code, 0) << push2.Describe();

  // A second user with an empty local store pulls both.
  CliUser reader(work.Sub("reader-home"), server->url());
  CommandResult pull1 =
      reader.Run({"pull", "-module", "user", "-version", "v1.0.0", "-dir", work.Sub("out1")});
  ASSERT_EQ(pull1.exit_code, 0) << pull1.Describe();
  CommandResult pull2 =
      reader.Run({"pull", "--module", "user", "--version", "v1.1.0", "--dir", work.Sub("out2")});
  ASSERT_EQ(pull2.exit_code, 0) << pull2.Describe();
  EXPECT_EQ(ReadFiles(work.Sub("out1")), kUserV1);
  EXPECT_EQ(ReadFiles(work.Sub("out2")), UserV2());

  CommandResult log = reader.Run({"log", "-module", "user"});
  ASSERT_EQ(log.exit_code, 0) << log.Describe();
  size_t newer = log.out.find("version v1.1.0"), older = log.out.find("version v1.0.0");
  ASSERT_NE(newer, std::string::npos) << log.out;
  ASSERT_NE(older, std::string::npos) << log.out;
  EXPECT_LT(newer, older) << "the log lists the newest version first\n" << log.out;
  EXPECT_NE(log.out.find("Add Address and Time"), std::string::npos) << log.out;

  GitFsck(work.Sub("storage"));
  CommandResult mirror = RunGit({"clone", "--mirror", work.Sub("storage"), work.Sub("mirror.git")});
  ASSERT_EQ(mirror.exit_code, 0) << mirror.Describe();
  CommandResult refs = RunGit({"-C", work.Sub("mirror.git"), "show-ref"});
  ASSERT_EQ(refs.exit_code, 0) << refs.Describe();
  EXPECT_NE(refs.out.find(" refs/tags/user/v1.0.0\n"), std::string::npos) << refs.out;
  EXPECT_NE(refs.out.find(" refs/tags/user/v1.1.0\n"), std::string::npos) << refs.out;
  EXPECT_NE(refs.out.find(" refs/heads/user/_history\n"), std::string::npos) << refs.out;
  GitFsck(work.Sub("mirror.git"));
  // Stock git reads the version's files straight out of the mirror.
  CommandResult show =
      RunGit({"-C", work.Sub("mirror.git"), "show", "user/v1.1.0:types/time.proto"});
  ASSERT_EQ(show.exit_code, 0) << show.Describe();
  EXPECT_EQ(show.out, UserV2().at("types/time.proto"));

  server->Stop();
}

}  // namespace
}  // namespace spoke::e2e
