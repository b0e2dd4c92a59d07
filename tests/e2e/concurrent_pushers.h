// Many `spoke` commands at once, each its own process with its own home: the races of pushers
// (immutability_race_test.cc on one server, postgres_servers_test.cc over several on one database).
#ifndef SPOKE_TESTS_E2E_CONCURRENT_PUSHERS_H_
#define SPOKE_TESTS_E2E_CONCURRENT_PUSHERS_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "harness.h"

namespace spoke::e2e {

struct Pusher {
  std::string dir;  // what it pushes, or where it pulls to
  std::unique_ptr<Process> process;
  CommandResult result;
};

// Starts every command (users[i] runs args[i] for pushers[i]) before waiting for any, so they
// overlap; then keeps each one's result.
inline void RunConcurrently(std::vector<Pusher>& pushers,
                            const std::vector<std::vector<std::string>>& args,
                            const std::vector<CliUser>& users) {
  for (size_t i = 0; i < pushers.size(); ++i) {
    pushers[i].process = users[i].Start(args[i]);
    ASSERT_TRUE(pushers[i].process);
  }
  for (auto& pusher : pushers) {
    auto code = pusher.process->WaitForExit();
    ASSERT_TRUE(code) << "a command did not finish in time";
    pusher.result = {*code, pusher.process->Stdout(), pusher.process->Stderr()};
  }
}

// Of pushers of one version with different contents: expects exactly one winner, every other
// refused with the documented conflict (exit 1, "already exists with different content"; the
// API's 409), and returns the winner's dir ("" when there was not exactly one).
inline std::string OnlyWinnerOf(const std::vector<Pusher>& pushers) {
  int winners = 0;
  std::string winner_dir;
  for (const auto& pusher : pushers) {
    if (pusher.result.exit_code == 0) {
      ++winners;
      winner_dir = pusher.dir;
      continue;
    }
    EXPECT_EQ(pusher.result.exit_code, 1) << pusher.result.Describe();
    EXPECT_NE(pusher.result.err.find("already exists"), std::string::npos)
        << pusher.result.Describe();
    EXPECT_NE(pusher.result.err.find("different content"), std::string::npos)
        << pusher.result.Describe();
  }
  EXPECT_EQ(winners, 1);
  return winners == 1 ? winner_dir : "";
}

}  // namespace spoke::e2e

#endif  // SPOKE_TESTS_E2E_CONCURRENT_PUSHERS_H_
