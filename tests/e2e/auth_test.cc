// Scoped tokens on a running server (spoke/tokens.h): `spoke-server token create|revoke` beside
// it, 401 without a token once one exists, 403 naming the scope a token lacks, module prefixes on
// the CLI's push path and the REST one, admin for compatibility levels, --read-auth, and the
// legacy single --token as an admin token.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "e2e_util.h"
#include "harness.h"

namespace spoke::e2e {
namespace {

const FileSet kModuleFiles = {
    {"a.proto", "syntax = \"proto3\";\npackage acme.a;\n\nmessage A {\n  string x = 1;\n}\n"}};

CommandResult TokenCommand(const std::vector<std::string>& args) {
  std::vector<std::string> argv{SPOKE_SERVER_BIN, "token"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand({argv, {}, ""});
}

// Creates a token in the store at `storage` and returns it ("" with a failure recorded).
std::string CreateToken(const std::string& storage, const std::string& name,
                        const std::vector<std::string>& scopes) {
  std::vector<std::string> args{"create", "--name", name, "-s", storage};
  for (const auto& scope : scopes) {
    args.push_back("--scope");
    args.push_back(scope);
  }
  CommandResult created = TokenCommand(args);
  EXPECT_EQ(created.exit_code, 0) << created.Describe();
  std::string token = created.out.substr(0, created.out.find('\n'));
  EXPECT_EQ(token.rfind("spoke_", 0), 0u) << token;
  EXPECT_EQ(token.size(), 6u + 43u) << token;
  return token;
}

httplib::Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

class Auth : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> extra_args = {}, Env env = {}) {
    server_ = ServerProcess::Start({storage(), std::move(extra_args), std::move(env)});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
  }
  std::string storage() { return work_.Sub("storage"); }

  // `spoke push` of kModuleFiles as `module`, with SPOKE_TOKEN set to `token` when not empty.
  CommandResult Push(const std::string& module, const std::string& version,
                     const std::string& token) {
    std::string dir = work_.Sub("src/" + module + "/" + version);
    WriteFiles(dir, kModuleFiles);
    CliUser user(work_.Sub("home-" + std::to_string(++users_)), server_->url());
    Env env = user.env();
    if (!token.empty()) env.emplace_back("SPOKE_TOKEN", token);
    return RunCli({"push", "-module", module, "-version", version, "-dir", dir}, env);
  }

  httplib::Result CreateModule(const std::string& name, const std::string& token) {
    return http_->Post("/modules", Bearer(token), "{\"name\": \"" + name + "\"}",
                       "application/json");
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  int users_ = 0;
};

TEST_F(Auth, OnceATokenExistsAPushWithoutOneIs401AndATokenMadeWhileServingWorks) {
  StartServer();
  // No token yet: loopback writes are anonymous, as before.
  CommandResult anonymous = Push("acme/first", "v1.0.0", "");
  ASSERT_EQ(anonymous.exit_code, 0) << anonymous.Describe();

  std::string token = CreateToken(storage(), "ci", {"write"});
  CommandResult refused = Push("acme/second", "v1.0.0", "");
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_NE(refused.err.find("needs a token"), std::string::npos) << refused.Describe();

  auto raw = http_->Post("/modules", "{\"name\": \"acme/third\"}", "application/json");
  ExpectJsonError(raw, 401);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->get_header_value("WWW-Authenticate"), "Bearer");
  ExpectJsonError(CreateModule("acme/third", "spoke_not-a-token"), 401);

  CommandResult pushed = Push("acme/second", "v1.0.0", token);
  EXPECT_EQ(pushed.exit_code, 0) << pushed.Describe();
}

TEST_F(Auth, AReadScopedTokenCannotPush) {
  StartServer();
  std::string reader = CreateToken(storage(), "reader", {"read"});
  CommandResult pushed = Push("acme/a", "v1.0.0", reader);
  EXPECT_EQ(pushed.exit_code, 1) << pushed.Describe();
  std::string message;
  ExpectJsonError(CreateModule("acme/a", reader), 403, &message);
  EXPECT_NE(message.find("lacks the scope write"), std::string::npos) << message;
}

TEST_F(Auth, APrefixScopedTokenWritesInsideItsPrefixOnly) {
  StartServer();
  std::string acme = CreateToken(storage(), "acme-ci", {"write:acme/"});

  // The sync push path (the CLI's push) checks every ref's module.
  CommandResult inside = Push("acme/billing", "v1.0.0", acme);
  EXPECT_EQ(inside.exit_code, 0) << inside.Describe();
  CommandResult outside = Push("other/billing", "v1.0.0", acme);
  EXPECT_EQ(outside.exit_code, 1) << outside.Describe();
  EXPECT_NE(outside.err.find("other/billing"), std::string::npos) << outside.Describe();
  auto versions = http_->Get("/modules/other/billing/versions");
  ASSERT_TRUE(versions);
  EXPECT_EQ(versions->status, 404) << versions->body;

  // The REST routes check the module of the path or of the body.
  auto created = CreateModule("acme/ledger", acme);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
  std::string message;
  ExpectJsonError(CreateModule("acmecorp/ledger", acme), 403, &message);
  EXPECT_NE(message.find("acmecorp/ledger"), std::string::npos) << message;
  ExpectJsonError(http_->Post("/modules/other/ledger/versions", Bearer(acme),
                              "{\"version\": \"v1.0.0\", \"files\": {}}", "application/json"),
                  403);
}

TEST_F(Auth, ChangingACompatibilityLevelNeedsAdmin) {
  StartServer();
  std::string writer = CreateToken(storage(), "writer", {"write"});
  std::string admin = CreateToken(storage(), "admin", {"admin"});
  auto created = CreateModule("acme/a", writer);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;

  const std::string body = "{\"compatibility\": \"WIRE\"}";
  std::string message;
  ExpectJsonError(
      http_->Put("/modules/acme/a/compatibility", Bearer(writer), body, "application/json"), 403,
      &message);
  EXPECT_NE(message.find("admin"), std::string::npos) << message;
  auto put = http_->Put("/modules/acme/a/compatibility", Bearer(admin), body, "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200) << put->body;
}

TEST_F(Auth, ReadAuthNeedsAReadTokenForReadsButNotForProbes) {
  StartServer({"--read-auth"});
  std::string reader = CreateToken(storage(), "reader", {"read"});
  auto anonymous = http_->Get("/modules");
  ExpectJsonError(anonymous, 401);
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->get_header_value("WWW-Authenticate"), "Bearer");
  auto read = http_->Get("/modules", Bearer(reader));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 200) << read->body;
  auto ready = http_->Get("/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
}

// With --read-auth, the web UI asks a browser for a token once (an HTML page, 401), keeps it in
// an HttpOnly, SameSite=Strict cookie, and the cookie reads the pages; it never writes.
TEST_F(Auth, TheWebUiAsksForAReadTokenAndKeepsItInACookieThatCannotWrite) {
  StartServer({"--read-auth"});
  std::string reader = CreateToken(storage(), "reader", {"read"});
  std::string writer = CreateToken(storage(), "writer", {"write"});
  auto made = CreateModule("acme/a", writer);
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;

  auto asked = http_->Get("/ui/modules/acme/a");
  ASSERT_TRUE(asked);
  EXPECT_EQ(asked->status, 401);
  EXPECT_EQ(asked->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_TRUE(Contains(asked->body, "<form method=\"post\" action=\"/ui/token\">")) << asked->body;
  EXPECT_TRUE(Contains(asked->body, "name=\"next\" value=\"/ui/modules/acme/a\"")) << asked->body;
  EXPECT_FALSE(asked->has_header("ETag"));  // a sign-in page is never a cached copy of the page
  // The page's stylesheet is readable without a token.
  auto css = http_->Get("/ui/assets/spoke.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  // The API still answers JSON.
  ExpectJsonError(http_->Get("/modules/acme/a"), 401);

  // A wrong token is refused on the page; the right one sets the cookie and goes back.
  auto wrong = http_->Post("/ui/token", "token=spoke_nope&next=%2Fui%2Fmodules%2Facme%2Fa",
                           "application/x-www-form-urlencoded");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_TRUE(Contains(wrong->body, "not valid")) << wrong->body;
  EXPECT_TRUE(wrong->get_header_value("Set-Cookie").empty());
  auto signed_in = http_->Post("/ui/token", "token=" + reader + "&next=%2Fui%2Fmodules%2Facme%2Fa",
                               "application/x-www-form-urlencoded");
  ASSERT_TRUE(signed_in);
  EXPECT_EQ(signed_in->status, 303) << signed_in->body;
  EXPECT_EQ(signed_in->get_header_value("Location"), "/ui/modules/acme/a");
  const std::string cookie = signed_in->get_header_value("Set-Cookie");
  EXPECT_TRUE(Contains(cookie, "spoke_token=" + reader)) << cookie;
  EXPECT_TRUE(Contains(cookie, "HttpOnly")) << cookie;
  EXPECT_TRUE(Contains(cookie, "SameSite=Strict")) << cookie;
  // Another site is never where a sign-in sends the browser.
  auto away = http_->Post("/ui/token", "token=" + reader + "&next=%2F%2Fevil.example%2F",
                          "application/x-www-form-urlencoded");
  ASSERT_TRUE(away);
  EXPECT_EQ(away->get_header_value("Location"), "/");

  const httplib::Headers with_cookie = {{"Cookie", "theme=dark; spoke_token=" + reader}};
  auto page = http_->Get("/ui/modules/acme/a", with_cookie);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200) << page->body;
  auto home = http_->Get("/", with_cookie);
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 200);
  // The cookie of a writer's token still cannot write: writes take only the Authorization header.
  const httplib::Headers writer_cookie = {{"Cookie", "spoke_token=" + writer}};
  auto write = http_->Post("/modules", writer_cookie, "{\"name\": \"acme/b\"}", "application/json");
  ExpectJsonError(write, 401);
}

TEST_F(Auth, RevokingATokenRefusesItOnTheRunningServer) {
  StartServer();
  std::string token = CreateToken(storage(), "ci", {"write"});
  CreateToken(storage(), "keep", {"read"});  // so writes stay closed after the revoke
  auto before = CreateModule("acme/a", token);
  ASSERT_TRUE(before);
  ASSERT_EQ(before->status, 201) << before->body;

  CommandResult list = TokenCommand({"list", "--json", "-s", storage()});
  ASSERT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_EQ(list.out.find(token), std::string::npos) << "token list shows a secret";
  EXPECT_NE(list.out.find("\"ci\""), std::string::npos) << list.out;

  CommandResult revoked = TokenCommand({"revoke", "ci", "-s", storage()});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.Describe();
  ExpectJsonError(CreateModule("acme/b", token), 401);
  CommandResult again = TokenCommand({"revoke", "ci", "-s", storage()});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
}

TEST_F(Auth, TheLegacySingleTokenIsAnAdminToken) {
  StartServer({}, {{"SPOKE_TOKEN", "legacy-secret"}});
  auto created = CreateModule("acme/a", "legacy-secret");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto put = http_->Put("/modules/acme/a/compatibility", Bearer("legacy-secret"),
                        "{\"compatibility\": \"WIRE\"}", "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200) << put->body;
  ExpectJsonError(CreateModule("acme/b", ""), 401);
}

TEST_F(Auth, TheTokenFileHoldsOnlyHashesAndIsPrivate) {
  StartServer();
  std::string token = CreateToken(storage(), "ci", {"write:acme/", "read"});
  std::ifstream in(storage() + "/spoke-tokens.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(token), std::string::npos);
  EXPECT_NE(text.find("write:acme/"), std::string::npos) << text;
  struct stat st {};
  ASSERT_EQ(stat((storage() + "/spoke-tokens.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  CommandResult bad = TokenCommand({"create", "--name", "x", "--scope", "owner", "-s", storage()});
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
  CommandResult taken =
      TokenCommand({"create", "--name", "ci", "--scope", "read", "-s", storage()});
  EXPECT_EQ(taken.exit_code, 1) << taken.Describe();
}

}  // namespace
}  // namespace spoke::e2e
