// Tokens: the registry's bearer tokens with scopes, kept in <store>/spoke-tokens.json, or in the
// database of a store shared in PostgreSQL (spoke/sys/postgres_tokens.h).
//
// A token is "spoke_" and 43 base64url characters (32 bytes from OpenSSL's RAND_bytes). It is
// shown once, when it is created; the file keeps only its SHA-256, so a copy of the store gives
// nobody a usable token. docs/storage.md describes the file and the table.
//
// Scopes, each one of:
//   read            every read (needed only on a server started with --read-auth)
//   write           read, and every write of module data: pushes, version uploads, compiles
//   write:PREFIX    read, and writes to modules whose name starts with PREFIX (a plain string
//                   prefix of the module name: "acme/" covers "acme/billing", "acme" also covers
//                   "acmecorp/x")
//   admin           everything: also compatibility levels
// admin includes write, which includes read. A token may hold several scopes.
//
// Thread safety: TokenFile's Create() and Revoke() take <store>/spoke-tokens.lock (flock) around
// their read-modify-write, so two processes' `spoke-server token create` never lose one; the
// database's store relies on its unique keys. TokenRegistry is thread-safe.
#ifndef SPOKE_TOKENS_H_
#define SPOKE_TOKENS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// What a request wants to do, lowest first.
enum class AccessLevel { kRead, kWrite, kAdmin };

struct TokenScope {
  AccessLevel level = AccessLevel::kRead;
  std::string prefix;  // only for kWrite: "" means every module

  // "read", "write", "write:acme/", "admin"; InvalidArgument naming the text otherwise.
  static Result<TokenScope> Parse(const std::string& text);
  std::string ToString() const;
};

struct TokenRecord {
  std::string id;      // 12 hex characters, random; names the token in `token revoke`
  std::string name;    // unique among the file's tokens
  std::string sha256;  // hex SHA-256 of the whole token text
  std::vector<TokenScope> scopes;
  int64_t created = 0;  // seconds since the epoch
};

// Whether `scopes` allow `level` on `module` ("" when the request names no single module: then a
// prefix-limited write scope allows no kWrite). When not, `*missing` names the scope that would
// ("write", "write:<module>", "admin").
bool ScopesAllow(const std::vector<TokenScope>& scopes, AccessLevel level,
                 const std::string& module, std::string* missing);
// Whether any scope allows some write (a prefix-limited one too): enough to start reading a write
// request's body, whose module is checked once known.
bool ScopesAllowSomeWrite(const std::vector<TokenScope>& scopes);

// Where one registry's tokens are kept.
class TokenStore {
 public:
  virtual ~TokenStore() = default;

  // Where, for messages: "<store>/spoke-tokens.json", "the PostgreSQL database user@host/db".
  virtual std::string Describe() const = 0;
  // The tokens there; none when there are none yet. Corruption when they cannot be parsed.
  virtual Result<std::vector<TokenRecord>> List() const = 0;
  // Adds a token named `name` with `scopes` and returns its text (the only time it exists).
  // AlreadyExists when the name is taken; InvalidArgument for a bad name or no scopes.
  virtual Result<std::string> Create(const std::string& name,
                                     const std::vector<TokenScope>& scopes) = 0;
  // Removes the token whose name or id is `name_or_id`, and returns it. NotFound otherwise.
  virtual Result<TokenRecord> Revoke(const std::string& name_or_id) = 0;
  // A value that changes whenever the tokens do, much cheaper than List() (one stat, one small
  // query): what TokenRegistry compares on every lookup.
  virtual Result<std::string> Stamp() const = 0;
};

// A new token for `name` with `scopes`: its text, and the record a store keeps (a random id, the
// text's hash, the time). InvalidArgument for a bad name or no scopes; for TokenStores to share.
Result<std::pair<std::string, TokenRecord>> NewToken(const std::string& name,
                                                     const std::vector<TokenScope>& scopes);

// The token file of one store.
class TokenFile : public TokenStore {
 public:
  explicit TokenFile(std::string store_path);

  const std::string& path() const { return path_; }

  std::string Describe() const override { return path_; }
  Result<std::vector<TokenRecord>> List() const override;
  Result<std::string> Create(const std::string& name,
                             const std::vector<TokenScope>& scopes) override;
  Result<TokenRecord> Revoke(const std::string& name_or_id) override;
  // The file's inode, size and modification time; "none" when it does not exist.
  Result<std::string> Stamp() const override;

 private:
  Status Write(const std::vector<TokenRecord>& tokens) const;
  std::string store_path_;
  std::string path_;
};

// The hex SHA-256 a token store keeps for `token`.
std::string TokenHash(const std::string& token);

// What a server checks requests against: a token store, re-read when its Stamp() changes (one
// stat of the file, or one small query, per lookup: a token revoked on any server is refused by
// every server at once), and the single legacy --token, which is an admin token named "token".
class TokenRegistry {
 public:
  // The tokens of `store` (none but the legacy one when it is null) and the legacy token ("" for
  // none).
  TokenRegistry(std::unique_ptr<TokenStore> store, std::string legacy_token);
  // The file of the store at `store_path`, or none for an empty path.
  TokenRegistry(const std::string& store_path, std::string legacy_token);

  // Whether any token exists (the legacy one or one in the file): then every write needs one.
  // An unreadable file counts as holding tokens, so writes stay closed.
  bool AnyToken();
  // The token whose text is `token`, compared by hash in constant time. NotFound when none;
  // Corruption or IOError when the file cannot be read (then every token is refused, never every
  // request allowed).
  Result<TokenRecord> Find(const std::string& token);

 private:
  Status Refresh();  // REQUIRES: mutex_ held
  const std::unique_ptr<TokenStore> store_;
  const std::string legacy_hash_;
  std::mutex mutex_;
  std::vector<TokenRecord> tokens_;
  Status load_status_;
  bool loaded_ = false;
  std::string stamp_;  // of what tokens_ and load_status_ were read from
};

}  // namespace spoke

#endif  // SPOKE_TOKENS_H_
