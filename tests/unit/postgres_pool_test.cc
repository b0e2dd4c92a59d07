// The connection pool (src/postgres/connection_pool.h) against a real PostgreSQL: its cap holds
// under many threads, as the server counts connections too; a taker at the cap gets the one given
// back or, after its wait, a clear Unavailable; a thread nesting a second lease is never made to
// wait; a discarded connection frees its place.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "postgres/connection_pool.h"
#include "postgres_fixture.h"

namespace spoke::testing {
namespace {

using postgres::ConnectionPool;
using std::chrono::milliseconds;

class PostgresPoolTest : public PostgresTest {
 protected:
  // Connections the server has open to the test's database, the caller's own included.
  static int64_t ServerConnections(postgres::Connection& observer) {
    return QueryInt(observer,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()");
  }
};

TEST_F(PostgresPoolTest, ManyThreadsNeverOpenMoreThanTheCap) {
  auto observer = Connect();
  ASSERT_NE(observer, nullptr);
  constexpr int kCap = 3;
  ConnectionPool pool(url_, kCap);
  std::atomic<int> most_open{0};
  std::atomic<int64_t> most_seen_by_server{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto lease = pool.Take();
        if (!lease.ok()) {
          ++failures;
          continue;
        }
        // Each statement asks the server how many connections the database has: the pool's
        // own plus the observer.
        int64_t seen = ServerConnections(**lease) - 1;
        int64_t previous = most_seen_by_server.load();
        while (seen > previous && !most_seen_by_server.compare_exchange_weak(previous, seen)) {
        }
        int open = pool.open();
        int before = most_open.load();
        while (open > before && !most_open.compare_exchange_weak(before, open)) {
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(most_open.load(), kCap);
  EXPECT_GE(most_open.load(), 2) << "eight threads at once should have needed more than one";
  EXPECT_LE(most_seen_by_server.load(), kCap);
  EXPECT_EQ(ServerConnections(*observer) - 1, pool.open()) << "idle connections stay open";
}

TEST_F(PostgresPoolTest, ATakerAtTheCapTimesOutSayingSoThenGetsTheOneGivenBack) {
  ConnectionPool pool(url_, 1, milliseconds(300));
  auto held = pool.Take();
  ASSERT_TRUE(held.ok()) << held.status().ToString();

  // Another thread (this one holds a lease, and may nest) finds the only connection in use.
  Status waited = Status::Internal("not run");
  std::thread([&] { waited = pool.Take().status(); }).join();
  EXPECT_EQ(waited.code(), Status::Code::kUnavailable);
  EXPECT_NE(waited.message().find("all 1 connections to PostgreSQL stayed in use"),
            std::string::npos)
      << waited.message();

  // Given back while another thread waits: that thread gets it, and no second one opens.
  ConnectionPool patient(url_, 1, std::chrono::seconds(30));
  auto first = patient.Take();
  ASSERT_TRUE(first.ok());
  postgres::Connection* first_connection = &**first;
  std::atomic<bool> taking{false};
  postgres::Connection* got = nullptr;
  std::thread waiter([&] {
    taking = true;
    auto lease = patient.Take();
    if (lease.ok()) got = &**lease;
  });
  while (!taking.load()) std::this_thread::yield();
  { auto give_back = std::move(*first); }  // the lease ends here
  waiter.join();
  EXPECT_EQ(got, first_connection) << "the waiter should get the connection given back";
  EXPECT_EQ(patient.open(), 1);
}

TEST_F(PostgresPoolTest, AThreadHoldingALeaseNestsPastTheCapInsteadOfWaitingForItself) {
  ConnectionPool pool(url_, 1, milliseconds(300));
  auto outer = pool.Take();
  ASSERT_TRUE(outer.ok());
  auto inner = pool.Take();  // a read inside a transaction, say
  ASSERT_TRUE(inner.ok()) << inner.status().ToString();
  EXPECT_NE(&**outer, &**inner);
  EXPECT_EQ(pool.open(), 2);
}

TEST_F(PostgresPoolTest, ADiscardedConnectionFreesItsPlaceUnderTheCap) {
  ConnectionPool pool(url_, 1, milliseconds(300));
  {
    auto lease = pool.Take();
    ASSERT_TRUE(lease.ok());
    lease->Discard();
  }
  EXPECT_EQ(pool.open(), 0);
  std::thread([&] {
    auto again = pool.Take();
    EXPECT_TRUE(again.ok()) << again.status().ToString();
  }).join();
  EXPECT_EQ(pool.open(), 1);
}

TEST_F(PostgresPoolTest, AFailedOpenFreesItsPlaceAndSaysWhy) {
  ConnectionPool pool(url_ + "_no_such_database", 1, milliseconds(300));
  auto lease = pool.Take();
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(pool.open(), 0);
  auto again = pool.Take();
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("no_such_database"), std::string::npos)
      << again.status().message();
}

}  // namespace
}  // namespace spoke::testing
