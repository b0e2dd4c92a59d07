// The tokens table's statements, through a small connection pool of the table's own.
#include "spoke/sys/postgres_token_table.h"

#include <utility>

#include "postgres/connection_pool.h"
#include "store/postgres_schema.h"

namespace spoke {
namespace {

using postgres::ConnectionPool;
using postgres::Param;

constexpr const char* kColumns = "id, name, sha256, scopes, created";

Result<std::vector<TokenRow>> RowsOf(const postgres::Rows& rows) {
  std::vector<TokenRow> out;
  for (int row = 0; row < rows.size(); ++row) {
    TokenRow token;
    token.id = std::string(rows.Bytes(row, 0));
    token.name = std::string(rows.Bytes(row, 1));
    token.sha256 = std::string(rows.Bytes(row, 2));
    token.scopes = std::string(rows.Bytes(row, 3));
    SPOKE_ASSIGN_OR_RETURN(token.created, rows.Int64(row, 4));
    out.push_back(std::move(token));
  }
  return out;
}

class Table : public PostgresTokenTable {
 public:
  Table(std::unique_ptr<ConnectionPool> pool, std::string description)
      : pool_(std::move(pool)), description_(std::move(description)) {}

  std::string Describe() const override { return description_; }

  Result<std::vector<TokenRow>> List() override {
    SPOKE_ASSIGN_OR_RETURN(
        postgres::Rows rows,
        Run(std::string("SELECT ") + kColumns + " FROM tokens ORDER BY created, change", {}));
    return RowsOf(rows);
  }

  Result<bool> Insert(const TokenRow& row) override {
    SPOKE_ASSIGN_OR_RETURN(
        postgres::Rows rows,
        Run("INSERT INTO tokens (id, name, sha256, scopes, created) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (name) DO NOTHING",
            {Param::Text(row.id), Param::Text(row.name), Param::Text(row.sha256),
             Param::Text(row.scopes), Param::Int64(row.created)}));
    return rows.affected() == 1;
  }

  Result<std::vector<TokenRow>> Delete(const std::string& name_or_id) override {
    SPOKE_ASSIGN_OR_RETURN(
        postgres::Rows rows,
        Run(std::string("DELETE FROM tokens WHERE name = $1 OR id = $1 RETURNING ") + kColumns,
            {Param::Text(name_or_id)}));
    return RowsOf(rows);
  }

  Result<std::string> Stamp() override {
    // Every insert raises max(change); every delete lowers the count. An insert then a delete of
    // the same row gives back the same stamp, and the same rows.
    SPOKE_ASSIGN_OR_RETURN(postgres::Rows rows,
                           Run("SELECT count(*), coalesce(max(change), 0) FROM tokens", {}));
    SPOKE_ASSIGN_OR_RETURN(int64_t count, rows.Int64(0, 0));
    SPOKE_ASSIGN_OR_RETURN(int64_t change, rows.Int64(0, 1));
    return std::to_string(count) + ":" + std::to_string(change);
  }

 private:
  Result<postgres::Rows> Run(const std::string& sql, const std::vector<Param>& params) {
    SPOKE_ASSIGN_OR_RETURN(ConnectionPool::Lease connection, pool_->Take());
    Result<postgres::Rows> rows = connection->Execute(sql, params);
    if (!rows.ok()) ConnectionPool::DiscardIfLost(connection, rows.status());
    return rows;
  }

  const std::unique_ptr<ConnectionPool> pool_;
  const std::string description_;
};

}  // namespace

Result<std::unique_ptr<PostgresTokenTable>> PostgresTokenTable::Open(const std::string& url,
                                                                     int max_connections) {
  auto pool = std::make_unique<ConnectionPool>(url, max_connections);
  std::string description;
  {
    SPOKE_ASSIGN_OR_RETURN(ConnectionPool::Lease connection, pool->Take());
    SPOKE_RETURN_IF_ERROR(MigratePostgresSchema(*connection).status());
    description = "the PostgreSQL database " + connection->description();
  }
  return std::unique_ptr<PostgresTokenTable>(
      std::make_unique<Table>(std::move(pool), std::move(description)));
}

}  // namespace spoke
