// Refs in PostgreSQL (src/store/postgres_refs.h) against a real server: the compare-and-swap a
// publication runs (a tag and its branch together, or neither), pushers of different versions
// racing on one branch, and the change log a following server reads.
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "postgres_fixture.h"
#include "store/postgres_ref_follower.h"
#include "store/postgres_refs.h"

namespace spoke::testing {
namespace {

using postgres::Transaction;

const std::string kBranch = "refs/heads/user/_history";

std::string TagOf(int n) { return "refs/tags/user/v1.0." + std::to_string(n); }

// Publishes version `n` on top of branch tip `tip` ("" for the first) in one transaction.
Status Publish(postgres::Connection& c, int n, const std::string& tip) {
  SPOKE_ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(c));
  SPOKE_RETURN_IF_ERROR(
      ApplyRefUpdates(c, {{kBranch, tip, ObjectIdOf(1000 + n)}, {TagOf(n), "", ObjectIdOf(n)}}));
  return transaction.Commit();
}

// The branch's target, "" when absent.
std::string TipOf(postgres::Connection& c) {
  auto refs = ListPostgresRefs(c, kBranch);
  EXPECT_TRUE(refs.ok()) << refs.status();
  return refs.ok() && !refs->empty() ? refs->front().target : "";
}

TEST_F(PostgresTest, ATagAndItsBranchAreUpdatedTogetherOrNotAtAll) {
  auto c = ConnectMigrated();
  ASSERT_NE(c, nullptr);
  SPOKE_ASSERT_OK(Publish(*c, 0, ""));
  auto refs = ListPostgresRefs(*c, "refs/");
  SPOKE_ASSERT_OK(refs);
  ASSERT_EQ(refs->size(), 2u);
  EXPECT_EQ((*refs)[0].name, kBranch);  // byte order: heads before tags
  EXPECT_EQ((*refs)[1].name, TagOf(0));

  // Version 0 again on a new tip: the branch (first by name) moves, then the tag is found taken,
  // and the rollback undoes the branch too.
  auto transaction = Transaction::Begin(*c);
  SPOKE_ASSERT_OK(transaction);
  Status taken = ApplyRefUpdates(
      *c, {{kBranch, ObjectIdOf(1000), ObjectIdOf(1001)}, {TagOf(0), "", ObjectIdOf(5)}});
  EXPECT_EQ(taken.code(), Status::Code::kConflict);
  EXPECT_EQ(taken.message(), "ref " + TagOf(0) + " is at " + ObjectIdOf(0) + ", expected nothing");
  SPOKE_ASSERT_OK(transaction->Rollback());
  EXPECT_EQ(TipOf(*c), ObjectIdOf(1000));

  // A stale tip loses, saying where the branch is.
  Status stale = Publish(*c, 1, ObjectIdOf(999));
  EXPECT_EQ(stale.code(), Status::Code::kConflict);
  EXPECT_EQ(stale.message(),
            "ref " + kBranch + " is at " + ObjectIdOf(1000) + ", expected " + ObjectIdOf(999));
  EXPECT_EQ(TipOf(*c), ObjectIdOf(1000));
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM refs"), 2);

  // An empty new target deletes, compared like any other update.
  {
    auto deleting = Transaction::Begin(*c);
    SPOKE_ASSERT_OK(deleting);
    EXPECT_EQ(ApplyRefUpdates(*c, {{kBranch, ObjectIdOf(1), ""}}).code(), Status::Code::kConflict);
    SPOKE_ASSERT_OK(deleting->Rollback());
  }
  auto deleting = Transaction::Begin(*c);
  SPOKE_ASSERT_OK(deleting);
  SPOKE_ASSERT_OK(ApplyRefUpdates(*c, {{kBranch, ObjectIdOf(1000), ""}}));
  SPOKE_ASSERT_OK(deleting->Commit());
  EXPECT_EQ(TipOf(*c), "");
}

TEST_F(PostgresTest, WritersWhoseFirstRefsDifferButShareALaterOneDoNotDeadlock) {
  auto [first, second, observer] = ConnectRace();
  ASSERT_NE(first, nullptr);
  // The first writer changes a, then b; the second only b. Had the second locked b's row before
  // waiting for the writers' lock, the first would wait on b while holding that lock: a deadlock,
  // broken after a second by aborting one of them.
  auto transaction = Transaction::Begin(*first);
  SPOKE_ASSERT_OK(transaction);
  SPOKE_ASSERT_OK(ApplyRefUpdates(*first, {{"refs/heads/a/_history", "", ObjectIdOf(1)}}));
  Status second_result;
  std::thread racer([&] {
    auto other = Transaction::Begin(*second);
    if (!other.ok()) {
      second_result = other.status();
      return;
    }
    second_result = ApplyRefUpdates(*second, {{"refs/heads/b/_history", "", ObjectIdOf(2)}});
  });
  ASSERT_TRUE(WaitUntilBlocked(*observer, second->backend_pid()));
  SPOKE_ASSERT_OK(ApplyRefUpdates(*first, {{"refs/heads/b/_history", "", ObjectIdOf(3)}}));
  SPOKE_ASSERT_OK(transaction->Commit());
  racer.join();
  EXPECT_EQ(second_result.message(),
            "ref refs/heads/b/_history is at " + ObjectIdOf(3) + ", expected nothing");
  EXPECT_EQ(second->last_sql_state(), "") << "not a deadlock, a lost compare";
}

TEST_F(PostgresTest, PushersOfDifferentVersionsOnOneBranchAllLand) {
  ASSERT_NE(ConnectMigrated(), nullptr);
  constexpr int kPushers = 8;
  std::vector<int> retries(kPushers);
  std::vector<std::thread> pushers;
  for (int n = 0; n < kPushers; ++n) {
    pushers.emplace_back([&, n] {
      auto c = Connect();
      if (c == nullptr) return;
      // The store's loop: read the tip, build on it, compare-and-swap; on a lost race, again.
      for (int attempt = 0; attempt < 1000; ++attempt) {
        Status published = Publish(*c, n, TipOf(*c));
        if (published.ok()) return;
        ASSERT_EQ(published.code(), Status::Code::kConflict) << published;
        ++retries[n];
      }
      ADD_FAILURE() << "pusher " << n << " never landed";
    });
  }
  for (auto& t : pushers) t.join();
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto tags = ListPostgresRefs(*c, "refs/tags/");
  SPOKE_ASSERT_OK(tags);
  EXPECT_EQ(tags->size(), static_cast<size_t>(kPushers));

  // The branch's changes form one chain: each move starts where the one before ended.
  auto changes = ReadRefChanges(*c, 0, 1000);
  SPOKE_ASSERT_OK(changes);
  std::string tip;
  int moves = 0;
  for (const LoggedRefChange& change : *changes) {
    if (change.name != kBranch) continue;
    EXPECT_EQ(change.old_target, tip) << "seq " << change.seq;
    tip = change.new_target;
    ++moves;
  }
  EXPECT_EQ(moves, kPushers);
  EXPECT_EQ(TipOf(*c), tip);
  int total_retries = 0;
  for (int r : retries) total_retries += r;
  std::printf(
      "[ figures  ] %d pushers of different versions on one branch: %d lost races, retried\n",
      kPushers, total_retries);
}

TEST_F(PostgresTest, TheChangeLogIsReadInPagesFromTheLastSequenceSeen) {
  auto c = ConnectMigrated();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(LastRefChangeSeq(*c).value(), 0);
  std::string tip;
  for (int n = 0; n < 5; ++n) {
    SPOKE_ASSERT_OK(Publish(*c, n, tip));
    tip = ObjectIdOf(1000 + n);
  }
  std::vector<LoggedRefChange> all;
  int64_t last = 0;
  for (;;) {
    auto page = ReadRefChanges(*c, last, 3);
    SPOKE_ASSERT_OK(page);
    if (page->empty()) break;
    EXPECT_LE(page->size(), 3u);
    for (const LoggedRefChange& change : *page) {
      EXPECT_GT(change.seq, last);
      last = change.seq;
      all.push_back(change);
    }
  }
  ASSERT_EQ(all.size(), 10u);  // a branch move and a tag per version
  EXPECT_EQ(all[0].name, kBranch);
  EXPECT_EQ(all[0].old_target, "");
  EXPECT_EQ(all[1].name, TagOf(0));
  EXPECT_EQ(all[1].new_target, ObjectIdOf(0));
  EXPECT_EQ(all[9].new_target, ObjectIdOf(4));
  EXPECT_EQ(all[9].pack_id, 0);  // no pack declared
  EXPECT_EQ(LastRefChangeSeq(*c).value(), all[9].seq);
}

TEST_F(PostgresTest, AListingPrefixMeansItsOwnCharacters) {
  auto c = ConnectMigrated();
  ASSERT_NE(c, nullptr);
  auto transaction = Transaction::Begin(*c);
  SPOKE_ASSERT_OK(transaction);
  SPOKE_ASSERT_OK(ApplyRefUpdates(*c, {{"refs/heads/a_b/_history", "", ObjectIdOf(1)},
                                       {"refs/heads/axb/_history", "", ObjectIdOf(2)}}));
  SPOKE_ASSERT_OK(transaction->Commit());
  auto refs = ListPostgresRefs(*c, "refs/heads/a_");
  SPOKE_ASSERT_OK(refs);
  ASSERT_EQ(refs->size(), 1u);
  EXPECT_EQ((*refs)[0].name, "refs/heads/a_b/_history");
}

TEST_F(PostgresTest, AFollowerIsWokenByACommitAndCatchesUpAfterLosingItsConnection) {
  auto writer = ConnectMigrated();
  ASSERT_NE(writer, nullptr);
  RefChangeFollower follower(url_ + "?application_name=follower", 0);
  auto nothing = follower.Next(std::chrono::milliseconds(100));
  SPOKE_ASSERT_OK(nothing);
  EXPECT_TRUE(nothing->empty());

  // A commit while the follower waits wakes it.
  std::thread publisher([&] { SPOKE_EXPECT_OK(Publish(*writer, 0, "")); });
  auto started = std::chrono::steady_clock::now();
  auto first = follower.Next(std::chrono::milliseconds(30000));
  publisher.join();
  SPOKE_ASSERT_OK(first);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(first->size(), 2u) << "one commit's two changes come together";

  // Its connection dies; a version is published meanwhile, and NOTIFY will not repeat it.
  SPOKE_ASSERT_OK(
      writer->Execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                      "application_name = 'follower'"));
  SPOKE_ASSERT_OK(Publish(*writer, 1, ObjectIdOf(1000)));
  auto caught_up = follower.Next(std::chrono::milliseconds(30000));
  SPOKE_ASSERT_OK(caught_up);
  ASSERT_EQ(caught_up->size(), 2u);
  EXPECT_EQ((*caught_up)[1].name, TagOf(1));
  EXPECT_EQ(follower.last_seq(), (*caught_up)[1].seq);

  // The database gone: Unavailable, and the position kept for when it is back.
  int64_t position = follower.last_seq();
  SPOKE_ASSERT_OK(cluster_->Stop());
  auto down = follower.Next(std::chrono::milliseconds(1000));
  EXPECT_EQ(down.status().code(), Status::Code::kUnavailable) << down.status();
  EXPECT_EQ(follower.last_seq(), position);
}

}  // namespace
}  // namespace spoke::testing
