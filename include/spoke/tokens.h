// Tokens: the registry's bearer tokens with scopes, kept in <store>/spoke-tokens.json.
//
// A token is "spoke_" and 43 base64url characters (32 bytes from OpenSSL's RAND_bytes). It is
// shown once, when it is created; the file keeps only its SHA-256, so a copy of the store gives
// nobody a usable token. docs/storage.md describes the file.
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
// their read-modify-write, so two processes' `spoke-server token create` never lose one.
// TokenRegistry is thread-safe.
#ifndef SPOKE_TOKENS_H_
#define SPOKE_TOKENS_H_

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
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

// The token file of one store.
class TokenFile {
 public:
  explicit TokenFile(std::string store_path);

  const std::string& path() const { return path_; }

  // The tokens in the file; none when it does not exist. Corruption when it cannot be parsed.
  Result<std::vector<TokenRecord>> List() const;
  // Adds a token named `name` with `scopes` and returns its text (the only time it exists).
  // AlreadyExists when the name is taken; InvalidArgument for a bad name or no scopes.
  Result<std::string> Create(const std::string& name, const std::vector<TokenScope>& scopes);
  // Removes the token whose name or id is `name_or_id`, and returns it. NotFound otherwise.
  Result<TokenRecord> Revoke(const std::string& name_or_id);

 private:
  Status Write(const std::vector<TokenRecord>& tokens) const;
  std::string store_path_;
  std::string path_;
};

// The hex SHA-256 a token file keeps for `token`.
std::string TokenHash(const std::string& token);

// What a server checks requests against: the token file, re-read when it changes on disk (its
// inode, size or modification time; one stat per lookup), and the single legacy --token, which is
// an admin token named "token". With an empty `store_path` (a store without files, shared by
// several servers: each would read its own file, so they would disagree) there is no file and the
// legacy token is the only one.
class TokenRegistry {
 public:
  TokenRegistry(std::string store_path, std::string legacy_token);

  // Whether any token exists (the legacy one or one in the file): then every write needs one.
  // An unreadable file counts as holding tokens, so writes stay closed.
  bool AnyToken();
  // The token whose text is `token`, compared by hash in constant time. NotFound when none;
  // Corruption or IOError when the file cannot be read (then every token is refused, never every
  // request allowed).
  Result<TokenRecord> Find(const std::string& token);

 private:
  Status Refresh();  // REQUIRES: mutex_ held
  bool no_file_;
  TokenFile file_;
  std::string legacy_hash_;
  std::mutex mutex_;
  std::vector<TokenRecord> tokens_;
  Status load_status_;
  bool loaded_ = false;
  ino_t inode_ = 0;
  off_t size_ = -1;
  int64_t mtime_ns_ = -1;
};

}  // namespace spoke

#endif  // SPOKE_TOKENS_H_
