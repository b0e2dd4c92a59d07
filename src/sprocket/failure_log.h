// Sprocket's record of failed compiles, kept in <store>/sprocket/failures.json so that a restart
// does not retry at once what failed a moment ago (format in docs/storage.md).
#ifndef SPOKE_SPROCKET_FAILURE_LOG_H_
#define SPOKE_SPROCKET_FAILURE_LOG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spoke/sprocket.h"
#include "spoke/status.h"

namespace spoke {

inline constexpr char kSprocketFailuresFormat[] = "spoke-sprocket-failures/1";
// The longest back-off between two attempts at a failing compile.
inline constexpr std::chrono::seconds kSprocketMaxBackoff{3600};

class Sprocket::FailureLog {
 public:
  struct Failure {
    std::string module, version, language;
    std::string key;  // the artifact key that failed; empty when it could not be computed
    std::string message;
    int attempts = 0;          // consecutive failures of this key
    int64_t first_failed = 0;  // seconds since the epoch
    int64_t last_failed = 0;
    int64_t next_attempt = 0;  // not tried again before this
  };

  // Reads the log at `path`; an absent file is an empty log. An empty `path` is a log kept in
  // memory only, never read or written. Corruption when it cannot be parsed
  // or is of another format (the file is the operator's to inspect or remove: it is never
  // overwritten silently).
  static Result<std::unique_ptr<FailureLog>> Load(const std::string& path);

  // The failure recorded for the (version, language), or null.
  const Failure* Find(const std::string& module, const std::string& version,
                      const std::string& language) const;

  // Records a failure at `now` (seconds since the epoch) and saves the log. Attempts count up while
  // the key stays the same (from 1 for a new key), and the next attempt waits `base` doubled for
  // each earlier attempt, at most kSprocketMaxBackoff.
  Result<Failure> Record(const std::string& module, const std::string& version,
                         const std::string& language, const std::string& key,
                         const std::string& message, int64_t now, std::chrono::seconds base);

  // Forgets the (version, language) (it compiled, or was found compiled) and saves the log when it
  // changed.
  Status Clear(const std::string& module, const std::string& version, const std::string& language);

  // The earliest next_attempt of the records of `languages`, or 0 when there are none (records of
  // other languages wait for a Sprocket configured for them).
  int64_t EarliestNextAttempt(const std::vector<std::string>& languages) const;

 private:
  explicit FailureLog(std::string path) : path_(std::move(path)) {}
  static std::string Name(const std::string& module, const std::string& version,
                          const std::string& language) {
    return module + "@" + version + " " + language;
  }
  Status Save() const;

  std::string path_;
  std::map<std::string, Failure> failures_;  // by Name()
};

}  // namespace spoke

#endif  // SPOKE_SPROCKET_FAILURE_LOG_H_
