// SHA-1 and SHA-256 over bytes, through OpenSSL's own implementations.
//
// Why not EVP: in OpenSSL 3 the first EVP digest loads the provider machinery (algorithm tables,
// names, properties), about 2 MB of memory and 1.3 ms on every run of `spoke`, for two hashes
// whose implementations never change. The incremental SHA*_Init/Update/Final functions are
// deprecated in 3.0 but still part of its API (Debian builds OpenSSL with them), and they hash
// with the same assembly.
#ifndef SPOKE_DIGEST_H_
#define SPOKE_DIGEST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spoke {

// Incremental SHA-1, for git object ids and pack trailers.
class Sha1 {
 public:
  Sha1();
  ~Sha1();
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;
  void Update(std::string_view bytes);
  // The 20 raw bytes. REQUIRES: called once.
  std::string Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Incremental SHA-256, for digests and keys built in pieces.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view bytes);
  // The hex digest. REQUIRES: called once.
  std::string FinishHex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Incremental git blob id: SHA-1 of "blob <size>\0" and then the `size` bytes given to Update().
class GitBlobHasher {
 public:
  explicit GitBlobHasher(uint64_t size);
  void Update(std::string_view bytes) { sha1_.Update(bytes); }
  // The 20 raw bytes. REQUIRES: called once, after exactly `size` bytes.
  std::string Finish() { return sha1_.Finish(); }

 private:
  Sha1 sha1_;
};

std::string Sha256Hex(std::string_view bytes);
// Lower-case hex of raw bytes.
std::string HexOf(std::string_view raw);
// The git blob id of `content`: SHA-1 of "blob <size>\0" + content, raw (20 bytes) or as hex.
std::string GitBlobId(std::string_view content);
std::string GitBlobIdHex(std::string_view content);

}  // namespace spoke

#endif  // SPOKE_DIGEST_H_
