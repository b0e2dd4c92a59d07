// Names and text that every client must be able to write: file paths are UTF-8 with segments of at
// most 255 bytes (and at most 1024 bytes in all), .proto files are UTF-8 (protobuf's language
// spec), and nothing Spoke writes as JSON holds bytes that are not UTF-8. Each rule is held at
// every door: REST, a forged sync push, and the CLI (before it sends anything, and in
// `spoke validate` and `spoke compile -dir`). Every refusal names what is wrong, changes no ref,
// and leaves the registry clean for stock git with its earlier version pulling byte-identical.
#include <gtest/gtest.h>

#include <filesystem>

#include "e2e_util.h"
#include "harness.h"
#include "pack_forge.h"

namespace spoke::e2e {
namespace {

const std::string kProto = "syntax = \"proto3\";\n";

// A .proto file that is not UTF-8, and where its first bad byte is.
struct BadText {
  std::string content;
  std::string where;  // "line:col"
  std::string byte;   // "0xE9"
};

const std::vector<BadText> kBadTexts = {
    {kProto + "// caf\xE9 in Latin-1\n", "2:7", "0xE9"},
    {"\xFF\xFE"
     "s",
     "1:1", "0xFF"},  // UTF-16 with its byte order mark
    {kProto + "message M {\n  string s = 1; // \xC3(\n}\n", "3:20", "0xC3"},
    {kProto + "// \xED\xA0\x80 a surrogate\n", "2:4", "0xED"},
    {kProto + "// \xC0\xAF an overlong slash\n", "2:4", "0xC0"},
    {kProto + "// \xF4\x90\x80\x80 above U+10FFFF\n", "2:4", "0xF4"},
    {kProto + "// cut short \xE2\x82", "2:14", "0xE2"},
};

// Paths a registry must refuse although the bytes can be stored: each could be pushed, then never
// pulled (or only as mojibake), and the message that says why.
struct BadPath {
  std::string path;
  std::string why;
};

// A path of at least `bytes` bytes whose segments are all short.
std::string DeepPath(size_t bytes) {
  std::string deep;
  while (deep.size() < bytes) deep += std::string(200, 'x') + "/";
  return deep + "a.proto";
}

std::vector<BadPath> BadPaths() {
  return {
      {std::string(250, 'n') + ".proto", "over the limit of 255"},
      {std::string(256, 'd') + "/a.proto", "over the limit of 255"},
      {"a/" + std::string(300, 'd') + "/b.proto", "over the limit of 255"},
      {DeepPath(1100), "longer than 1024 bytes"},
      {DeepPath(4100), "longer than 1024 bytes"},
      {"caf\xE9.proto", "not valid UTF-8"},
      {"dir/\xFF/a.proto", "not valid UTF-8"},
      {"\xC0\xAF.proto", "not valid UTF-8"},
      {"a\xED\xA0\x80.proto", "not valid UTF-8"},
  };
}

// The JSON text of a REST upload with `path` and `content` as raw bytes: Json::Dump would write
// bytes that are not UTF-8 as U+FFFD, so a hostile client's body is written by hand.
std::string RawUploadBody(const std::string& path, const std::string& content) {
  std::string escaped;
  for (char c : content) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    if (c == '\0') {
      escaped += "\\u0000";
      continue;
    }
    escaped += c;
  }
  return R"({"version": "v1.0.0", "files": [{"path": ")" + path + R"(", "content": ")" + escaped +
         R"("}]})";
}

class TextRules : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    WriteFiles(work_.Sub("seed"), seed_files_);
    CommandResult push =
        User().Run({"push", "-module", "seed", "-version", "v1.0.0", "-dir", work_.Sub("seed")});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
    refs_before_ = RefsOf(work_.Sub("storage"));
  }

  void TearDown() override {
    if (!server_) return;
    EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before_) << "bad input changed the store's refs";
    GitFsck(work_.Sub("storage"));
    CliUser reader(work_.Sub("reader-home"), server_->url());
    CommandResult pull =
        reader.Run({"pull", "-module", "seed", "-version", "v1.0.0", "-dir", work_.Sub("pulled")});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    EXPECT_EQ(ReadFiles(work_.Sub("pulled")), seed_files_);
  }

  CliUser User() const { return CliUser(work_.Sub("home"), server_->url()); }

  // A 4xx JSON error (which must itself parse: no bytes that are not UTF-8) with `fragment` in its
  // message.
  void ExpectRefused(const httplib::Result& result, int status, const std::string& fragment) {
    std::string message;
    ExpectJsonError(result, status, &message);
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }

  PushPayload Forged(const std::string& module, const FileSet& files) {
    return ForgeVersionPack(work_.Sub("scratch-" + module), {module, "v1.0.0", "", files, {}},
                            ManifestLie::kNone);
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  std::string refs_before_;
  const FileSet seed_files_ = MakeProtoFiles("seed", 3, 300, 3);
};

TEST_F(TextRules, RestRefusesPathsThatCannotBePulled) {
  for (const BadPath& bad : BadPaths()) {
    SCOPED_TRACE("path of " + std::to_string(bad.path.size()) +
                 " bytes: " + bad.path.substr(0, 40));
    std::string message;
    auto result =
        http_->Post("/modules/fresh/versions", RawUploadBody(bad.path, kProto), "application/json");
    EXPECT_EQ(ExpectJsonError(result, 400, &message), "invalid_argument");
    // A path that is not UTF-8 cannot even be JSON text; the others are refused by name.
    const bool utf8 = bad.why != "not valid UTF-8";
    EXPECT_NE(message.find(utf8 ? bad.why : "invalid UTF-8"), std::string::npos) << message;
  }
}

TEST_F(TextRules, RestRefusesProtoFilesThatAreNotUtf8) {
  for (const BadText& bad : kBadTexts) {
    SCOPED_TRACE("bad byte " + bad.byte + " at " + bad.where);
    auto result = http_->Post("/modules/fresh/versions", RawUploadBody("a.proto", bad.content),
                              "application/json");
    EXPECT_EQ(ExpectJsonError(result, 400), "invalid_argument");
  }
}

// The same paths in an honest-looking sync push whose manifest states them as they are.
TEST_F(TextRules, SyncPushRefusesPathsThatCannotBePulled) {
  int n = 0;
  for (const BadPath& bad : BadPaths()) {
    SCOPED_TRACE("path of " + std::to_string(bad.path.size()) +
                 " bytes: " + bad.path.substr(0, 40));
    PushPayload payload =
        Forged("path" + std::to_string(n++), {{bad.path, kProto}, {"ok.proto", kProto}});
    ASSERT_FALSE(payload.pack.empty());
    // The manifest names the path: a bad one makes the manifest, and so the pack, malformed.
    ExpectRefused(PostPush(*http_, payload.updates, payload.pack), 422,
                  bad.why == "not valid UTF-8" ? "invalid UTF-8" : bad.why);
  }
}

// The registry's version check refuses content that is not UTF-8 whoever sends it, naming
// file:line:col; a sync push carries raw bytes, so it reaches the check.
TEST_F(TextRules, SyncPushRefusesProtoFilesThatAreNotUtf8WithFileLineAndColumn) {
  int n = 0;
  for (const BadText& bad : kBadTexts) {
    SCOPED_TRACE("bad byte " + bad.byte + " at " + bad.where);
    PushPayload payload = Forged("text" + std::to_string(n++),
                                 {{"ok.proto", kProto}, {"sub/bad.proto", bad.content}});
    ASSERT_FALSE(payload.pack.empty());
    ExpectRefused(PostPush(*http_, payload.updates, payload.pack), 400,
                  "sub/bad.proto:" + bad.where + ": not valid UTF-8 (byte " + bad.byte + ")");
  }
}

// The CLI refuses before it sends anything: with the registry unreachable, the message is still
// the file's, not the network's.
TEST_F(TextRules, CliPushRefusesProtoFilesThatAreNotUtf8BeforeSending) {
  CliUser offline(work_.Sub("home"), "http://127.0.0.1:1");
  int n = 0;
  for (const BadText& bad : kBadTexts) {
    SCOPED_TRACE("bad byte " + bad.byte + " at " + bad.where);
    const std::string dir = work_.Sub("bad-text-" + std::to_string(n++));
    WriteFiles(dir, {{"ok.proto", kProto}, {"sub/bad.proto", bad.content}});
    for (const CliUser& user : {User(), offline}) {
      CommandResult push =
          user.Run({"push", "-module", "fresh", "-version", "v1.0.0", "-dir", dir});
      EXPECT_EQ(push.exit_code, 1) << push.Describe();
      EXPECT_TRUE(Contains(push.err, dir + "/sub/bad.proto:" + bad.where +
                                         ": not valid UTF-8 (byte " + bad.byte + ")"))
          << push.Describe();
    }
  }
}

TEST_F(TextRules, BatchPushRefusesProtoFilesThatAreNotUtf8BeforeSending) {
  // The registry is unreachable: the refusal must come before any request.
  CliUser offline(work_.Sub("home"), "http://127.0.0.1:1");
  int n = 0;
  for (const BadText& bad : kBadTexts) {
    SCOPED_TRACE("bad byte " + bad.byte + " at " + bad.where);
    const std::string root = work_.Sub("batch-" + std::to_string(n++));
    WriteFiles(root, {{"good/ok.proto", kProto}, {"fresh/sub/bad.proto", bad.content}});
    CommandResult push = offline.Run({"batch-push", "-dir", root, "-version", "v1.0.0"});
    EXPECT_EQ(push.exit_code, 1) << push.Describe();
    EXPECT_TRUE(Contains(push.err, root + "/fresh/sub/bad.proto:" + bad.where +
                                       ": not valid UTF-8 (byte " + bad.byte + ")"))
        << push.Describe();
    EXPECT_FALSE(Contains(push.err, "unreachable")) << push.Describe();
  }
}

TEST_F(TextRules, CliPushRefusesFileNamesThatAreNotUtf8) {
  int n = 0;
  for (const std::string name :
       {"caf\xE9.proto", "\xFF.proto", "\xC3(.proto", "\xED\xA0\x80.proto"}) {
    const std::string dir = work_.Sub("bad-name-" + std::to_string(n++));
    WriteFiles(dir, {{"ok.proto", kProto}, {name, kProto}});
    CommandResult push =
        User().Run({"push", "-module", "fresh", "-version", "v1.0.0", "-dir", dir});
    EXPECT_EQ(push.exit_code, 1) << push.Describe();
    EXPECT_TRUE(Contains(push.err, "not valid UTF-8")) << push.Describe();
  }
}

TEST_F(TextRules, ValidateAndCompileOfADirectoryNameTheFirstBadByte) {
  int n = 0;
  for (const BadText& bad : kBadTexts) {
    SCOPED_TRACE("bad byte " + bad.byte + " at " + bad.where);
    const std::string dir = work_.Sub("src-" + std::to_string(n++));
    WriteFiles(dir, {{"ok.proto", kProto}, {"bad.proto", bad.content}});
    const std::string expected =
        dir + "/bad.proto:" + bad.where + ": not valid UTF-8 (byte " + bad.byte + ")";
    CommandResult validate = User().Run({"validate", "-dir", dir});
    EXPECT_EQ(validate.exit_code, 1) << validate.Describe();
    EXPECT_TRUE(Contains(validate.out + validate.err, expected)) << validate.Describe();
    CommandResult compile =
        User().Run({"compile", "-dir", dir, "-lang", "cpp", "-out", dir + "-out"});
    EXPECT_EQ(compile.exit_code, 1) << compile.Describe();
    EXPECT_TRUE(Contains(compile.err, expected)) << compile.Describe();
    EXPECT_FALSE(Contains(compile.err, "bad.proto: " + dir)) << "the file named twice\n"
                                                             << compile.Describe();
  }
}

// Text that is not UTF-8 can still reach Spoke through a command-line flag; what it writes as
// JSON (the manifest, and every answer that quotes it) carries U+FFFD in its place.
TEST_F(TextRules, JsonThatSpokeWritesIsUtf8EvenWhenItsInputWasNot) {
  WriteFiles(work_.Sub("described"), {{"a.proto", kProto}});
  CommandResult push =
      User().Run({"push", "-module", "described", "-version", "v1.0.0", "-dir",
                  work_.Sub("described"), "--description", "caf\xE9 \xFF", "--json"});
  ASSERT_EQ(push.exit_code, 0) << push.Describe();
  ParseJson(push.out);
  auto version = http_->Get("/modules/described/versions/v1.0.0");
  ASSERT_TRUE(version);
  ASSERT_EQ(version->status, 200) << version->body;
  Json parsed = ParseJson(version->body);  // fails the test when the body is not UTF-8
  EXPECT_TRUE(Contains(version->body, "caf\xEF\xBF\xBD \xEF\xBF\xBD")) << version->body;
  refs_before_ = RefsOf(work_.Sub("storage"));
}

}  // namespace
}  // namespace spoke::e2e
