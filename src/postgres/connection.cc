// libpq behind spoke::postgres::Connection: statements with binary parameters and results, the
// SQLSTATE of every failure turned into a Status code, transactions that never report an aborted
// COMMIT as success, and LISTEN/NOTIFY waited on with poll().
#include "postgres/connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

namespace spoke::postgres {
namespace {

// PostgreSQL's type ids (pg_type.oid), stable across versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;

std::string TrimTrailingSpace(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The first line of a statement, shortened, so a message says which statement failed.
std::string StatementHead(std::string_view sql) {
  size_t start = sql.find_first_not_of(" \n\t");
  if (start == std::string_view::npos) return "";
  sql.remove_prefix(start);
  std::string head(sql.substr(0, sql.find('\n')));
  if (head.size() > 60) head = head.substr(0, 57) + "...";
  return head;
}

// "user@host:port/database" from a conninfo, leaving the password out. Empty fields are libpq's
// defaults (the local socket, the user's name).
std::string DescribeConninfo(PQconninfoOption* options) {
  std::string user, host, port, database;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view key = o->keyword;
    if (key == "user") user = o->val;
    if (key == "host" || (key == "hostaddr" && host.empty())) host = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") database = o->val;
  }
  std::string out = user.empty() ? "" : user + "@";
  out += host.empty() ? "(default host)" : host;
  if (!port.empty()) out += ":" + port;
  return out + "/" + (database.empty() ? "(default database)" : database);
}

// The Status code a SQLSTATE calls for (Connection::Execute's contract).
Status::Code CodeOfSqlState(std::string_view state) {
  if (state == kUniqueViolation || state == kSerializationFailure || state == kDeadlockDetected) {
    return Status::Code::kConflict;
  }
  std::string_view sql_class = state.substr(0, 2);
  if (sql_class == "08" || sql_class == "53" || sql_class == "57") {
    return Status::Code::kUnavailable;  // connection, resources, operator intervention
  }
  if (sql_class == "42") return Status::Code::kInternal;  // syntax error or undefined object
  if (sql_class == "22") return Status::Code::kInvalidArgument;
  return Status::Code::kIOError;
}

}  // namespace

Param Param::Text(std::string_view text) { return Param(Kind::kText, std::string(text)); }
Param Param::Bytes(std::string_view bytes) { return Param(Kind::kBytes, std::string(bytes)); }
Param Param::Int64(int64_t value) { return Param(Kind::kInt64, std::to_string(value)); }
Param Param::Null() { return Param(Kind::kNull, ""); }

Rows::Rows(Rows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
Rows::~Rows() {
  if (result_ != nullptr) PQclear(result_);
}

int Rows::size() const { return PQntuples(result_); }
int Rows::columns() const { return PQnfields(result_); }

int64_t Rows::affected() const {
  const char* text = PQcmdTuples(result_);
  int64_t n = 0;
  std::from_chars(text, text + std::strlen(text), n);
  return n;
}

bool Rows::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string_view Rows::Bytes(int row, int column) const {
  if (IsNull(row, column)) return {};
  return {PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column))};
}

Result<int64_t> Rows::Int64(int row, int column) const {
  Oid type = PQftype(result_, column);
  int width = type == kInt8Oid   ? 8
              : type == kInt4Oid ? 4
              : type == kInt2Oid ? 2
              : type == kBoolOid ? 1
                                 : 0;
  const char* name = PQfname(result_, column);
  if (width == 0) {
    return Status::InvalidArgument("column " + std::string(name) + " has type oid " +
                                   std::to_string(type) + ", not an integer");
  }
  if (IsNull(row, column)) {
    return Status::InvalidArgument("column " + std::string(name) + " is NULL in row " +
                                   std::to_string(row));
  }
  if (PQgetlength(result_, row, column) != width) {
    return Status::Internal("column " + std::string(name) + " is not in binary format");
  }
  // Binary format is big-endian two's complement of the type's width.
  const auto* bytes = reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column));
  uint64_t value = (bytes[0] & 0x80) != 0 && width > 1 ? ~uint64_t{0} : 0;
  for (int i = 0; i < width; ++i) value = (value << 8) | bytes[i];
  return static_cast<int64_t>(value);
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
  if (options == nullptr) {
    std::string why = parse_error != nullptr ? TrimTrailingSpace(parse_error) : "out of memory";
    PQfreemem(parse_error);
    return Status::InvalidArgument("PostgreSQL URL does not parse: " + why);
  }
  std::string description = DescribeConninfo(options);
  PQconninfoFree(options);

  // Defaults the URL may override (libpq expands `dbname` and lets it override what comes before):
  // a bounded connect, since without one a server at an address that drops packets holds the caller
  // as long as the kernel's TCP retries; and a name operators see in pg_stat_activity.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "spoke", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Unavailable("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = TrimTrailingSpace(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::Unavailable("cannot connect to PostgreSQL at " + description + ": " + why);
  }
  // NOTICEs ("relation already exists, skipping" from an idempotent migration) would go to
  // stderr, which is a server's log: nothing in them needs acting on.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  description =
      std::string(PQuser(conn)) + "@" + PQhost(conn) + ":" + PQport(conn) + "/" + PQdb(conn);
  return std::unique_ptr<Connection>(new Connection(conn, std::move(description)));
}

Connection::Connection(pg_conn* conn, std::string description)
    : conn_(conn), description_(std::move(description)) {}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::ConnectionLost(std::string_view what) {
  last_sql_state_.clear();
  return Status::Unavailable("PostgreSQL at " + description_ + ": " + std::string(what) + ": " +
                             TrimTrailingSpace(PQerrorMessage(conn_)));
}

Status Connection::StatementError(pg_result* result, std::string_view sql) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
  last_sql_state_ = state != nullptr ? state : "";
  std::string message = "PostgreSQL at " + description_ + ": " +
                        (primary != nullptr ? primary : TrimTrailingSpace(PQerrorMessage(conn_)));
  if (detail != nullptr) message += " (" + std::string(detail) + ")";
  if (!last_sql_state_.empty()) message += " [SQLSTATE " + last_sql_state_ + "]";
  message += " in `" + StatementHead(sql) + "`";
  Status::Code code = PQstatus(conn_) == CONNECTION_BAD ? Status::Code::kUnavailable
                      : last_sql_state_.empty()         ? Status::Code::kIOError
                                                        : CodeOfSqlState(last_sql_state_);
  Status status(code, std::move(message));
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR && aborted_by_.ok()) {
    aborted_by_ = status;
    aborted_sql_state_ = last_sql_state_;
  }
  return status;
}

Result<Rows> Connection::Execute(std::string_view sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  std::vector<Oid> types;
  for (const Param& p : params) {
    switch (p.kind_) {
      case Param::Kind::kText:
        if (p.value_.find('\0') != std::string::npos) {
          return Status::InvalidArgument("a text parameter of `" + StatementHead(sql) +
                                         "` holds a NUL byte; send bytes as Param::Bytes");
        }
        values.push_back(p.value_.c_str());
        lengths.push_back(0);
        formats.push_back(0);
        types.push_back(0);  // PostgreSQL infers the type from the statement
        break;
      case Param::Kind::kInt64:
        values.push_back(p.value_.c_str());
        lengths.push_back(0);
        formats.push_back(0);
        types.push_back(kInt8Oid);
        break;
      case Param::Kind::kBytes:
        // libpq's lengths are ints; a bytea value stops at 1 GB anyway.
        if (p.value_.size() > (size_t{1} << 30)) {
          return Status::TooLarge("a bytea parameter of `" + StatementHead(sql) + "` holds " +
                                  std::to_string(p.value_.size()) +
                                  " bytes, over PostgreSQL's 1 GB; store it in chunks");
        }
        values.push_back(p.value_.data());
        lengths.push_back(static_cast<int>(p.value_.size()));
        formats.push_back(1);
        types.push_back(kByteaOid);
        break;
      case Param::Kind::kNull:
        values.push_back(nullptr);
        lengths.push_back(0);
        formats.push_back(0);
        types.push_back(0);
        break;
    }
  }
  std::string statement(sql);
  PGresult* result =
      PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), types.data(),
                   values.data(), lengths.data(), formats.data(), /*resultFormat=*/1);
  if (result == nullptr) return ConnectionLost("no answer to `" + StatementHead(sql) + "`");
  ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    last_sql_state_.clear();
    return Rows(result);
  }
  Status error = StatementError(result, sql);
  PQclear(result);
  return error;
}

Status Connection::ExecuteScript(std::string_view sql) {
  std::string script(sql);
  PGresult* result = PQexec(conn_, script.c_str());
  if (result == nullptr) return ConnectionLost("no answer to `" + StatementHead(sql) + "`");
  // PQexec returns the last statement's result; an earlier failure stops the script there.
  ExecStatusType status = PQresultStatus(result);
  Status answer = Status::Ok();
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    last_sql_state_.clear();
  } else {
    answer = StatementError(result, sql);
  }
  PQclear(result);
  return answer;
}

bool Connection::InTransaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

Status Connection::Begin(bool serializable) {
  if (InTransaction()) return Status::Internal("Begin inside a transaction on " + description_);
  aborted_by_ = Status::Ok();
  return Execute(serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN").status();
}

Status Connection::Commit() {
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    // PostgreSQL would answer COMMIT with "ROLLBACK" and no error: the failure that aborted the
    // transaction is the answer.
    Status cause = aborted_by_.ok() ? Status::Internal("transaction aborted by an earlier failure")
                                    : aborted_by_;
    std::string cause_state = aborted_sql_state_;
    Status rolled_back = Rollback();
    if (!rolled_back.ok()) return rolled_back;
    last_sql_state_ = cause_state;  // the caller asks why the commit failed, not the ROLLBACK
    return cause.WithContext("transaction rolled back");
  }
  Result<Rows> done = Execute("COMMIT");
  aborted_by_ = Status::Ok();
  if (!done.ok()) return done.status();
  if (std::string_view(PQcmdStatus(done->result_)) == "ROLLBACK") {
    return Status::Conflict("PostgreSQL at " + description_ + " rolled the transaction back");
  }
  return Status::Ok();
}

Status Connection::Rollback() {
  aborted_by_ = Status::Ok();
  return Execute("ROLLBACK").status();
}

Status Connection::Listen(std::string_view channel) {
  char* quoted = PQescapeIdentifier(conn_, channel.data(), channel.size());
  if (quoted == nullptr) return ConnectionLost("cannot quote channel name");
  std::string statement = "LISTEN " + std::string(quoted);
  PQfreemem(quoted);
  return Execute(statement).status();
}

Status Connection::Notify(std::string_view channel, std::string_view payload) {
  return Execute("SELECT pg_notify($1, $2)", {Param::Text(channel), Param::Text(payload)}).status();
}

Result<std::optional<Notification>> Connection::WaitForNotification(
    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Reads whatever the socket holds without blocking; notifications that arrived during an
    // earlier statement are already queued and come out of PQnotifies first.
    if (PQconsumeInput(conn_) == 0) return ConnectionLost("connection lost while listening");
    if (PGnotify* note = PQnotifies(conn_)) {
      Notification out{note->relname, note->extra, note->be_pid};
      PQfreemem(note);
      return std::optional<Notification>(std::move(out));
    }
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<Notification>();
    pollfd socket{PQsocket(conn_), POLLIN, 0};
    if (socket.fd < 0) return ConnectionLost("no socket while listening");
    if (poll(&socket, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      return Status::IOError("poll on the PostgreSQL connection to " + description_ + ": " +
                             std::strerror(errno));
    }
  }
}

int Connection::backend_pid() const { return PQbackendPID(conn_); }

Result<Transaction> Transaction::Begin(Connection& connection, bool serializable) {
  SPOKE_RETURN_IF_ERROR(connection.Begin(serializable));
  return Transaction(&connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
  if (connection_ != nullptr) {
    IgnoreError(
        connection_->Rollback(),
        "a rollback that fails leaves a connection that failed: its next statement says so, "
        "and PostgreSQL rolls back what a lost connection left open");
  }
}

Status Transaction::Commit() {
  if (connection_ == nullptr) return Status::Internal("Commit of a finished transaction");
  return std::exchange(connection_, nullptr)->Commit();
}

Status Transaction::Rollback() {
  if (connection_ == nullptr) return Status::Internal("Rollback of a finished transaction");
  return std::exchange(connection_, nullptr)->Rollback();
}

}  // namespace spoke::postgres
