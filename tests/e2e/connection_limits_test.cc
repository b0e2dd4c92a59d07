// Clients that keep a connection open without sending anything (every `spoke` process keeps its
// connection alive between requests, e.g. while it backs off in a push race) must not stall the
// registry for everybody else.
#include <gtest/gtest.h>

#include "harness.h"

namespace spoke::e2e {
namespace {

// More idle clients than a small fixed worker pool has threads, fewer than a registry should be
// expected to hold open at once.
constexpr int kIdleClients = 16;

TEST(ConnectionLimits, IdleKeepAliveClientsDoNotStallOtherRequests) {
  TempDir work;
  auto server = ServerProcess::Start({work.Sub("storage"), {}, {}});
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<httplib::Client>> idle;
  for (int i = 0; i < kIdleClients; ++i) {
    idle.push_back(HttpClient(server->port()));
    idle.back()->set_keep_alive(true);
    idle.back()->set_read_timeout(2, 0);
    auto live = idle.back()->Get("/health/live");
    // Only the first few get an answer in time when idle connections pin the workers.
    if (!live) break;
  }
  auto probe = HttpClient(server->port());
  probe->set_read_timeout(2, 0);
  auto ready = probe->Get("/health/ready");
  ASSERT_TRUE(ready) << "with " << idle.size()
                     << " idle keep-alive connections open the registry did not answer "
                     << "within 2 s: " << httplib::to_string(ready.error());
  EXPECT_EQ(ready->status, 200);
}

}  // namespace
}  // namespace spoke::e2e
