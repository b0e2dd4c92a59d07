// The libpq connection (src/postgres/connection.h) against a real PostgreSQL: how failures read,
// binary-safe values, transactions that fail honestly, LISTEN/NOTIFY with a timeout. And the
// harness itself: a cluster is gone, process and files, once the test is done with it.
#include <libpq-fe.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "postgres_fixture.h"

namespace spoke::testing {
namespace {

using postgres::Connection;
using postgres::Param;
using postgres::Transaction;
using std::chrono::milliseconds;

TEST(PostgresConnectionFailure, NoServerGivesUnavailableNamingWhereAndWhy) {
  // Port 1 on loopback: nothing listens there, so the kernel refuses at once.
  auto connection =
      Connection::Open("postgresql://spoke:secret-password@127.0.0.1:1/spoke?connect_timeout=5");
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), Status::Code::kUnavailable);
  const std::string& message = connection.status().message();
  EXPECT_NE(message.find("cannot connect to PostgreSQL at spoke@127.0.0.1:1/spoke"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("refused"), std::string::npos) << "PostgreSQL's own reason: " << message;
  EXPECT_EQ(message.find("secret-password"), std::string::npos) << message;
}

TEST(PostgresConnectionFailure, AUrlThatDoesNotParseIsInvalidArgument) {
  auto connection = Connection::Open("postgresql://spoke@127.0.0.1:1/spoke?no_such_option=1");
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(connection.status().message().find("no_such_option"), std::string::npos)
      << connection.status().message();
}

TEST_F(PostgresTest, AMissingDatabaseGivesPostgresMessage) {
  auto connection = Connection::Open(cluster_->Url("no_such_db"));
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(connection.status().message().find("database \"no_such_db\" does not exist"),
            std::string::npos)
      << connection.status().message();
}

TEST_F(PostgresTest, TheUrlOverridesTheConnectionDefaults) {
  auto plain = Connect();
  ASSERT_NE(plain, nullptr);
  auto named = plain->Execute("SELECT current_setting('application_name')");
  SPOKE_ASSERT_OK(named);
  EXPECT_EQ(named->Bytes(0, 0), "spoke");

  auto own = Connection::Open(url_ + "?application_name=mirror-3&connect_timeout=2");
  SPOKE_ASSERT_OK(own);
  auto renamed = (*own)->Execute("SELECT current_setting('application_name')");
  SPOKE_ASSERT_OK(renamed);
  EXPECT_EQ(renamed->Bytes(0, 0), "mirror-3");
}

TEST_F(PostgresTest, BytesAndIntegersRoundTripExactly) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  std::string every_byte;
  for (int i = 0; i < 256; ++i) every_byte.push_back(static_cast<char>(i));
  auto rows = c->Execute("SELECT $1::bytea, $2::bigint, $3::integer, $4::smallint, true, $5::text",
                         {Param::Bytes(every_byte), Param::Int64(-1234567890123), Param::Int64(-7),
                          Param::Int64(300), Param::Text("ref/é")});
  SPOKE_ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1);
  EXPECT_EQ(rows->Bytes(0, 0), every_byte);
  EXPECT_EQ(*rows->Int64(0, 1), -1234567890123);
  EXPECT_EQ(*rows->Int64(0, 2), -7);
  EXPECT_EQ(*rows->Int64(0, 3), 300);
  EXPECT_EQ(*rows->Int64(0, 4), 1);
  EXPECT_EQ(rows->Bytes(0, 5), "ref/é");
  EXPECT_EQ(rows->Int64(0, 5).status().code(), Status::Code::kInvalidArgument);

  auto empty = c->Execute("SELECT $1::bytea, $2::text", {Param::Bytes(""), Param::Null()});
  SPOKE_ASSERT_OK(empty);
  EXPECT_FALSE(empty->IsNull(0, 0));
  EXPECT_EQ(empty->Bytes(0, 0), "");
  EXPECT_TRUE(empty->IsNull(0, 1));

  auto nul = c->Execute("SELECT $1::text", {Param::Text(std::string("a\0b", 3))});
  EXPECT_EQ(nul.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(PostgresTest, AFailedStatementKeepsItsSqlStateAndMessage) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto syntax = c->Execute("SELEC 1");
  EXPECT_EQ(syntax.status().code(), Status::Code::kInternal);
  EXPECT_EQ(c->last_sql_state(), "42601");
  EXPECT_NE(syntax.status().message().find("syntax error"), std::string::npos)
      << syntax.status().message();
  EXPECT_NE(syntax.status().message().find("SELEC 1"), std::string::npos);

  SPOKE_ASSERT_OK(c->Execute("CREATE TABLE t (k text PRIMARY KEY)"));
  SPOKE_ASSERT_OK(c->Execute("INSERT INTO t VALUES ('a')"));
  EXPECT_EQ(c->last_sql_state(), "");
  auto duplicate = c->Execute("INSERT INTO t VALUES ('a')");
  EXPECT_EQ(duplicate.status().code(), Status::Code::kConflict);
  EXPECT_EQ(c->last_sql_state(), postgres::kUniqueViolation);
  EXPECT_NE(duplicate.status().message().find("Key (k)=(a) already exists"), std::string::npos)
      << duplicate.status().message();
}

TEST_F(PostgresTest, CommitAfterAFailedStatementRollsBackAndSaysWhy) {
  auto c = Connect();
  auto other = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_NE(other, nullptr);
  SPOKE_ASSERT_OK(c->Execute("CREATE TABLE t (k text PRIMARY KEY)"));
  SPOKE_ASSERT_OK(c->Execute("INSERT INTO t VALUES ('taken')"));

  auto transaction = Transaction::Begin(*c);
  SPOKE_ASSERT_OK(transaction);
  SPOKE_ASSERT_OK(c->Execute("INSERT INTO t VALUES ('new')"));
  EXPECT_FALSE(c->Execute("INSERT INTO t VALUES ('taken')").ok());
  // A statement after the failure fails too (25P02), but the commit answers the first failure.
  EXPECT_FALSE(c->Execute("SELECT 1").ok());
  EXPECT_EQ(c->last_sql_state(), "25P02");
  // PostgreSQL answers this COMMIT with "ROLLBACK" and no error; the connection must not.
  Status committed = transaction->Commit();
  EXPECT_EQ(committed.code(), Status::Code::kConflict) << committed;
  EXPECT_NE(committed.message().find("rolled back"), std::string::npos) << committed;
  EXPECT_EQ(c->last_sql_state(), postgres::kUniqueViolation) << "the cause's, not the ROLLBACK's";
  EXPECT_FALSE(c->InTransaction());
  EXPECT_EQ(QueryInt(*other, "SELECT count(*) FROM t WHERE k = 'new'"), 0);
  SPOKE_EXPECT_OK(c->Execute("SELECT 1"));  // the connection is usable again
}

TEST_F(PostgresTest, ASerializationFailureIsAConflictWithItsSqlState) {
  auto first = Connect();
  auto second = Connect();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  SPOKE_ASSERT_OK(first->Execute("CREATE TABLE t (k text)"));
  // Write skew: each reads the (empty) table and inserts; serially one would have seen the other.
  auto a = Transaction::Begin(*first, /*serializable=*/true);
  auto b = Transaction::Begin(*second, /*serializable=*/true);
  SPOKE_ASSERT_OK(a);
  SPOKE_ASSERT_OK(b);
  EXPECT_EQ(QueryInt(*first, "SELECT count(*) FROM t"), 0);
  EXPECT_EQ(QueryInt(*second, "SELECT count(*) FROM t"), 0);
  SPOKE_ASSERT_OK(first->Execute("INSERT INTO t VALUES ('a')"));
  SPOKE_ASSERT_OK(a->Commit());
  // PostgreSQL may refuse at the INSERT or at the COMMIT; either way the commit says so.
  Status inserted = second->Execute("INSERT INTO t VALUES ('b')").status();
  Status committed = b->Commit();
  EXPECT_FALSE(inserted.ok() && committed.ok());
  EXPECT_EQ(committed.code(), Status::Code::kConflict) << committed;
  EXPECT_EQ(second->last_sql_state(), postgres::kSerializationFailure);
  EXPECT_EQ(QueryInt(*first, "SELECT count(*) FROM t"), 1);
}

TEST_F(PostgresTest, ATransactionNotCommittedIsRolledBack) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  SPOKE_ASSERT_OK(c->Execute("CREATE TABLE t (k text)"));
  {
    auto transaction = Transaction::Begin(*c);
    SPOKE_ASSERT_OK(transaction);
    SPOKE_ASSERT_OK(c->Execute("INSERT INTO t VALUES ('x')"));
    EXPECT_TRUE(c->InTransaction());
  }
  EXPECT_FALSE(c->InTransaction());
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM t"), 0);
}

TEST_F(PostgresTest, ANotifyAfterCommitWakesAListenerAndSilenceTimesOut) {
  auto listener = Connect();
  auto sender = Connect();
  ASSERT_NE(listener, nullptr);
  ASSERT_NE(sender, nullptr);
  SPOKE_ASSERT_OK(listener->Listen("spoke refs"));  // a name that needs quoting

  auto transaction = Transaction::Begin(*sender);
  SPOKE_ASSERT_OK(transaction);
  SPOKE_ASSERT_OK(sender->Notify("spoke refs", "42"));
  // Not committed yet: nothing arrives, and the wait ends at its timeout, not much later.
  auto started = std::chrono::steady_clock::now();
  auto early = listener->WaitForNotification(milliseconds(300));
  auto waited = std::chrono::steady_clock::now() - started;
  SPOKE_ASSERT_OK(early);
  EXPECT_FALSE(early->has_value());
  EXPECT_GE(waited, milliseconds(300));
  EXPECT_LT(waited, milliseconds(3000));

  // Committed from another thread while the listener waits: it wakes well before the timeout.
  std::thread commit([&] { SPOKE_EXPECT_OK(transaction->Commit()); });
  started = std::chrono::steady_clock::now();
  auto woken = listener->WaitForNotification(milliseconds(30000));
  waited = std::chrono::steady_clock::now() - started;
  commit.join();
  SPOKE_ASSERT_OK(woken);
  ASSERT_TRUE(woken->has_value());
  EXPECT_EQ((*woken)->channel, "spoke refs");
  EXPECT_EQ((*woken)->payload, "42");
  EXPECT_EQ((*woken)->sender_pid, sender->backend_pid());
  EXPECT_LT(waited, milliseconds(10000));
  std::printf("[ figures  ] NOTIFY to wake-up: %.2f ms\n",
              std::chrono::duration<double, std::milli>(waited).count());

  // Exactly one: the queue is empty again.
  auto again = listener->WaitForNotification(milliseconds(50));
  SPOKE_ASSERT_OK(again);
  EXPECT_FALSE(again->has_value());
}

TEST_F(PostgresTest, AListenerWhoseConnectionDiesGetsUnavailable) {
  auto listener = Connect();
  auto admin = Connect();
  ASSERT_NE(listener, nullptr);
  ASSERT_NE(admin, nullptr);
  SPOKE_ASSERT_OK(listener->Listen("spoke_ref_changes"));
  SPOKE_ASSERT_OK(admin->Execute("SELECT pg_terminate_backend($1::integer)",
                                 {Param::Int64(listener->backend_pid())}));
  auto waited = listener->WaitForNotification(milliseconds(30000));
  EXPECT_EQ(waited.status().code(), Status::Code::kUnavailable) << waited.status();
}

TEST(PgClusterHarness, TeardownStopsTheServerAndRemovesItsDirectory) {
  std::string conninfo, directory;
  {
    SPOKE_START_PG_OR_SKIP(cluster);
    conninfo = "host=127.0.0.1 port=" + std::to_string(cluster->port()) +
               " dbname=postgres user=spoke connect_timeout=5";
    directory = cluster->directory();
    EXPECT_EQ(PQping(conninfo.c_str()), PQPING_OK);
    EXPECT_TRUE(std::filesystem::exists(directory + "/data/PG_VERSION"));
  }
  EXPECT_EQ(PQping(conninfo.c_str()), PQPING_NO_RESPONSE);
  EXPECT_FALSE(std::filesystem::exists(directory));
}

}  // namespace
}  // namespace spoke::testing
