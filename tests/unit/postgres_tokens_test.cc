// The token store in PostgreSQL (spoke/sys/postgres_tokens.h) against a real server: what a token
// file keeps, kept in rows; a stamp that moves with every change; a name two processes race for
// goes to one; a server's TokenRegistry sees another process's revoke on its next lookup.
#include <atomic>
#include <thread>
#include <vector>

#include "postgres_fixture.h"
#include "spoke/sys/postgres_tokens.h"
#include "spoke/tokens.h"

namespace spoke::testing {
namespace {

std::vector<TokenScope> Scopes(const std::vector<std::string>& texts) {
  std::vector<TokenScope> scopes;
  for (const std::string& text : texts) scopes.push_back(*TokenScope::Parse(text));
  return scopes;
}

TEST_F(PostgresTest, TokensRoundTripWithTheirScopesAndNeverTheirText) {
  auto tokens = OpenPostgresTokens(url_);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  auto made = (*tokens)->Create("ci", Scopes({"read", "write:acme/"}));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto listed = (*tokens)->List();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  const TokenRecord& record = listed->front();
  EXPECT_EQ(record.name, "ci");
  EXPECT_EQ(record.sha256, TokenHash(*made));
  ASSERT_EQ(record.scopes.size(), 2u);
  EXPECT_EQ(record.scopes[0].ToString(), "read");
  EXPECT_EQ(record.scopes[1].ToString(), "write:acme/");
  EXPECT_GT(record.created, 0);
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM tokens WHERE sha256 = $1 OR scopes LIKE $2",
                     {postgres::Param::Text(*made), postgres::Param::Text("%" + *made + "%")}),
            0);
  EXPECT_NE((*tokens)->Describe().find("PostgreSQL"), std::string::npos);

  // Bad names and no scopes are refused as for a file; so is an unknown name at revoke.
  EXPECT_EQ((*tokens)->Create("two words", Scopes({"read"})).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ((*tokens)->Create("none", {}).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ((*tokens)->Revoke("nobody").status().code(), Status::Code::kNotFound);
  // Revoked by id as well as by name.
  auto removed = (*tokens)->Revoke(record.id);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(removed->name, "ci");
  EXPECT_TRUE((*tokens)->List()->empty());
}

TEST_F(PostgresTest, TheStampMovesWithEveryCreateAndRevoke) {
  auto tokens = OpenPostgresTokens(url_);
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  TokenStore& store = **tokens;
  std::vector<std::string> stamps{*store.Stamp()};
  ASSERT_TRUE(store.Create("a", Scopes({"read"})).ok());
  stamps.push_back(*store.Stamp());
  ASSERT_TRUE(store.Create("b", Scopes({"read"})).ok());
  stamps.push_back(*store.Stamp());
  ASSERT_TRUE(store.Revoke("a").ok());  // not the newest
  stamps.push_back(*store.Stamp());
  ASSERT_TRUE(store.Create("c", Scopes({"read"})).ok());
  stamps.push_back(*store.Stamp());
  ASSERT_TRUE(store.Revoke("c").ok());  // the newest
  stamps.push_back(*store.Stamp());
  for (size_t i = 1; i < stamps.size(); ++i)
    EXPECT_NE(stamps[i], stamps[i - 1]) << "after change " << i;
  EXPECT_EQ(*store.Stamp(), stamps.back()) << "no change, same stamp";
}

TEST_F(PostgresTest, OfTwoProcessesCreatingOneNameOneWins) {
  auto first = OpenPostgresTokens(url_);
  auto second = OpenPostgresTokens(url_);
  ASSERT_TRUE(first.ok() && second.ok());
  std::atomic<int> won{0}, lost{0};
  std::vector<std::thread> racers;
  for (TokenStore* store : {first->get(), second->get(), first->get(), second->get()}) {
    racers.emplace_back([&, store] {
      auto made = store->Create("deploy", Scopes({"write"}));
      if (made.ok()) {
        ++won;
      } else if (made.status().code() == Status::Code::kAlreadyExists) {
        ++lost;
      }
    });
  }
  for (std::thread& racer : racers) racer.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), 3);
  EXPECT_EQ((*first)->List()->size(), 1u);
}

TEST_F(PostgresTest, ARegistryRefusesATokenAnotherProcessRevokedOnItsNextLookup) {
  auto admin = OpenPostgresTokens(url_);
  auto served = OpenPostgresTokens(url_);
  ASSERT_TRUE(admin.ok() && served.ok());
  TokenRegistry registry(std::move(*served), "");
  EXPECT_FALSE(registry.AnyToken());
  auto token = (*admin)->Create("ci", Scopes({"write"}));
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(registry.AnyToken());
  auto found = registry.Find(*token);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->name, "ci");
  EXPECT_EQ(registry.Find("spoke_not-a-token").status().code(), Status::Code::kNotFound);
  ASSERT_TRUE((*admin)->Revoke("ci").ok());
  EXPECT_EQ(registry.Find(*token).status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(registry.AnyToken());
}

}  // namespace
}  // namespace spoke::testing
