// The `tokens` table of a store shared in PostgreSQL, as rows: what spoke/sys/postgres_tokens.h
// builds the registry's token store on (the store layer keeps the SQL; the server layer, what a
// token means). Built into the spoke_postgres library.
#ifndef SPOKE_SYS_POSTGRES_TOKEN_TABLE_H_
#define SPOKE_SYS_POSTGRES_TOKEN_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// One row, as the table keeps it (docs/storage.md, "Tokens in PostgreSQL").
struct TokenRow {
  std::string id;      // 12 hex digits
  std::string name;    // unique
  std::string sha256;  // hex, unique
  std::string scopes;  // scope texts joined by spaces
  int64_t created = 0;
};

class PostgresTokenTable {
 public:
  // The table in the database at `url`, creating or upgrading the store's tables first (as
  // OpenPostgresBackend does), through at most `max_connections` connections of its own.
  // Unavailable when the database cannot be reached; FailedPrecondition when its tables are
  // newer than this program.
  static Result<std::unique_ptr<PostgresTokenTable>> Open(const std::string& url,
                                                          int max_connections);
  virtual ~PostgresTokenTable() = default;

  // "the PostgreSQL database user@host:port/db" (never a password).
  virtual std::string Describe() const = 0;
  // Every row, oldest first.
  virtual Result<std::vector<TokenRow>> List() = 0;
  // Adds `row`; false when its name is taken (by a concurrent insert too: the unique key
  // decides). An error for a row the table's checks refuse.
  virtual Result<bool> Insert(const TokenRow& row) = 0;
  // Removes the row whose name or id is `name_or_id` and returns it; none when there is none.
  virtual Result<std::vector<TokenRow>> Delete(const std::string& name_or_id) = 0;
  // A text that changes with every insert and delete: "<rows>:<highest change number>".
  virtual Result<std::string> Stamp() = 0;
};

}  // namespace spoke

#endif  // SPOKE_SYS_POSTGRES_TOKEN_TABLE_H_
