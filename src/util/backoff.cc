// Back-off pauses (backoff.h): one doubling rule for every retry loop.
#include "spoke/backoff.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <thread>

namespace spoke {

std::chrono::microseconds Backoff::Ceiling(int retry) const {
  std::chrono::microseconds pause = first;
  for (int i = 1; i < retry && pause < cap; ++i) pause *= 2;
  return std::min(pause, cap);
}

void Backoff::SleepBeforeRetry(int retry) const {
  thread_local std::mt19937_64 rng(std::random_device{}());
  const auto ceiling = static_cast<uint64_t>(std::max<int64_t>(Ceiling(retry).count(), 1));
  std::this_thread::sleep_for(floor + std::chrono::microseconds(rng() % ceiling));
}

}  // namespace spoke
