// Module names and proto file paths: what the store accepts from outside.
#include "spoke/names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace spoke {
namespace {

TEST(ModuleName, AcceptsLowercasePathLikeNames) {
  for (const std::string& name :
       std::vector<std::string>{"user", "payments/ledger", "a/b-c_d", "2fa", "a", "0", "a1/b2/c3",
                                "x-/y_", "org/team/service/v2"}) {
    EXPECT_TRUE(ValidateModuleName(name).ok())
        << name << ": " << ValidateModuleName(name).message();
  }
}

TEST(ModuleName, RefusesUppercaseEmptySegmentsAndDots) {
  for (const std::string& name : std::vector<std::string>{
           "User", "a/B",  "a//b", "/a",  "a/",  "a.b",         "../x",
           "./x",  "x/..", "",     "/",   "-a",  "_a",          "a/-b",
           "a/_b", "a b",  "a\\b", "a:b", "a@b", "caf\xC3\xA9", std::string("a\0b", 3),
           "a\nb", "a/b/"}) {
    Status s = ValidateModuleName(name);
    EXPECT_FALSE(s.ok()) << "accepted: " << name;
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << name;
  }
}

TEST(ModuleName, AllowsAtMost128Characters) {
  std::string longest(128, 'a');
  EXPECT_TRUE(ValidateModuleName(longest).ok());
  std::string segmented = std::string(63, 'a') + "/" + std::string(64, 'b');
  ASSERT_EQ(segmented.size(), 128u);
  EXPECT_TRUE(ValidateModuleName(segmented).ok());
  EXPECT_FALSE(ValidateModuleName(std::string(129, 'a')).ok());
  EXPECT_FALSE(ValidateModuleName(std::string(10000, 'a')).ok());
}

TEST(ModuleName, ErrorMessagesNameTheInputAndShowTheExpectedForm) {
  Status s = ValidateModuleName("Payments");
  EXPECT_NE(s.message().find("\"Payments\""), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("payments/ledger"), std::string::npos) << s.message();
}

TEST(ProtoPath, AcceptsRelativeProtoPaths) {
  for (const std::string& path : std::vector<std::string>{
           "a.proto", "user.proto", "foo/bar/baz.proto", "v1/api_v1.proto", "x.y.proto",
           "Upper/Case.proto", ".hidden.proto", "caf\xC3\xA9/menu.proto", "a b.proto"}) {
    EXPECT_TRUE(ValidateProtoPath(path).ok()) << path << ": " << ValidateProtoPath(path).message();
  }
}

TEST(ProtoPath, RefusesAbsolutePaths) {
  EXPECT_FALSE(ValidateProtoPath("/a.proto").ok());
  EXPECT_FALSE(ValidateProtoPath("/etc/passwd.proto").ok());
}

TEST(ProtoPath, RefusesDotAndDotDotSegments) {
  for (const std::string& path : std::vector<std::string>{"../a.proto", "a/../b.proto", "a/..",
                                                          "./a.proto", "a/./b.proto", "..", "."}) {
    EXPECT_FALSE(ValidateProtoPath(path).ok()) << path;
  }
}

TEST(ProtoPath, RefusesEmptySegments) {
  for (const std::string& path :
       std::vector<std::string>{"a//b.proto", "a/b.proto/", "", "/", "//a.proto"}) {
    EXPECT_FALSE(ValidateProtoPath(path).ok()) << path;
  }
}

TEST(ProtoPath, RefusesBackslashes) {
  EXPECT_FALSE(ValidateProtoPath("a\\b.proto").ok());
  EXPECT_FALSE(ValidateProtoPath("..\\a.proto").ok());
}

TEST(ProtoPath, RefusesControlCharactersAndNul) {
  for (const std::string& path : std::vector<std::string>{
           std::string("a\0b.proto", 9), std::string("a.proto\0", 8), std::string("a\nb.proto"),
           std::string("a\tb.proto"), std::string("a\x7f.proto"), std::string("a\x1b.proto")}) {
    EXPECT_FALSE(ValidateProtoPath(path).ok()) << path;
  }
}

TEST(ProtoPath, RefusesFilesThatAreNotProto) {
  for (const std::string& path :
       std::vector<std::string>{"a.txt", "a.proto.txt", "a.PROTO", "aproto", ".proto", "dir/.proto",
                                "spoke.manifest.json", "a.proto~", "a.prot"}) {
    EXPECT_FALSE(ValidateProtoPath(path).ok()) << path;
  }
}

TEST(ProtoPath, RefusesGitDirectories) {
  for (const std::string& path :
       std::vector<std::string>{".git/config.proto", "a/.git/b.proto", ".git"}) {
    EXPECT_FALSE(ValidateProtoPath(path).ok()) << path;
  }
}

// git (and so `git fsck --strict`, and every checkout on Windows or macOS) treats these as ".git"
// too: any case, NTFS's trailing dots and spaces and 8.3 short name, HFS+'s ignored code points.
TEST(ProtoPath, RefusesEverySpellingOfGitDirectoriesThatGitRefuses) {
  for (const std::string& path : std::vector<std::string>{
           ".GIT/a.proto", "a/.Git/b.proto", ".git./a.proto", ".git /a.proto", ".git.. /a.proto",
           "git~1/a.proto", "GIT~1/a.proto", ".g\xE2\x80\x8Cit/a.proto", "\xEF\xBB\xBF.git/a.proto",
           ".gi\xE2\x81\xAAT/a.proto"}) {
    EXPECT_FALSE(ValidateProtoPath(path).ok()) << path;
  }
}

TEST(ProtoPath, AcceptsNamesThatOnlyResembleGit) {
  for (const std::string& path :
       std::vector<std::string>{".github/a.proto", "git/a.proto", ".gitx/a.proto", "a.git/b.proto",
                                "git~2/a.proto", ".gitmodules.proto", "x.git.proto"}) {
    EXPECT_TRUE(ValidateProtoPath(path).ok()) << path << ": " << ValidateProtoPath(path).message();
  }
}

TEST(ProtoPath, AllowsAtMost1024Characters) {
  std::string longest = std::string(1018, 'a') + ".proto";
  ASSERT_EQ(longest.size(), 1024u);
  EXPECT_TRUE(ValidateProtoPath(longest).ok());
  EXPECT_FALSE(ValidateProtoPath("a" + longest).ok());
}

TEST(ProtoPath, ErrorsAreInvalidArgumentNamingThePath) {
  Status s = ValidateProtoPath("../secret.proto");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("../secret.proto"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace spoke
