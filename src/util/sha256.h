// SHA-256 over bytes, as lowercase hex, through OpenSSL's EVP interface.
#ifndef SPOKE_UTIL_SHA256_H_
#define SPOKE_UTIL_SHA256_H_

#include <string>
#include <string_view>

namespace spoke {

// Incremental hasher for inputs built in pieces (the content digest).
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
  void* ctx_;  // EVP_MD_CTX*, kept opaque so this header does not pull in OpenSSL
};

std::string Sha256Hex(std::string_view bytes);

}  // namespace spoke

#endif  // SPOKE_UTIL_SHA256_H_
