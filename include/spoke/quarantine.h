// Private scratch directories inside a store, removed when done and swept after a crash.
//
// Everything under <store>/spoke-incoming/ belongs to one live process or to none. Its owner holds
// an flock on each entry for as long as it uses it, so a sweep can tell a dead process's leftovers
// (the lock is free) from a live one's (another process holds it) without guessing from ages; the
// kernel releases the lock of a process however it dies. Several processes may use one store at
// once (a client store shared by several `spoke` commands), so that difference matters.
#ifndef SPOKE_QUARANTINE_H_
#define SPOKE_QUARANTINE_H_

#include <filesystem>
#include <string>

namespace spoke {

// A private directory inside the store (spoke-incoming/q-<random>/) for files that must not be
// seen before they are complete and checked (received packs, packs being written), or that are
// only scratch (a registry compile's staged files). Locked (flock) while this object lives;
// removed with everything in it when it dies. SweepIncoming removes those of dead processes.
class Quarantine {
 public:
  explicit Quarantine(const std::string& store_path);
  ~Quarantine();
  Quarantine(const Quarantine&) = delete;
  Quarantine& operator=(const Quarantine&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  // False when the directory could not be made (dir() then names where it would have been).
  bool ok() const { return lock_fd_ >= 0; }

 private:
  std::filesystem::path dir_;
  int lock_fd_ = -1;  // an open descriptor of dir_, holding its flock
};

// Removes every quarantine under <store_path>/spoke-incoming/ whose lock no process holds: those
// of processes that died. Other entries there are left alone. An entry still being created (named
// n-<random> until it is locked and renamed to q-<random>, a matter of microseconds) is removed
// only when a minute old. Returns the number of entries removed; errors are ignored (a leftover
// costs disk space, never correctness).
int SweepIncoming(const std::string& store_path);

}  // namespace spoke

#endif  // SPOKE_QUARANTINE_H_
