// SHA-1 and SHA-256 through OpenSSL's low-level functions (see digest.h for why not EVP).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "spoke/digest.h"

#include <openssl/sha.h>

namespace spoke {

struct Sha1::State {
  SHA_CTX ctx;
};

Sha1::Sha1() : state_(std::make_unique<State>()) { SHA1_Init(&state_->ctx); }
Sha1::~Sha1() = default;

void Sha1::Update(std::string_view bytes) { SHA1_Update(&state_->ctx, bytes.data(), bytes.size()); }

std::string Sha1::Finish() {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1_Final(digest, &state_->ctx);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

struct Sha256::State {
  SHA256_CTX ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) { SHA256_Init(&state_->ctx); }
Sha256::~Sha256() = default;

void Sha256::Update(std::string_view bytes) {
  SHA256_Update(&state_->ctx, bytes.data(), bytes.size());
}

std::string Sha256::FinishHex() {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &state_->ctx);
  return HexOf(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256 hasher;
  hasher.Update(bytes);
  return hasher.FinishHex();
}

std::string HexOf(std::string_view raw) {
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 0xF]);
  }
  return hex;
}

GitBlobHasher::GitBlobHasher(uint64_t size) {
  sha1_.Update("blob " + std::to_string(size));
  sha1_.Update(std::string_view("\0", 1));
}

std::string GitBlobId(std::string_view content) {
  GitBlobHasher hasher(content.size());
  hasher.Update(content);
  return hasher.Finish();
}

std::string GitBlobIdHex(std::string_view content) { return HexOf(GitBlobId(content)); }

}  // namespace spoke
