// Module names and proto file paths: what the store accepts from outside.
#include "spoke/names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spoke/json.h"

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

TEST(ProtoPath, AllowsAtMost1024Bytes) {
  // Five directories of 200 bytes and a file name of 19: no segment over 255 bytes.
  std::string longest;
  for (int i = 0; i < 5; ++i) longest += std::string(199, 'a') + "/";
  longest += std::string(18, 'a') + ".proto";
  ASSERT_EQ(longest.size(), 1024u);
  EXPECT_TRUE(ValidateProtoPath(longest).ok());
  EXPECT_FALSE(ValidateProtoPath("a" + longest).ok());
}

// Every byte sequence RFC 3629 rules out: stray continuation bytes, truncated sequences, the
// overlong forms (C0, C1, E0 80..9F, F0 80..8F), UTF-16 surrogates (ED A0..BF), code points above
// U+10FFFF (F4 90.., F5..FF), and Latin-1 as it comes from an old editor.
const std::vector<std::string> kNotUtf8 = {
    "\x80",
    "\xBF",
    "\xC3",
    "\xC3(",
    "\xC0\xAF",
    "\xC1\xBF",
    "\xE0\x80\xAF",
    "\xE0\x9F\xBF",
    "\xE2\x82",
    "\xED\xA0\x80",
    "\xED\xBF\xBF",
    "\xF0\x80\x80\xAF",
    "\xF0\x8F\xBF\xBF",
    "\xF4\x90\x80\x80",
    "\xF5\x80\x80\x80",
    "\xF8\x88\x80\x80\x80",
    "\xFE",
    "\xFF",
    "caf\xE9",
    "\xF0\x9F\x98",
};

// What a message is when written as JSON: U+FFFD appears only if it held bytes that are not UTF-8.
bool PrintsAsUtf8(const std::string& message) {
  return Json(message).Dump().find("\xEF\xBF\xBD") == std::string::npos;
}

TEST(ProtoPath, RefusesEveryByteSequenceThatIsNotUtf8) {
  for (const std::string& bad : kNotUtf8) {
    for (const std::string& path :
         {bad + ".proto", "dir/" + bad + "/a.proto", "a" + bad + "b.proto"}) {
      Status s = ValidateProtoPath(path);
      EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << path;
      EXPECT_NE(s.message().find("not valid UTF-8"), std::string::npos) << s.message();
      EXPECT_TRUE(PrintsAsUtf8(s.message())) << s.message();
    }
  }
}

TEST(ProtoPath, AcceptsWellFormedUtf8OfEveryLength) {
  for (const std::string& path :
       std::vector<std::string>{"caf\xC3\xA9.proto", "\xE2\x82\xAC.proto", "\xF0\x9F\x98\x80.proto",
                                "\xEF\xBF\xBD.proto", "\xF4\x8F\xBF\xBF.proto",
                                "\xED\x9F\xBF.proto", "\xEE\x80\x80.proto", "\xC2\x80x.proto",
                                "\xE0\xA0\x80.proto", "\xF0\x90\x80\x80.proto"}) {
    EXPECT_TRUE(ValidateProtoPath(path).ok()) << path << ": " << ValidateProtoPath(path).message();
  }
}

// Linux, macOS and Windows all refuse a file name over 255 bytes: a version holding one could be
// pushed but never pulled.
TEST(ProtoPath, AllowsSegmentsOfAtMost255Bytes) {
  const std::string name255 = std::string(249, 'n') + ".proto";
  ASSERT_EQ(name255.size(), 255u);
  EXPECT_TRUE(ValidateProtoPath(name255).ok()) << ValidateProtoPath(name255).message();
  EXPECT_TRUE(ValidateProtoPath(std::string(255, 'd') + "/a.proto").ok());
  for (const std::string& path : std::vector<std::string>{
           "n" + name255, std::string(256, 'd') + "/a.proto",
           "a/" + std::string(256, 'd') + "/b.proto", std::string(1000, 'n') + ".proto"}) {
    Status s = ValidateProtoPath(path);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << path.size();
    EXPECT_NE(s.message().find("over the limit of 255"), std::string::npos) << s.message();
  }
  // Bytes, not characters: 126 two-byte characters and ".proto" make 258 bytes.
  std::string wide;
  for (int i = 0; i < 126; ++i) wide += "\xC3\xA9";
  Status s = ValidateProtoPath(wide + ".proto");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(PrintsAsUtf8(s.message())) << s.message();
}

TEST(ProtoPath, RefusesPathsOver4096BytesWhateverTheirSegments) {
  std::string deep;
  while (deep.size() <= 4096) deep += "abcdefgh/";
  Status s = ValidateProtoPath(deep + "a.proto");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("longer than 1024 bytes"), std::string::npos) << s.message();
}

TEST(ProtoText, AcceptsUtf8IncludingEmptyAndNonAsciiComments) {
  for (const std::string& content : std::vector<std::string>{
           "", "syntax = \"proto3\";\n",
           "// caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\nmessage A {}\n",
           "message A { string s = 1 [default = \"\xE2\x9C\x93\"]; }\n", std::string("a\0b", 3)}) {
    EXPECT_TRUE(ValidateProtoText("a.proto", content).ok())
        << ValidateProtoText("a.proto", content).message();
  }
}

TEST(ProtoText, NamesFileLineAndColumnOfTheFirstBadByte) {
  struct Case {
    std::string content;
    std::string where;  // file:line:col
    std::string byte;
  };
  for (const Case& c : std::vector<Case>{
           {"\xFFsyntax = \"proto3\";\n", "dir/a.proto:1:1:", "0xFF"},
           {"syntax = \"proto3\";\n// caf\xE9\n", "dir/a.proto:2:7:", "0xE9"},
           {"a\nb\nc\n\xC3\xA9\xC3(\n", "dir/a.proto:4:3:", "0xC3"},
           {"// \xED\xA0\x80 surrogate\n", "dir/a.proto:1:4:", "0xED"},
           {"// truncated at the end \xE2\x82", "dir/a.proto:1:25:", "0xE2"},
           {"\n\n\n\n\n\n\n\n\n\n// \xC0\xAF overlong\n", "dir/a.proto:11:4:", "0xC0"},
       }) {
    Status s = ValidateProtoText("dir/a.proto", c.content);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << c.where;
    EXPECT_EQ(s.message().rfind(c.where, 0), 0u) << s.message();
    EXPECT_NE(s.message().find("not valid UTF-8 (byte " + c.byte + ")"), std::string::npos)
        << s.message();
    EXPECT_TRUE(PrintsAsUtf8(s.message())) << s.message();
  }
}

TEST(ProtoText, RefusesEveryByteSequenceThatIsNotUtf8) {
  for (const std::string& bad : kNotUtf8) {
    EXPECT_FALSE(ValidateProtoText("a.proto", "message A {} // " + bad + "\n").ok()) << bad;
  }
}

TEST(ModuleName, ErrorMessagesShowBadBytesEscaped) {
  Status s = ValidateModuleName("caf\xE9");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("caf\\xE9"), std::string::npos) << s.message();
  EXPECT_TRUE(PrintsAsUtf8(s.message())) << s.message();
}

TEST(ProtoPath, ErrorsAreInvalidArgumentNamingThePath) {
  Status s = ValidateProtoPath("../secret.proto");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("../secret.proto"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace spoke
