// The token file (<store>/spoke-tokens.json), what every token store shares (scopes, new tokens)
// and the server's view of a store; see spoke/tokens.h.
#include "spoke/tokens.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "spoke/digest.h"
#include "spoke/files.h"
#include "spoke/json.h"

namespace spoke {
namespace {

constexpr int kFormat = 1;

std::string Base64Url(const unsigned char* bytes, size_t n) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (size_t i = 0; i < n; ++i) {
    bits = (bits << 8) | bytes[i];
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 63];
  return out;
}

Result<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
    return Status::Internal("the system's random generator failed (OpenSSL RAND_bytes)");
  return bytes;
}

// Holds a lock file exclusively while alive.
class FileLock {
 public:
  explicit FileLock(const std::string& path)
      : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0 && flock(fd_, LOCK_EX) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

Result<std::vector<TokenRecord>> ParseTokens(const std::string& text, const std::string& path) {
  auto json = Json::Parse(text);
  if (!json.ok()) return Status::Corruption(path + ": " + json.status().message());
  const Json* tokens = json->Get("tokens");
  if (!json->is_object() || !tokens || !tokens->is_array())
    return Status::Corruption(path + ": no \"tokens\" list");
  std::vector<TokenRecord> out;
  for (const Json& entry : tokens->as_array()) {
    TokenRecord record;
    record.id = entry.GetString("id");
    record.name = entry.GetString("name");
    record.sha256 = entry.GetString("sha256");
    const Json* created = entry.Get("created");
    record.created = created ? created->as_int() : 0;
    const Json* scopes = entry.Get("scopes");
    if (record.id.empty() || record.name.empty() || record.sha256.size() != 64 || !scopes ||
        !scopes->is_array())
      return Status::Corruption(path + ": a token entry lacks its id, name, sha256 or scopes");
    for (const Json& scope : scopes->as_array()) {
      auto parsed = TokenScope::Parse(scope.as_string());
      if (!parsed.ok()) return Status::Corruption(path + ": " + parsed.status().message());
      record.scopes.push_back(*parsed);
    }
    out.push_back(std::move(record));
  }
  return out;
}

Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + dir + ": " + std::strerror(errno));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Status::IOError("cannot sync " + dir + ": " + std::strerror(errno));
  return Status::Ok();
}

// Names are shown in lists and logs: keep them to one plain word.
Status CheckTokenName(const std::string& name) {
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      }))
    return Status::InvalidArgument("token name \"" + name +
                                   "\" must be 1 to 64 letters, digits, '-', '_' or '.'");
  return Status::Ok();
}

}  // namespace

Result<TokenScope> TokenScope::Parse(const std::string& text) {
  TokenScope scope;
  if (text == "read") return scope;
  if (text == "admin") {
    scope.level = AccessLevel::kAdmin;
    return scope;
  }
  if (text == "write" || (text.rfind("write:", 0) == 0 && text.size() > 6)) {
    scope.level = AccessLevel::kWrite;
    if (text.size() > 6) scope.prefix = text.substr(6);
    return scope;
  }
  return Status::InvalidArgument("unknown scope \"" + text +
                                 "\" (scopes: read, write, write:MODULE-PREFIX, admin)");
}

std::string TokenScope::ToString() const {
  switch (level) {
    case AccessLevel::kRead:
      return "read";
    case AccessLevel::kWrite:
      return prefix.empty() ? "write" : "write:" + prefix;
    case AccessLevel::kAdmin:
      return "admin";
  }
  return "read";
}

bool ScopesAllow(const std::vector<TokenScope>& scopes, AccessLevel level,
                 const std::string& module, std::string* missing) {
  for (const TokenScope& scope : scopes) {
    if (scope.level == AccessLevel::kAdmin) return true;
    if (level == AccessLevel::kRead) return true;  // every scope includes read
    if (level == AccessLevel::kWrite && scope.level == AccessLevel::kWrite &&
        (scope.prefix.empty() || (!module.empty() && module.rfind(scope.prefix, 0) == 0)))
      return true;
  }
  if (level == AccessLevel::kAdmin) {
    *missing = "admin";
  } else if (level == AccessLevel::kWrite) {
    *missing = module.empty() ? "write" : "write:" + module;
  } else {
    *missing = "read";
  }
  return false;
}

bool ScopesAllowSomeWrite(const std::vector<TokenScope>& scopes) {
  return std::any_of(scopes.begin(), scopes.end(),
                     [](const TokenScope& s) { return s.level != AccessLevel::kRead; });
}

std::string TokenHash(const std::string& token) { return Sha256Hex(token); }

TokenFile::TokenFile(std::string store_path)
    : store_path_(std::move(store_path)), path_(store_path_ + "/spoke-tokens.json") {}

Result<std::pair<std::string, TokenRecord>> NewToken(const std::string& name,
                                                     const std::vector<TokenScope>& scopes) {
  SPOKE_RETURN_IF_ERROR(CheckTokenName(name));
  if (scopes.empty()) return Status::InvalidArgument("a token needs at least one --scope");
  SPOKE_ASSIGN_OR_RETURN(std::string secret, RandomBytes(32));
  SPOKE_ASSIGN_OR_RETURN(std::string id_bytes, RandomBytes(6));
  std::string token =
      "spoke_" + Base64Url(reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  TokenRecord record;
  record.id = HexOf(id_bytes);
  record.name = name;
  record.sha256 = TokenHash(token);
  record.scopes = scopes;
  record.created = static_cast<int64_t>(std::time(nullptr));
  return std::make_pair(std::move(token), std::move(record));
}

Result<std::string> TokenFile::Stamp() const {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::string("none");
    return Status::IOError("cannot stat " + path_ + ": " + std::strerror(errno));
  }
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

Result<std::vector<TokenRecord>> TokenFile::List() const {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0 && errno == ENOENT) return std::vector<TokenRecord>{};
  SPOKE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path_));
  return ParseTokens(text, path_);
}

Status TokenFile::Write(const std::vector<TokenRecord>& tokens) const {
  Json list = Json::MakeArray();
  for (const TokenRecord& record : tokens) {
    Json entry = Json::MakeObject();
    entry.Set("id", record.id);
    entry.Set("name", record.name);
    entry.Set("sha256", record.sha256);
    Json scopes = Json::MakeArray();
    for (const TokenScope& scope : record.scopes) scopes.Push(scope.ToString());
    entry.Set("scopes", std::move(scopes));
    entry.Set("created", record.created);
    list.Push(std::move(entry));
  }
  Json doc = Json::MakeObject();
  doc.Set("format", kFormat);
  doc.Set("tokens", std::move(list));
  const std::string text = doc.Dump(2) + "\n";
  // Written whole to a private temporary file, synced, then renamed over the old one: a reader
  // (the server) sees the old list or the new one, and a crash loses at most this change.
  const std::string temp = path_ + ".tmp-" + std::to_string(getpid());
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot create " + temp + ": " + std::strerror(errno));
  bool ok = fchmod(fd, 0600) == 0;  // a leftover temporary file keeps its old mode otherwise
  std::string_view rest = text;
  while (ok && !rest.empty()) {
    ssize_t n = write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) rest.remove_prefix(static_cast<size_t>(n));
  }
  ok = ok && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(temp.c_str(), path_.c_str()) != 0) {
    const std::string error = std::strerror(errno);
    unlink(temp.c_str());
    return Status::IOError("cannot write " + path_ + ": " + error);
  }
  return SyncDirectory(store_path_);
}

Result<std::string> TokenFile::Create(const std::string& name,
                                      const std::vector<TokenScope>& scopes) {
  SPOKE_ASSIGN_OR_RETURN(auto made, NewToken(name, scopes));
  FileLock lock(store_path_ + "/spoke-tokens.lock");
  if (!lock.ok())
    return Status::IOError("cannot lock " + store_path_ +
                           "/spoke-tokens.lock: " + std::strerror(errno));
  SPOKE_ASSIGN_OR_RETURN(std::vector<TokenRecord> tokens, List());
  for (const TokenRecord& record : tokens) {
    if (record.name == name)
      return Status::AlreadyExists("a token named " + name + " exists (id " + record.id +
                                   "); revoke it first or pick another --name");
  }
  tokens.push_back(std::move(made.second));
  SPOKE_RETURN_IF_ERROR(Write(tokens));
  return std::move(made.first);
}

Result<TokenRecord> TokenFile::Revoke(const std::string& name_or_id) {
  FileLock lock(store_path_ + "/spoke-tokens.lock");
  if (!lock.ok())
    return Status::IOError("cannot lock " + store_path_ +
                           "/spoke-tokens.lock: " + std::strerror(errno));
  SPOKE_ASSIGN_OR_RETURN(std::vector<TokenRecord> tokens, List());
  auto it = std::find_if(tokens.begin(), tokens.end(), [&](const TokenRecord& record) {
    return record.name == name_or_id || record.id == name_or_id;
  });
  if (it == tokens.end())
    return Status::NotFound("no token named " + name_or_id + " (see `spoke-server token list`)");
  TokenRecord removed = *it;
  tokens.erase(it);
  SPOKE_RETURN_IF_ERROR(Write(tokens));
  return removed;
}

TokenRegistry::TokenRegistry(std::unique_ptr<TokenStore> store, std::string legacy_token)
    : store_(std::move(store)), legacy_hash_(legacy_token.empty() ? "" : TokenHash(legacy_token)) {}

TokenRegistry::TokenRegistry(const std::string& store_path, std::string legacy_token)
    : TokenRegistry(store_path.empty() ? nullptr : std::make_unique<TokenFile>(store_path),
                    std::move(legacy_token)) {}

Status TokenRegistry::Refresh() {
  if (!store_) {
    loaded_ = true;
    return Status::Ok();
  }
  Result<std::string> stamp = store_->Stamp();
  if (!stamp.ok()) {
    // Unreadable now: refuse every token until it reads again, and read it again then.
    tokens_.clear();
    loaded_ = false;
    return stamp.status();
  }
  if (loaded_ && *stamp == stamp_) return load_status_;
  auto tokens = store_->List();
  loaded_ = true;
  stamp_ = *stamp;
  if (!tokens.ok()) {
    tokens_.clear();
    load_status_ = tokens.status();
    return load_status_;
  }
  tokens_ = std::move(*tokens);
  load_status_ = Status::Ok();
  return load_status_;
}

bool TokenRegistry::AnyToken() {
  if (!legacy_hash_.empty()) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  return !Refresh().ok() || !tokens_.empty();
}

Result<TokenRecord> TokenRegistry::Find(const std::string& token) {
  const std::string hash = TokenHash(token);
  // Every candidate is compared, the whole hash each time, so timing says nothing about which
  // token (or how much of one) matched.
  if (!legacy_hash_.empty() && CRYPTO_memcmp(hash.data(), legacy_hash_.data(), hash.size()) == 0) {
    TokenRecord legacy;
    legacy.id = "token";
    legacy.name = "token";
    legacy.sha256 = legacy_hash_;
    legacy.scopes = {TokenScope{AccessLevel::kAdmin, ""}};
    return legacy;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  SPOKE_RETURN_IF_ERROR(Refresh());
  const TokenRecord* found = nullptr;
  for (const TokenRecord& record : tokens_) {
    if (record.sha256.size() == hash.size() &&
        CRYPTO_memcmp(hash.data(), record.sha256.data(), hash.size()) == 0)
      found = &record;
  }
  if (!found) return Status::NotFound("unknown token");
  return *found;
}

}  // namespace spoke
