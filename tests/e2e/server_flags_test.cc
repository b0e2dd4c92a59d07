// spoke-server's flags from the original Spoke's deployments: --health-port serves the health
// checks, and only them, on a second port of the same address; --version prints the version line
// `spoke --version-info` prints.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "e2e_util.h"
#include "harness.h"
#include "raw_http.h"

namespace spoke::e2e {
namespace {

// The health listener's port from the server's "health checks on http://127.0.0.1:PORT/..." line;
// 0 (with a failure recorded) when it never printed one.
int HealthPortOf(ServerProcess& server) {
  auto line =
      server.process().WaitForLine(Process::Stream::kStdout, "spoke-server: health checks on ");
  const std::string marker = "http://127.0.0.1:";
  size_t at = line ? line->find(marker) : std::string::npos;
  EXPECT_NE(at, std::string::npos) << server.process().Stdout();
  if (at == std::string::npos) return 0;
  return std::atoi(line->c_str() + at + marker.size());
}

std::optional<RawResponse> Get(int port, const std::string& path) {
  return RawRequest(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
}

TEST(ServerFlags, HealthPortServesTheHealthChecksAndNothingElse) {
  for (std::string spelling : {"-health-port", "--health-port"}) {
    SCOPED_TRACE(spelling);
    TempDir work;
    auto server = ServerProcess::Start({work.Sub("storage"), {spelling, "0"}, {}});
    ASSERT_TRUE(server);
    const int health = HealthPortOf(*server);
    ASSERT_GT(health, 0);
    EXPECT_NE(health, server->port());

    auto live = Get(health, "/health/live");
    ASSERT_TRUE(live);
    EXPECT_EQ(live->status, 200) << live->body;
    EXPECT_EQ(ParseJson(live->body).GetString("status"), "ok") << live->body;
    auto ready = Get(health, "/health/ready");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 200) << ready->body;
    EXPECT_EQ(ParseJson(ready->body).GetString("status"), "ok") << ready->body;
    EXPECT_TRUE(Contains(ParseJson(ready->body).GetString("storage"), "storage")) << ready->body;

    // Only health there: the API answers 404, a write to a health route 405.
    for (std::string path : {"/modules", "/modules/user", "/imports?path=a.proto"}) {
      auto other = Get(health, path);
      ASSERT_TRUE(other);
      EXPECT_EQ(other->status, 404) << path << "\n" << other->body;
    }
    auto post =
        RawRequest(health, "POST /modules HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 404) << post->body;
    auto post_live =
        RawRequest(health, "POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(post_live);
    EXPECT_EQ(post_live->status, 405) << post_live->body;

    // The main port still serves everything, health included.
    auto api = Get(server->port(), "/modules");
    ASSERT_TRUE(api);
    EXPECT_EQ(api->status, 200) << api->body;
    auto main_live = Get(server->port(), "/health/live");
    ASSERT_TRUE(main_live);
    EXPECT_EQ(main_live->status, 200) << main_live->body;

    server->Stop();
  }
}

TEST(ServerFlags, WithoutHealthPortThereIsNoSecondListener) {
  TempDir work;
  auto server = ServerProcess::Start({work.Sub("storage"), {}, {}});
  ASSERT_TRUE(server);
  server->Stop();
  EXPECT_FALSE(Contains(server->process().Stdout(), "health checks on"))
      << server->process().Stdout();
}

TEST(ServerFlags, AHealthPortInUseIsRefusedNamingTheFlag) {
  TempDir work;
  auto first = ServerProcess::Start({work.Sub("one"), {}, {}});
  ASSERT_TRUE(first);
  CommandResult second =
      RunCommand({{SPOKE_SERVER_BIN, "-port", "0", "--host", "127.0.0.1", "-storage-dir",
                   work.Sub("two"), "-q", "-health-port", std::to_string(first->port())},
                  {},
                  ""});
  EXPECT_EQ(second.exit_code, 1) << second.Describe();
  EXPECT_TRUE(Contains(second.err, "address in use")) << second.Describe();
  EXPECT_TRUE(Contains(second.err, "-health-port")) << second.Describe();
  EXPECT_FALSE(Contains(second.out, "spoke-server: serving")) << second.Describe();
}

TEST(ServerFlags, AHealthPortOutOfRangeIsAUsageError) {
  TempDir work;
  for (std::string port : {"70000", "-1", "ninety"}) {
    SCOPED_TRACE(port);
    CommandResult run = RunCommand({{SPOKE_SERVER_BIN, "-port", "0", "-storage-dir",
                                     work.Sub("storage"), "--health-port", port},
                                    {},
                                    ""});
    EXPECT_EQ(run.exit_code, 2) << run.Describe();
  }
}

TEST(ServerFlags, VersionPrintsTheVersionLineTheCliPrints) {
  CommandResult cli = RunCli({"--version-info"});
  ASSERT_EQ(cli.exit_code, 0) << cli.Describe();
  ASSERT_TRUE(Contains(cli.out, "spoke ")) << cli.Describe();
  TempDir work;
  for (std::string spelling : {"--version", "-version"}) {
    SCOPED_TRACE(spelling);
    // A storage dir that would be created if the server went on to serve.
    CommandResult server =
        RunCommand({{SPOKE_SERVER_BIN, spelling, "-storage-dir", work.Sub("never")}, {}, ""});
    EXPECT_EQ(server.exit_code, 0) << server.Describe();
    EXPECT_EQ(server.out, cli.out) << server.Describe();
  }
  EXPECT_FALSE(std::filesystem::exists(work.Sub("never")));
}

}  // namespace
}  // namespace spoke::e2e
