// The tokens of a store shared in PostgreSQL (docs/storage.md, "Tokens in PostgreSQL"): the
// `tokens` table of the store's database, so that every server of the store checks the same
// tokens, and a token created or revoked through any of them, or with `spoke-server token
// --postgres`, counts on all of them at once. Built into spoke_server_postgres, so only programs
// that use it link libpq.
#ifndef SPOKE_SYS_POSTGRES_TOKENS_H_
#define SPOKE_SYS_POSTGRES_TOKENS_H_

#include <memory>
#include <string>

#include "spoke/status.h"
#include "spoke/tokens.h"

namespace spoke {

// The token store in the database at `url` (libpq's URL or key=value string), creating or
// upgrading the store's tables first, as OpenPostgresBackend does. It keeps what a token file
// keeps (id, name, SHA-256, scopes, creation time: never a token's text). Stamp() is one small
// query (the count of rows and the highest change number). Create() answers AlreadyExists when
// another process took the name first (the table's unique key decides, no lock is held).
// Unavailable when the database cannot be reached; FailedPrecondition when its tables are newer
// than this program. Thread-safe: one connection at a time, of at most `max_connections`.
Result<std::unique_ptr<TokenStore>> OpenPostgresTokens(const std::string& url,
                                                       int max_connections = 2);

}  // namespace spoke

#endif  // SPOKE_SYS_POSTGRES_TOKENS_H_
