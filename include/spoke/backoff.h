// Pauses between the attempts of something that keeps failing for a while: a compare-and-swap
// lost to another writer, a compile that failed. Each pause may be twice the one before, up to a
// cap, so an attempt that fails costs little at first and a lasting failure is not hammered.
#ifndef SPOKE_BACKOFF_H_
#define SPOKE_BACKOFF_H_

#include <chrono>

namespace spoke {

struct Backoff {
  std::chrono::microseconds first;     // the longest pause before the first retry
  std::chrono::microseconds cap;       // the longest pause before any retry
  std::chrono::microseconds floor{0};  // the shortest pause before any retry (SleepBeforeRetry)

  // `first` doubled `retry` - 1 times, at most `cap`, for retry >= 1 (the first retry is 1); it
  // never overflows, however many retries. `first` when retry < 1.
  std::chrono::microseconds Ceiling(int retry) const;

  // Sleeps before retry `retry`: `floor` plus a random time below Ceiling(retry), so that writers
  // that lost the same race do not collide in step again. Thread-safe.
  void SleepBeforeRetry(int retry) const;
};

}  // namespace spoke

#endif  // SPOKE_BACKOFF_H_
