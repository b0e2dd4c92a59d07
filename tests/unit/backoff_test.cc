// Backoff (backoff.h): the doubling rule every retry loop shares.
#include "spoke/backoff.h"

#include <gtest/gtest.h>

#include <chrono>

namespace spoke {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Backoff, CeilingDoublesFromFirstUpToTheCap) {
  const Backoff backoff{milliseconds(1), milliseconds(64), microseconds(0)};
  EXPECT_EQ(backoff.Ceiling(1), milliseconds(1));
  EXPECT_EQ(backoff.Ceiling(2), milliseconds(2));
  EXPECT_EQ(backoff.Ceiling(7), milliseconds(64));
  EXPECT_EQ(backoff.Ceiling(8), milliseconds(64));
}

TEST(Backoff, CeilingNeverOverflowsHoweverManyRetries) {
  const Backoff backoff{seconds(7), seconds(3600), microseconds(0)};
  EXPECT_EQ(backoff.Ceiling(1000000), seconds(3600));
  EXPECT_EQ(backoff.Ceiling(10), seconds(3584));
}

TEST(Backoff, CeilingBeforeAnyRetryIsTheFirstPause) {
  const Backoff backoff{milliseconds(3), milliseconds(10), microseconds(0)};
  EXPECT_EQ(backoff.Ceiling(0), milliseconds(3));
}

TEST(Backoff, SleepBeforeRetryWaitsAtLeastTheFloor) {
  const Backoff backoff{microseconds(500), microseconds(500), milliseconds(2)};
  const auto start = std::chrono::steady_clock::now();
  backoff.SleepBeforeRetry(1);
  const auto slept = std::chrono::steady_clock::now() - start;
  EXPECT_GE(slept, milliseconds(2));
}

}  // namespace
}  // namespace spoke
