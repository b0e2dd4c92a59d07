// Bad input over REST, the sync protocol and the CLI: always a 4xx JSON answer (or exit code 2),
// never a 500, never a new ref, and the store stays clean for stock git.
#include <gtest/gtest.h>

#include "e2e_util.h"
#include "harness.h"
#include "pack_forge.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

const std::vector<std::pair<std::string, std::string>> kGoodFiles = {
    {"a.proto", "syntax = \"proto3\";\n"}};

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    auto seeded = http_->Post("/modules/seed/versions", UploadBody("v1.0.0", kGoodFiles).Dump(),
                              "application/json");
    ASSERT_TRUE(seeded);
    ASSERT_EQ(seeded->status, 201) << seeded->body;
    refs_before_ = RefsOf(work_.Sub("storage"));
  }

  void TearDown() override {
    if (!server_) return;
    EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before_) << "bad input changed the store's refs";
    GitFsck(work_.Sub("storage"));
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& type = "application/json") {
    return http_->Post(path.c_str(), body, type.c_str());
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  std::string refs_before_;
};

TEST_F(BadInput, RestRejectsInvalidModuleNames) {
  for (std::string name : {"User", "a/../b", "a//b", "", "a/", "/a", "-a", "a.b", "a b"}) {
    SCOPED_TRACE("module name \"" + name + "\"");
    Json module = Json::MakeObject();
    module.Set("name", name);
    EXPECT_EQ(ExpectJsonError(Post("/modules", module.Dump()), 400), "invalid_argument");
  }
  for (std::string path :
       {"/modules/User/versions", "/modules/a//b/versions", "/modules/a/../b/versions",
        "/modules/a/./b/versions", "/modules/a%2F..%2Fb/versions"}) {
    SCOPED_TRACE(path);
    ExpectClientError(Post(path, UploadBody("v1.0.0", kGoodFiles).Dump()));
  }
  ExpectClientError(http_->Get("/modules/User"));
  ExpectClientError(http_->Get("/modules/a//b/versions"));
}

TEST_F(BadInput, RestRejectsInvalidVersions) {
  for (std::string version :
       {"1.0.0", "v1.0", "v01.0.0", "v1.0.0-", "v1.0.0-01", "latest", "", "v1.0.0/x"}) {
    SCOPED_TRACE("version \"" + version + "\"");
    EXPECT_EQ(ExpectJsonError(
                  Post("/modules/fresh/versions", UploadBody(version, kGoodFiles).Dump()), 400),
              "invalid_argument");
  }
  ExpectClientError(http_->Get("/modules/seed/versions/v01.0.0"));
  ExpectClientError(http_->Get("/modules/seed/versions/v1.0"));
}

TEST_F(BadInput, RestRejectsBadFilePaths) {
  const std::string body = "syntax = \"proto3\";\n";
  std::vector<std::vector<std::pair<std::string, std::string>>> cases = {
      {{"../escape.proto", body}},
      {{"a/../../escape.proto", body}},
      {{"/etc/absolute.proto", body}},
      {{"notes.txt", body}},
      {{"a.proto.txt", body}},
      {{".proto", body}},
      {{"a//b.proto", body}},
      {{"a/./b.proto", body}},
      {{"a\\b.proto", body}},
      {{".git/config.proto", body}},
      {{"spoke.manifest.json", body}},
      {{"twice.proto", body}, {"twice.proto", body + "// other\n"}},
      {{"dir.proto", body}, {"dir.proto/inner.proto", body}},
  };
  for (const auto& files : cases) {
    SCOPED_TRACE("first path \"" + files.front().first + "\"");
    EXPECT_EQ(
        ExpectJsonError(Post("/modules/fresh/versions", UploadBody("v1.0.0", files).Dump()), 400),
        "invalid_argument");
  }
  EXPECT_EQ(
      ExpectJsonError(Post("/modules/fresh/versions", UploadBody("v1.0.0", FileSet{}).Dump()), 400),
      "invalid_argument");
  EXPECT_EQ(ExpectJsonError(
                Post("/modules/fresh/versions",
                     R"({"version": "v1.0.0", "files": [{"path": "a.proto", "content": 5}]})"),
                400),
            "invalid_argument");
}

TEST_F(BadInput, RestRejectsMalformedJson) {
  for (std::string body :
       {"{", "", "not json", "[]", "\"v1.0.0\"", R"({"version": "v1.0.0", "files": {}})",
        R"({"version": 1, "files": []})", "{\"version\": \"v1.0.0\"} trailing"}) {
    SCOPED_TRACE("body " + body);
    EXPECT_EQ(ExpectJsonError(Post("/modules/fresh/versions", body), 400), "invalid_argument");
  }
  EXPECT_EQ(ExpectJsonError(Post("/modules", "{\"name\": "), 400), "invalid_argument");
  // Deep nesting must be refused, not recursed into until the server's stack overflows.
  EXPECT_EQ(ExpectJsonError(Post("/modules", std::string(100000, '[')), 400), "invalid_argument");
}

TEST_F(BadInput, UnknownRoutesAnswerJson404) {
  EXPECT_EQ(ExpectJsonError(http_->Get("/no/such/route"), 404), "not_found");
  EXPECT_EQ(ExpectJsonError(Post("/no/such/route", "{}"), 404), "not_found");
  EXPECT_EQ(ExpectJsonError(http_->Get("/modules/missing"), 404), "not_found");
  EXPECT_EQ(ExpectJsonError(http_->Get("/modules/seed/versions/v9.9.9"), 404), "not_found");
  EXPECT_EQ(ExpectJsonError(http_->Get("/modules/seed/versions/v1.0.0/files/missing.proto"), 404),
            "not_found");
  ExpectClientError(http_->Get("/modules/seed/versions/v1.0.0/files/../../../etc/passwd"));
}

TEST_F(BadInput, BodiesOverTheLimitAnswerJson413) {
  TempDir small;
  auto limited = ServerProcess::Start({small.Sub("storage"), {"--max-body-mib", "1"}, {}});
  ASSERT_TRUE(limited);
  auto http = HttpClient(limited->port());
  std::string big(2 << 20, 'x');
  Json upload = UploadBody("v1.0.0", FileSet{{"big.proto", big}});
  EXPECT_EQ(
      ExpectJsonError(http->Post("/modules/big/versions", upload.Dump(), "application/json"), 413),
      "too_large");
  EXPECT_EQ(ExpectJsonError(
                http->Post("/sync/v1/push", PushBody({}, big), "application/x-spoke-push"), 413),
            "too_large");
  // The server is still healthy afterwards, and wrote nothing.
  auto live = http->Get("/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(RefsOf(small.Sub("storage")), "");
  GitFsck(small.Sub("storage"));
}

// `text` with every "OID" replaced by a well-formed object id that no store holds.
std::string WithOid(std::string text) {
  size_t at;
  while ((at = text.find("OID")) != std::string::npos) text.replace(at, 3, std::string(40, 'a'));
  return text;
}

TEST_F(BadInput, SyncPushRejectsMalformedBodies) {
  // Header lines that are wrong, each sent with its '\n' and no pack.
  const std::vector<std::string> headers = {
      "{",
      "[]",
      R"({"protocol": 2, "updates": [{"name": "refs/tags/x/v1.0.0", "new": "OID"}]})",
      R"({"protocol": 1})",
      R"({"protocol": 1, "updates": []})",
      R"({"updates": [{"name": "", "new": "OID"}]})",
      R"({"updates": [{"name": "refs/tags/x/v1.0.0", "new": "xyz"}]})",
      R"({"updates": [{"name": "refs/tags/x/v1.0.0", "old": "1", "new": "OID"}]})",
  };
  for (const auto& header : headers) {
    SCOPED_TRACE("push header " + WithOid(header));
    ExpectClientError(Post("/sync/v1/push", WithOid(header) + "\n", "application/x-spoke-push"));
  }
  const std::string good_header =
      WithOid(R"({"updates": [{"name": "refs/tags/x/v1.0.0", "new": "OID"}]})");
  for (const std::string& body : {std::string(), good_header, good_header + "\nPACK garbage"}) {
    SCOPED_TRACE("push body " + body);
    ExpectClientError(Post("/sync/v1/push", body, "application/x-spoke-push"));
  }
}

TEST_F(BadInput, SyncFetchRejectsMalformedRequests) {
  const std::vector<std::string> bodies = {
      "{",
      "{}",
      R"({"wants": []})",
      R"({"wants": ["nothex"]})",
      R"({"wants": "OID"})",
      R"({"wants": ["OID"], "haves": ["short"]})",
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE("fetch body " + WithOid(body));
    EXPECT_EQ(ExpectJsonError(Post("/sync/v1/fetch", WithOid(body)), 400), "invalid_argument");
  }
  EXPECT_EQ(ExpectJsonError(Post("/sync/v1/fetch", WithOid(R"({"wants": ["OID"]})")), 404),
            "not_found");
  EXPECT_EQ(ExpectJsonError(http_->Get("/sync/v1/refs?prefix=heads/"), 400), "invalid_argument");
}

TEST_F(BadInput, CliUsageErrorsExitWith2) {
  WriteFiles(work_.Sub("src"), {{"a.proto", "syntax = \"proto3\";\n"}});
  CliUser user(work_.Sub("home"), server_->url());
  std::vector<std::vector<std::string>> usage_errors = {
      {},
      {"nosuchcommand"},
      {"push", "-version", "v1.0.0", "-dir", work_.Sub("src")},
      {"push", "-module", "user", "-dir", work_.Sub("src")},
      {"push", "-module", "user", "-version", "1.0.0", "-dir", work_.Sub("src")},
      {"push", "-module", "user", "-version", "v1.0", "-dir", work_.Sub("src")},
      {"push", "-module", "user", "-version", "latest", "-dir", work_.Sub("src")},
      {"push", "-module", "User", "-version", "v1.0.0", "-dir", work_.Sub("src")},
      {"push", "-module", "a/../b", "-version", "v1.0.0", "-dir", work_.Sub("src")},
      {"push", "-module", "user", "-version", "v1.0.0", "-dir", work_.Sub("src"), "--no-such-flag"},
      {"pull", "-version", "v1.0.0"},
      {"pull", "-module", "user", "-version", "v01.0.0", "-dir", work_.Sub("out")},
      {"log"},
      {"log", "-module", "a//b"},
      {"versions", "-module", "UPPER"},
  };
  for (const auto& args : usage_errors) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    SCOPED_TRACE("spoke " + joined);
    CommandResult result = user.Run(args);
    EXPECT_EQ(result.exit_code, 2) << result.Describe();
  }
}

TEST_F(BadInput, ABadRegistryUrlIsAUsageErrorForEveryCommand) {
  WriteFiles(work_.Sub("src"), {{"a.proto", "syntax = \"proto3\";\n"}});
  CliUser user(work_.Sub("home"), "ftp://example.com");
  std::vector<std::vector<std::string>> commands = {
      {"push", "-module", "user", "-version", "v1.0.0", "-dir", work_.Sub("src")},
      {"pull", "-module", "user", "-version", "v1.0.0", "-dir", work_.Sub("out")},
      {"fetch"},
      {"log", "-module", "user"},
      {"versions", "-module", "user"},
      {"modules"},
  };
  for (const auto& args : commands) {
    SCOPED_TRACE("SPOKE_REGISTRY=ftp://example.com spoke " + args.front());
    CommandResult result = user.Run(args);
    EXPECT_EQ(result.exit_code, 2) << result.Describe();
    EXPECT_NE(result.err.find("http://"), std::string::npos) << result.Describe();
  }
  CommandResult clone = RunCli({"clone", "ftp://example.com", work_.Sub("clone")});
  EXPECT_EQ(clone.exit_code, 2) << clone.Describe();
}

}  // namespace
}  // namespace spoke::e2e
