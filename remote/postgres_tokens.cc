// The registry's token store on the tokens table (spoke/sys/postgres_token_table.h): what a
// token means (scopes, a new token's record) over rows.
#include "spoke/sys/postgres_tokens.h"

#include <string_view>
#include <utility>
#include <vector>

#include "spoke/sys/postgres_token_table.h"

namespace spoke {
namespace {

// Scopes are kept as their ToString()s joined by spaces (no scope contains one).
std::string JoinScopes(const std::vector<TokenScope>& scopes) {
  std::string out;
  for (const TokenScope& scope : scopes) out += (out.empty() ? "" : " ") + scope.ToString();
  return out;
}

Result<TokenRecord> RecordOf(const TokenRow& row) {
  TokenRecord record;
  record.id = row.id;
  record.name = row.name;
  record.sha256 = row.sha256;
  record.created = row.created;
  std::string_view rest = row.scopes;
  while (!rest.empty()) {
    const size_t space = rest.find(' ');
    const std::string word(rest.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (word.empty()) continue;
    auto scope = TokenScope::Parse(word);
    if (!scope.ok())
      return Status::Corruption("token " + row.name + ": " + scope.status().message());
    record.scopes.push_back(*scope);
  }
  return record;
}

class PostgresTokens : public TokenStore {
 public:
  explicit PostgresTokens(std::unique_ptr<PostgresTokenTable> table) : table_(std::move(table)) {}

  std::string Describe() const override { return table_->Describe(); }

  Result<std::vector<TokenRecord>> List() const override {
    SPOKE_ASSIGN_OR_RETURN(std::vector<TokenRow> rows, table_->List());
    std::vector<TokenRecord> records;
    for (const TokenRow& row : rows) {
      SPOKE_ASSIGN_OR_RETURN(TokenRecord record, RecordOf(row));
      records.push_back(std::move(record));
    }
    return records;
  }

  Result<std::string> Create(const std::string& name,
                             const std::vector<TokenScope>& scopes) override {
    SPOKE_ASSIGN_OR_RETURN(auto made, NewToken(name, scopes));
    const TokenRecord& record = made.second;
    TokenRow row{record.id, record.name, record.sha256, JoinScopes(record.scopes), record.created};
    SPOKE_ASSIGN_OR_RETURN(bool inserted, table_->Insert(row));
    if (!inserted) {
      return Status::AlreadyExists("a token named " + name + " exists in " + Describe() +
                                   "; revoke it first or pick another --name");
    }
    return std::move(made.first);
  }

  Result<TokenRecord> Revoke(const std::string& name_or_id) override {
    SPOKE_ASSIGN_OR_RETURN(std::vector<TokenRow> removed, table_->Delete(name_or_id));
    if (removed.empty()) {
      return Status::NotFound("no token named " + name_or_id + " (see `spoke-server token list`)");
    }
    return RecordOf(removed.front());
  }

  Result<std::string> Stamp() const override { return table_->Stamp(); }

 private:
  const std::unique_ptr<PostgresTokenTable> table_;
};

}  // namespace

Result<std::unique_ptr<TokenStore>> OpenPostgresTokens(const std::string& url,
                                                       int max_connections) {
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<PostgresTokenTable> table,
                         PostgresTokenTable::Open(url, max_connections));
  return std::unique_ptr<TokenStore>(std::make_unique<PostgresTokens>(std::move(table)));
}

}  // namespace spoke
