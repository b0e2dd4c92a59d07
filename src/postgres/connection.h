// A connection to PostgreSQL through libpq, for the store's PostgreSQL backend (docs/storage.md,
// "PostgreSQL backend: the foundation"). It knows SQL, not git: the tables are the store's.
//
// Every call answers a Status. A statement's failure keeps PostgreSQL's own message and its
// SQLSTATE (Connection::last_sql_state()), so a caller tells a lost race (a unique violation on a
// version tag, a serialization failure) from a broken database; both races are kConflict, as the
// filesystem backend's lost compare-and-swap is.
//
// Parameters and results are binary-safe: bytea travels as raw bytes both ways (no hex text, which
// would double a pack chunk on the wire), results come in PostgreSQL's binary format and are read
// with the typed accessors of Rows.
//
// A Connection is used by one thread at a time; open one per thread.
#ifndef SPOKE_POSTGRES_CONNECTION_H_
#define SPOKE_POSTGRES_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spoke/status.h"

struct pg_conn;
struct pg_result;

namespace spoke::postgres {

// SQLSTATEs callers act on (PostgreSQL's appendix A).
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";

// One statement parameter ($1, $2, ...).
class Param {
 public:
  // Text PostgreSQL parses as the type the statement gives the parameter (text, integer, interval).
  // REQUIRES: no NUL byte (libpq sends text parameters as C strings); Execute refuses one.
  static Param Text(std::string_view text);
  // A bytea value, sent as raw bytes. At most 1 GB (PostgreSQL's limit); Execute answers TooLarge
  // for more.
  static Param Bytes(std::string_view bytes);
  static Param Int64(int64_t value);
  static Param Null();

 private:
  friend class Connection;
  enum class Kind { kText, kBytes, kInt64, kNull };
  Param(Kind kind, std::string value) : kind_(kind), value_(std::move(value)) {}
  Kind kind_;
  std::string value_;
};

// A statement's result rows, in binary format. Owns its libpq result.
class Rows {
 public:
  Rows(Rows&& other) noexcept;
  Rows& operator=(Rows&& other) noexcept;
  ~Rows();

  int size() const;     // number of rows
  int columns() const;  // number of columns
  // Rows an INSERT, UPDATE or DELETE touched (without RETURNING too): what a compare-and-swap
  // `UPDATE ... WHERE target = old` checks.
  int64_t affected() const;

  // REQUIRES for the accessors: row < size(), column < columns().
  bool IsNull(int row, int column) const;
  // A bytea, text or varchar value: the raw bytes, valid while this Rows lives. "" for NULL.
  std::string_view Bytes(int row, int column) const;
  // An int2, int4 or int8 value (bool too: 0 or 1). InvalidArgument for another column type, NULL
  // included: a mismatch is the query's bug and names the column.
  Result<int64_t> Int64(int row, int column) const;

 private:
  friend class Connection;
  explicit Rows(pg_result* result) : result_(result) {}
  pg_result* result_;
};

// A notification received on a channel this connection LISTENs to.
struct Notification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;  // the backend process that sent it
};

class Connection {
 public:
  // Connects with a libpq URL or key=value string ("postgresql://user@host:port/db"). Unless the
  // URL says otherwise, connecting gives up after 10 s (connect_timeout) and the connection is
  // named `spoke` in pg_stat_activity (application_name).
  // Unavailable, with PostgreSQL's message and where it tried (never the password), when the server
  // cannot be reached or refuses; InvalidArgument when `url` does not parse.
  static Result<std::unique_ptr<Connection>> Open(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with parameters $1..$n. On failure the Status carries PostgreSQL's message
  // and SQLSTATE; the code follows from the SQLSTATE: unique violation, serialization failure and
  // deadlock are kConflict (the caller lost a race and may retry), a lost connection and a server
  // shutting down or out of resources kUnavailable, a syntax or undefined-object error kInternal
  // (Spoke's SQL is wrong), a data exception kInvalidArgument, anything else kIOError.
  Result<Rows> Execute(std::string_view sql, const std::vector<Param>& params = {});

  // Runs several statements without parameters (the simple query protocol), for schema scripts.
  Status ExecuteScript(std::string_view sql);

  // The SQLSTATE of the last statement that failed on this connection ("23505"), or "" when the
  // last statement succeeded or failed without reaching the server.
  const std::string& last_sql_state() const { return last_sql_state_; }

  // Transactions. Begin(true) is SERIALIZABLE (a commit may then fail with 40001, kConflict);
  // Commit of a transaction a failed statement aborted rolls it back and answers that statement's
  // Status again, never ok: PostgreSQL reports such a COMMIT as a successful ROLLBACK. REQUIRES:
  // Begin not inside a transaction, Commit/Rollback inside one. After a failed Commit,
  // last_sql_state() is the cause's. Prefer Transaction below.
  Status Begin(bool serializable = false);
  Status Commit();
  Status Rollback();
  bool InTransaction() const;

  // Subscribes to `channel` (any name; quoted here). Notifications sent by any connection are
  // delivered when the sender's transaction commits, and queued until read.
  Status Listen(std::string_view channel);
  // Sends `payload` on `channel` (pg_notify), delivered when this connection's transaction commits
  // (at once outside one).
  Status Notify(std::string_view channel, std::string_view payload);
  // The next notification, waiting up to `timeout` for one: nullopt when none came in time.
  // Unavailable when the connection is lost (a listener must then reconnect and re-read what it
  // follows, since NOTIFY has no replay). REQUIRES: not inside a statement.
  Result<std::optional<Notification>> WaitForNotification(std::chrono::milliseconds timeout);

  // The server's process id for this connection (pg_backend_pid()), for messages and tests.
  int backend_pid() const;
  // "user@host:port/database", for messages.
  const std::string& description() const { return description_; }

 private:
  Connection(pg_conn* conn, std::string description);
  Status StatementError(pg_result* result, std::string_view sql);
  Status ConnectionLost(std::string_view what);

  pg_conn* conn_;
  std::string description_;
  std::string last_sql_state_;
  // The failure that aborted the open transaction, and its SQLSTATE, answered by Commit.
  Status aborted_by_;
  std::string aborted_sql_state_;
};

// A transaction that rolls back unless committed: the guard for Connection::Begin.
class Transaction {
 public:
  // Begins a transaction on `connection`, which must outlive this object.
  static Result<Transaction> Begin(Connection& connection, bool serializable = false);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  // Rolls back when neither Commit nor Rollback was called.
  ~Transaction();

  Status Commit();
  Status Rollback();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_;  // nullptr once finished or moved from
};

}  // namespace spoke::postgres

#endif  // SPOKE_POSTGRES_CONNECTION_H_
