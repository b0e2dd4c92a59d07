// Search end to end: `spoke search` and GET /search over a real registry. A field found in the
// module that declares it, the type filter, the ranking ladder, comments, every version on
// request, a push seen by the next search, a read-only mirror whose store another process updates
// (`spoke fetch`, stock `git fetch`) answering search and import resolution without a restart,
// and a version that does not parse leaving the rest searchable.
#include <gtest/gtest.h>

#include <thread>

#include "deps_fixture.h"

namespace spoke::e2e {
namespace {

const FileSet kUsers = {{"acme/user/v1/user.proto",
                         "syntax = \"proto3\";\n"
                         "package acme.user.v1;\n"
                         "\n"
                         "// A person who signs in.\n"
                         "message User {\n"
                         "  string id = 1;\n"
                         "  string display_name = 2;\n"
                         "}\n"}};

// The email is not where a reader would look first: billing holds it.
const FileSet kBilling = {{"acme/billing/v1/billing.proto",
                           "syntax = \"proto3\";\n"
                           "package acme.billing.v1;\n"
                           "\n"
                           "message Customer {\n"
                           "  string customer_id = 1;\n"
                           "  // The user's email\n"
                           "  string email = 2;\n"
                           "  string email_verified_at = 3;\n"
                           "  string backup_email = 4;\n"
                           "  // Send receipts by email\n"
                           "  bool receipts = 5;\n"
                           "}\n"}};

class Search : public DependencyFixture {
 protected:
  CommandResult SpokeSearch(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"search"};
    argv.insert(argv.end(), args.begin(), args.end());
    return reader_->Run(argv);
  }

  // Polls `condition` until it holds or the deadline passes; each poll is a request to the server,
  // which looks at its store at most once a second, so polls are spaced rather than spun.
  static bool Eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return condition();
  }
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST_F(Search, FindsAFieldInTheModuleThatDeclaresItWithItsPlaceAndComment) {
  StartServer();
  MustPush("user", "v1.0.0", kUsers);
  MustPush("billing", "v1.0.0", kBilling);

  CommandResult found = SpokeSearch({"email", "--type", "field", "--limit", "1"});
  ASSERT_EQ(found.exit_code, 0) << found.Describe();
  EXPECT_EQ(
      found.out,
      "field  acme.billing.v1.Customer.email  billing@v1.0.0  acme/billing/v1/billing.proto:7  "
      "\"The user's email\"\n");
  EXPECT_TRUE(Contains(found.err, "showing 1 of 4 hits")) << found.err;

  // Nothing found is exit 1, as with grep; bad flags are usage errors.
  EXPECT_EQ(SpokeSearch({"no_such_thing"}).exit_code, 1);
  EXPECT_EQ(SpokeSearch({"email", "-type", "table"}).exit_code, 2);
  EXPECT_EQ(SpokeSearch({"email", "-limit", "0"}).exit_code, 2);
  EXPECT_EQ(SpokeSearch({}).exit_code, 2);

  CommandResult json = SpokeSearch({"User", "-type", "message", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  Json answer = ParseJson(json.out);
  const auto& hits = answer.Get("hits")->as_array();
  ASSERT_EQ(hits.size(), 1u) << json.out;
  EXPECT_EQ(hits[0].GetString("kind"), "message");
  EXPECT_EQ(hits[0].GetString("name"), "acme.user.v1.User");
  EXPECT_EQ(hits[0].GetString("module"), "user");
  EXPECT_EQ(hits[0].GetString("file"), "acme/user/v1/user.proto");
  EXPECT_EQ(hits[0].Get("line")->as_int(), 5);
  EXPECT_EQ(hits[0].GetString("comment"), "A person who signs in.");
  EXPECT_EQ(hits[0].Get("score")->as_int(), 100);
}

TEST_F(Search, RanksExactThenPrefixThenSubstringThenCommentAndFiltersByType) {
  StartServer();
  MustPush("user", "v1.0.0", kUsers);
  MustPush("billing", "v1.0.0", kBilling);
  CommandResult ranked = SpokeSearch({"EMAIL", "-type", "field"});
  ASSERT_EQ(ranked.exit_code, 0) << ranked.Describe();
  std::vector<std::string> lines = Lines(ranked.out);
  ASSERT_EQ(lines.size(), 4u) << ranked.out;
  EXPECT_TRUE(lines[0].rfind("field  acme.billing.v1.Customer.email ", 0) == 0) << ranked.out;
  EXPECT_TRUE(Contains(lines[1], "Customer.email_verified_at")) << ranked.out;
  EXPECT_TRUE(Contains(lines[2], "Customer.backup_email")) << ranked.out;
  EXPECT_TRUE(Contains(lines[3], "Customer.receipts")) << ranked.out;
  EXPECT_TRUE(Contains(lines[3], "\"Send receipts by email\"")) << ranked.out;

  // Without the filter the module and file named "user" come along; with it, only them.
  Json modules = GetJson("/search?q=user&type=module");
  ASSERT_EQ(modules.Get("hits")->as_array().size(), 1u) << modules.Dump(2);
  EXPECT_EQ(modules.Get("hits")->as_array()[0].GetString("name"), "user");
  Json files = GetJson("/search?q=billing.proto&type=file");
  ASSERT_EQ(files.Get("hits")->as_array().size(), 1u) << files.Dump(2);
  EXPECT_EQ(files.Get("hits")->as_array()[0].GetString("name"), "acme/billing/v1/billing.proto");

  ExpectJsonError(http_->Get("/search?q="), 400);
  ExpectJsonError(http_->Get("/search?q=a&type=table"), 400);
  ExpectJsonError(http_->Get("/search?q=a&limit=501"), 400);
  ExpectJsonError(http_->Get("/search?q=a&all_versions=yes"), 400);
}

TEST_F(Search, SeesEachModulesLatestVersionUnlessAskedForAll) {
  // v1.1.0 renames a field on purpose, so the module checks nothing.
  StartServer({"--default-compat", "NONE"});
  MustPush("order", "v1.0.0",
           {{"order.proto",
             "syntax = \"proto3\";\npackage shop;\nmessage Order { string note = 1; }\n"}});
  MustPush("order", "v1.1.0",
           {{"order.proto",
             "syntax = \"proto3\";\npackage shop;\nmessage Order { string remark = 1; }\n"}});
  EXPECT_EQ(SpokeSearch({"note"}).exit_code, 1);
  CommandResult all = SpokeSearch({"note", "--all-versions"});
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  EXPECT_EQ(all.out, "field  shop.Order.note  order@v1.0.0  order.proto:3\n");
  Json answer = GetJson("/search?q=Order&type=message&all_versions=true");
  const auto& hits = answer.Get("hits")->as_array();
  ASSERT_EQ(hits.size(), 2u) << answer.Dump(2);
  EXPECT_EQ(hits[0].GetString("version"), "v1.1.0");
  EXPECT_EQ(hits[1].GetString("version"), "v1.0.0");
}

TEST_F(Search, APushIsFoundByTheNextSearchAndARestartKeepsIt) {
  StartServer();
  MustPush("user", "v1.0.0", kUsers);
  EXPECT_EQ(SpokeSearch({"backup_email"}).exit_code, 1);
  MustPush("billing", "v1.0.0", kBilling);
  CommandResult found = SpokeSearch({"backup_email"});
  ASSERT_EQ(found.exit_code, 0) << found.Describe();
  EXPECT_TRUE(Contains(found.out, "billing@v1.0.0")) << found.out;

  server_->Stop();
  StartServer();
  EXPECT_EQ(SpokeSearch({"backup_email"}).exit_code, 0);
}

TEST_F(Search, AReadOnlyMirrorAnswersWithVersionsAnotherProcessWroteToItsStore) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  CliUser mirror_writer(work_.Sub("mirror"), server_->url());
  CommandResult first = mirror_writer.Run({"fetch"});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  auto mirror = ServerProcess::Start({work_.Sub("mirror"), {"--read-only"}, {}});
  ASSERT_TRUE(mirror);
  auto mirror_http = HttpClient(mirror->port());
  auto hits_for = [&](const std::string& q) -> size_t {
    auto res = mirror_http->Get(("/search?type=message&q=" + q).c_str());
    if (!res || res->status != 200) return 0;
    return ParseJson(res->body).Get("hits")->as_array().size();
  };
  auto resolves = [&](const std::string& path) {
    auto res = mirror_http->Post("/imports/resolve", "{\"paths\": [\"" + path + "\"]}",
                                 "application/json");
    return res && res->status == 200 && Contains(res->body, "\"resolved\"");
  };
  EXPECT_EQ(hits_for("Order"), 0u);
  EXPECT_FALSE(resolves("order/order.proto"));

  // `spoke fetch` in another process brings order into the mirror's store.
  MustPush("order", "v1.0.0", kOrderV1);
  CommandResult fetched = mirror_writer.Run({"fetch"});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.Describe();
  EXPECT_TRUE(Eventually([&] { return hits_for("Order") == 1; }));
  EXPECT_TRUE(Eventually([&] { return resolves("order/order.proto"); }));

  // Stock git writing straight into the store is noticed the same way.
  MustPush("app", "v1.0.0", kApp);
  CommandResult git =
      RunGit({"--git-dir=" + work_.Sub("mirror"), "fetch", "--quiet", work_.Sub("storage"),
              "refs/tags/app/*:refs/tags/app/*", "refs/heads/app/*:refs/heads/app/*"});
  ASSERT_EQ(git.exit_code, 0) << git.Describe();
  EXPECT_TRUE(Eventually([&] { return hits_for("Cart") == 1; }));
  EXPECT_TRUE(Eventually([&] { return resolves("app/app.proto"); }));
  mirror->Stop();
  EXPECT_FALSE(Contains(mirror->process().Stderr(), "left out")) << mirror->process().Stderr();
}

TEST_F(Search, AVersionThatDoesNotParseIsLeftOutAndSearchGoesOn) {
  StartServer({"--validate", "none"});
  MustPush("billing", "v1.0.0", kBilling);
  MustPush("broken", "v1.0.0", {{"broken.proto", "syntax = \"proto3\";\nmessage Customer {\n"}});
  CommandResult found = SpokeSearch({"Customer", "-type", "message"});
  ASSERT_EQ(found.exit_code, 0) << found.Describe();
  EXPECT_EQ(Lines(found.out).size(), 1u) << found.out;
  EXPECT_TRUE(Contains(found.out, "billing@v1.0.0")) << found.out;
  EXPECT_TRUE(server_->process().WaitForLine(Process::Stream::kStderr,
                                             "search index: left out broken@v1.0.0"));

  // The same when the index is filled from the store at start.
  server_->Stop();
  StartServer({"--validate", "none"});
  CommandResult again = SpokeSearch({"Customer", "-type", "message"});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_EQ(Lines(again.out).size(), 1u) << again.out;
  EXPECT_TRUE(server_->process().WaitForLine(Process::Stream::kStderr,
                                             "search index: left out broken@v1.0.0"));
}

}  // namespace
}  // namespace spoke::e2e
