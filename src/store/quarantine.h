// Private scratch directories inside a store, removed when done and swept after a crash.
#ifndef SPOKE_STORE_QUARANTINE_H_
#define SPOKE_STORE_QUARANTINE_H_

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace spoke {

// A private directory inside the store (spoke-incoming/q-<random>/) for files that must not be
// seen before they are complete and checked (received packs, packs being written), or that are
// only scratch (a registry compile's staged files). Removed with
// everything in it when this object dies; DropStaleQuarantines removes those of dead processes.
class Quarantine {
 public:
  explicit Quarantine(const std::string& store_path) {
    std::random_device rd;
    std::mt19937_64 rng(rd());
    dir_ = std::filesystem::path(store_path) / "spoke-incoming" / ("q-" + std::to_string(rng()));
    std::filesystem::create_directories(dir_, ec_);
  }
  ~Quarantine() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::filesystem::path& dir() const { return dir_; }
  bool ok() const { return !ec_; }

 private:
  std::filesystem::path dir_;
  std::error_code ec_;
};

}  // namespace spoke

#endif  // SPOKE_STORE_QUARANTINE_H_
