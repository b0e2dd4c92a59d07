// The lock that lets one compiler at a time serve a store: <store>/sprocket/lock, held with flock
// by a standalone sprocket or by a spoke-server run with --compile-languages, and holding who that
// is (format in docs/storage.md), so that the one refused can say whom to stop, and the registry
// can tell which languages are being compiled.
#ifndef SPOKE_SPROCKET_SPROCKET_LOCK_H_
#define SPOKE_SPROCKET_SPROCKET_LOCK_H_

#include <string>
#include <vector>

#include "spoke/status.h"

namespace spoke {

inline constexpr char kSprocketLockFormat[] = "spoke-sprocket-lock/1";

struct SprocketHolder {
  long pid = 0;
  std::string kind;  // "sprocket" or "spoke-server"
  std::vector<std::string> languages;
};

// Takes <dir>/lock (flock, exclusive, not waiting), creating `dir`, and writes `holder` into it.
// The open descriptor, to close to let go; FailedPrecondition naming the holder when another
// process holds it.
Result<int> TakeSprocketLock(const std::string& dir, const SprocketHolder& holder);

// Who holds <dir>/lock now: a holder with an empty kind when no one does (no file, or a file no
// live process has locked). IOError when the file exists but cannot be opened.
Result<SprocketHolder> SprocketLockHolder(const std::string& dir);

}  // namespace spoke

#endif  // SPOKE_SPROCKET_SPROCKET_LOCK_H_
