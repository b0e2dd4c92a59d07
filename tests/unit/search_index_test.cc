// SearchIndex over real stores: what a file's elements are called and where, the ranking ladder,
// the type filter, latest versus every version, a file shared by versions parsed once, and a
// version that does not parse left out without harming the rest.
#include "spoke/search_index.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace spoke {
namespace {

using testing::MakeRequest;
using testing::TempDir;

const char kUser[] =
    "syntax = \"proto3\";\n"                              // 1
    "package acme.user.v1;\n"                             // 2
    "\n"                                                  // 3
    "// A person who signs in.\n"                         // 4
    "message User {\n"                                    // 5
    "  string id = 1;\n"                                  // 6
    "  // The user's email\n"                             // 7
    "  string email = 2;\n"                               // 8
    "  map<string, string> tags = 3;\n"                   // 9
    "  enum Role { ROLE_UNSPECIFIED = 0; ADMIN = 1; }\n"  // 10
    "}\n"                                                 // 11
    "service Users {\n"                                   // 12
    "  // Finds one.\n"                                   // 13
    "  rpc GetUser(User) returns (User);\n"               // 14
    "}\n";

const char kBilling[] =
    "syntax = \"proto3\";\n"
    "package acme.billing.v1;\n"
    "message Invoice {\n"
    "  // Where the invoice goes\n"
    "  string billing_email = 1;\n"
    "  string email_verified_at = 2;\n"
    "  string contact = 3;  // not a leading comment\n"
    "  // Send it by email when true\n"
    "  bool notify = 4;\n"
    "}\n";

class SearchIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.Sub("store"), true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  VersionInfo Put(const std::string& module, const std::string& version, FileSet files) {
    auto put = store_->PutVersion(MakeRequest(module, version, std::move(files)));
    EXPECT_TRUE(put.ok()) << put.status().ToString();
    return put.ok() ? put->version : VersionInfo();
  }

  SearchResult Find(const std::string& text, std::optional<SearchKind> kind = std::nullopt,
                    bool all = false) {
    SearchQuery query;
    query.text = text;
    query.kind = kind;
    query.all_versions = all;
    return index_.Search(query);
  }

  static std::vector<std::string> Names(const SearchResult& result) {
    std::vector<std::string> names;
    for (const auto& hit : result.hits) names.push_back(hit.name + "@" + hit.version);
    return names;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  SearchIndex index_;
};

TEST_F(SearchIndexTest, EveryElementHasItsFullNameLineAndLeadingComment) {
  ASSERT_TRUE(index_.Add(*store_, Put("user", "v1.0.0", {{"acme/user.proto", kUser}})).ok());
  SearchResult email = Find("email", SearchKind::kField);
  ASSERT_EQ(email.hits.size(), 1u);
  const SearchHit& hit = email.hits[0];
  EXPECT_EQ(hit.name, "acme.user.v1.User.email");
  EXPECT_EQ(hit.module, "user");
  EXPECT_EQ(hit.version, "v1.0.0");
  EXPECT_EQ(hit.file, "acme/user.proto");
  EXPECT_EQ(hit.line, 8);
  EXPECT_EQ(hit.comment, "The user's email");
  EXPECT_EQ(hit.score, 100);

  EXPECT_EQ(Find("User", SearchKind::kMessage).hits.at(0).comment, "A person who signs in.");
  EXPECT_EQ(Find("GetUser").hits.at(0).name, "acme.user.v1.Users.GetUser");
  EXPECT_EQ(Find("GetUser").hits.at(0).kind, SearchKind::kMethod);
  EXPECT_EQ(Find("GetUser").hits.at(0).line, 14);
  EXPECT_EQ(Find("admin").hits.at(0).name, "acme.user.v1.User.Role.ADMIN");
  EXPECT_EQ(Find("admin").hits.at(0).kind, SearchKind::kEnumValue);
  // The parser's entry type for a map field is nobody's declaration.
  EXPECT_TRUE(Find("TagsEntry").hits.empty());
  EXPECT_EQ(Find("user.proto", SearchKind::kFile).hits.at(0).name, "acme/user.proto");
  EXPECT_EQ(Find("user", SearchKind::kModule).hits.at(0).line, 0);
}

TEST_F(SearchIndexTest, ExactBeatsPrefixBeatsSubstringAndNamesBeatComments) {
  ASSERT_TRUE(index_.Add(*store_, Put("user", "v1.0.0", {{"acme/user.proto", kUser}})).ok());
  ASSERT_TRUE(
      index_.Add(*store_, Put("billing", "v1.0.0", {{"acme/billing.proto", kBilling}})).ok());
  SearchResult result = Find("EMAIL", SearchKind::kField);
  std::vector<std::string> expected = {
      "acme.user.v1.User.email@v1.0.0",                    // exact simple name, any case
      "acme.billing.v1.Invoice.email_verified_at@v1.0.0",  // prefix
      "acme.billing.v1.Invoice.billing_email@v1.0.0",      // substring
      "acme.billing.v1.Invoice.notify@v1.0.0",             // only its comment
  };
  EXPECT_EQ(Names(result), expected);
  std::vector<int> scores;
  for (const auto& hit : result.hits) scores.push_back(hit.score);
  EXPECT_EQ(scores, (std::vector<int>{100, 80, 60, 20}));
  EXPECT_EQ(result.total, 4u);

  // A full name matches too, below any simple-name match of the same kind.
  SearchResult full = Find("acme.user.v1.User.email");
  ASSERT_FALSE(full.hits.empty());
  EXPECT_EQ(full.hits[0].score, 90);
  EXPECT_EQ(Find("acme.billing.v1.Inv", SearchKind::kMessage).hits.at(0).score, 70);

  SearchQuery limited;
  limited.text = "email";
  limited.kind = SearchKind::kField;
  limited.limit = 2;
  SearchResult two = index_.Search(limited);
  EXPECT_EQ(two.hits.size(), 2u);
  EXPECT_EQ(two.total, 4u);
  EXPECT_EQ(two.hits[1].name, "acme.billing.v1.Invoice.email_verified_at");
}

TEST_F(SearchIndexTest, TheLatestReleaseByDefaultEveryVersionOnRequest) {
  const std::string v1 = "syntax = \"proto3\";\npackage p;\nmessage Order { string note = 1; }\n";
  const std::string v2 = "syntax = \"proto3\";\npackage p;\nmessage Order { string remark = 1; }\n";
  ASSERT_TRUE(index_.Add(*store_, Put("order", "v1.0.0", {{"order.proto", v1}})).ok());
  ASSERT_TRUE(index_.Add(*store_, Put("order", "v1.1.0", {{"order.proto", v2}})).ok());
  ASSERT_TRUE(index_.Add(*store_, Put("order", "v2.0.0-rc.1", {{"order.proto", v1}})).ok());
  ASSERT_TRUE(index_.Add(*store_, Put("draft", "v0.1.0-alpha", {{"draft.proto", v1}})).ok());

  // order's latest is its highest release; draft has only a pre-release, which stands in.
  EXPECT_EQ(Names(Find("Order", SearchKind::kMessage)),
            (std::vector<std::string>{"p.Order@v0.1.0-alpha", "p.Order@v1.1.0"}));
  EXPECT_TRUE(Find("note", SearchKind::kField).hits.size() == 1);
  EXPECT_EQ(Find("note", SearchKind::kField).hits[0].module, "draft");
  // Every version: highest first within a module.
  EXPECT_EQ(Names(Find("note", SearchKind::kField, true)),
            (std::vector<std::string>{"p.Order.note@v0.1.0-alpha", "p.Order.note@v2.0.0-rc.1",
                                      "p.Order.note@v1.0.0"}));
  EXPECT_EQ(index_.version_count(), 4u);
}

TEST_F(SearchIndexTest, AVersionThatDoesNotParseIsLeftOutAndTheRestStillAnswer) {
  ASSERT_TRUE(index_.Add(*store_, Put("user", "v1.0.0", {{"acme/user.proto", kUser}})).ok());
  VersionInfo broken =
      Put("user", "v1.1.0", {{"acme/user.proto", "syntax = \"proto3\";\nmessage {\n"}});
  Status s = index_.Add(*store_, broken);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("user@v1.1.0"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("acme/user.proto:2:"), std::string::npos) << s.ToString();
  EXPECT_TRUE(index_.Knows("user", "v1.1.0"));
  // The highest version indexed answers for the module.
  EXPECT_EQ(Find("email", SearchKind::kField).hits.at(0).version, "v1.0.0");
}

TEST_F(SearchIndexTest, AddAllIndexesAStoreAndAddingTwiceChangesNothing) {
  Put("user", "v1.0.0", {{"acme/user.proto", kUser}});
  Put("user", "v1.1.0", {{"acme/user.proto", kUser}, {"acme/billing.proto", kBilling}});
  Put("billing", "v1.0.0", {{"acme/billing.proto", kBilling}});
  Put("bad", "v1.0.0", {{"bad.proto", "message {"}});
  std::vector<Status> left_out;
  index_.AddAll(*store_,
                {{"bad", "v1.0.0"}, {"billing", "v1.0.0"}, {"user", "v1.0.0"}, {"user", "v1.1.0"}},
                &left_out);
  ASSERT_EQ(left_out.size(), 1u);
  EXPECT_NE(left_out[0].message().find("bad@v1.0.0"), std::string::npos);
  EXPECT_EQ(index_.version_count(), 3u);
  auto again = store_->GetVersion("user", "v1.1.0");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(index_.Add(*store_, *again).ok());
  EXPECT_EQ(index_.version_count(), 3u);
  EXPECT_EQ(Find("billing_email", SearchKind::kField, true).total, 2u);
}

TEST(SearchKindTest, NamesRoundTripAndUnknownOnesAreRefused) {
  for (auto kind :
       {SearchKind::kModule, SearchKind::kFile, SearchKind::kMessage, SearchKind::kEnum,
        SearchKind::kEnumValue, SearchKind::kService, SearchKind::kMethod, SearchKind::kField}) {
    auto parsed = ParseSearchKind(SearchKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(ParseSearchKind("rpc").status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace spoke
