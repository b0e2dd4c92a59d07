// The fixture of the PostgreSQL unit tests: a real server of the test's own (tests/pg_cluster.h)
// with an empty database `spoke`, and connections to it.
#ifndef SPOKE_TESTS_UNIT_POSTGRES_FIXTURE_H_
#define SPOKE_TESTS_UNIT_POSTGRES_FIXTURE_H_

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "pg_cluster.h"
#include "postgres/connection.h"
#include "store/postgres_schema.h"
#include "test_support.h"

namespace spoke::testing {

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = PgCluster::Start();
    if (!started.ok() && started.status().code() == Status::Code::kNotFound) {
      GTEST_SKIP() << started.status().message();
    }
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    cluster_ = std::move(started).value();
    auto url = cluster_->CreateDatabase("spoke");
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    url_ = *url;
  }

  // A new connection to the test's database; nullptr (and a test failure) when it cannot open.
  std::unique_ptr<postgres::Connection> Connect() {
    auto connection = postgres::Connection::Open(url_);
    EXPECT_TRUE(connection.ok()) << connection.status().ToString();
    return connection.ok() ? std::move(connection).value() : nullptr;
  }

  // A connection to the database with Spoke's tables in it.
  std::unique_ptr<postgres::Connection> ConnectMigrated() {
    auto connection = Connect();
    if (connection == nullptr) return nullptr;
    auto migrated = MigratePostgresSchema(*connection);
    EXPECT_TRUE(migrated.ok()) << migrated.status().ToString();
    return connection;
  }

  // The connections of a race: two writers (the first has migrated the database) and an observer
  // that watches them wait for each other's locks. All null, with a test failure, when one cannot
  // open: checking one is checking all.
  struct Race {
    std::unique_ptr<postgres::Connection> first, second, observer;
  };
  Race ConnectRace() {
    Race race{ConnectMigrated(), Connect(), Connect()};
    if (race.first == nullptr || race.second == nullptr || race.observer == nullptr) return {};
    return race;
  }

  // The one integer a query answers (a count), or -1 with a test failure.
  static int64_t QueryInt(postgres::Connection& connection, const std::string& sql,
                          const std::vector<postgres::Param>& params = {}) {
    auto rows = connection.Execute(sql, params);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->size() != 1) return -1;
    auto value = rows->Int64(0, 0);
    EXPECT_TRUE(value.ok()) << value.status().ToString();
    return value.ok() ? *value : -1;
  }

  std::unique_ptr<PgCluster> cluster_;
  std::string url_;
};

// A 40-hex object id made from `n`, for ref targets.
inline std::string ObjectIdOf(int n) {
  std::string hex = std::to_string(n);
  return std::string(40 - hex.size(), 'a') + hex;
}

// Waits until the server process `pid` waits for a lock (it is blocked behind another
// transaction), polling pg_stat_activity for a minute at most. False when it never did.
inline bool WaitUntilBlocked(postgres::Connection& observer, int pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto rows = observer.Execute(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::integer AND wait_event_type = "
        "'Lock'",
        {postgres::Param::Int64(pid)});
    if (rows.ok() && *rows->Int64(0, 0) == 1) return true;
  }
  return false;
}

}  // namespace spoke::testing

#endif  // SPOKE_TESTS_UNIT_POSTGRES_FIXTURE_H_
