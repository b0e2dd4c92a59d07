// Mirrors that follow (spoke-server --mirror-of): a mirror serves every version its primary has
// (pulled through it with the CLI), keeps serving while the primary is down and catches up when it
// returns, refuses writes naming the primary, copies module records, follows another mirror, syncs
// at once when the primary notifies it (--notify), and its search and import indexes follow.
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "deps_fixture.h"

namespace spoke::e2e {
namespace {

class Mirror : public DependencyFixture {
 protected:
  std::unique_ptr<ServerProcess> StartMirror(const std::string& name, const std::string& primary,
                                             const std::string& interval) {
    mirror_dirs_.push_back(work_.Sub(name));
    return ServerProcess::Start(
        {work_.Sub(name), {"--mirror-of", primary, "--sync-interval", interval}, {}});
  }

  void TearDown() override {
    DependencyFixture::TearDown();
    for (const auto& dir : mirror_dirs_) GitFsck(dir);
  }

  // The "mirror" object of the server's GET /health/ready; records a failure unless it answers
  // 200 (a mirror stays ready while its primary is down).
  static Json MirrorHealth(int port) {
    auto res = HttpClient(port)->Get("/health/ready");
    EXPECT_TRUE(res && res->status == 200) << (res ? res->body : "no answer");
    if (!res || res->status != 200) return Json::MakeObject();
    return At(ParseJson(res->body), "mirror");
  }

  static bool HasVersion(int port, const std::string& module, const std::string& version) {
    auto res = HttpClient(port)->Get(("/modules/" + module + "/versions/" + version).c_str());
    return res && res->status == 200;
  }

  // Polls `condition` until it holds or `timeout` passes; each poll is a request to a server.
  static bool Eventually(const std::function<bool()>& condition,
                         std::chrono::milliseconds timeout = kDeadline) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
  }

  // Pulls module@version through the registry at `url` into a fresh directory; its files.
  FileSet PullThrough(const std::string& url, const std::string& module,
                      const std::string& version) {
    const std::string name = "pull-" + std::to_string(++pulls_);
    CliUser user(work_.Sub(name + "-home"), url);
    CommandResult pulled =
        user.Run({"pull", "-module", module, "-version", version, "-dir", work_.Sub(name)});
    EXPECT_EQ(pulled.exit_code, 0) << pulled.Describe();
    return ReadFiles(work_.Sub(name));
  }

  std::vector<std::string> mirror_dirs_;
  int pulls_ = 0;
};

TEST_F(Mirror, ServesEveryVersionKeepsServingWithoutItsPrimaryAndCatchesUpWhenItReturns) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  MustPush("order", "v1.0.0", kOrderV1, {"common@v1.0.0"});
  auto mirror = StartMirror("mirror", server_->url(), "1s");
  ASSERT_TRUE(mirror);
  ASSERT_TRUE(Eventually([&] { return At(MirrorHealth(mirror->port()), "syncs").as_int() >= 1; }));
  Json health = MirrorHealth(mirror->port());
  EXPECT_EQ(At(health, "primary").as_string(), server_->url());
  EXPECT_EQ(At(health, "sync_interval_seconds").as_int(), 1);
  EXPECT_TRUE(At(health, "last_successful_sync").is_string());
  EXPECT_EQ(At(health, "last_error").as_string(), "");

  EXPECT_EQ(PullThrough(mirror->url(), "common", "v1.0.0"), kCommonV1);
  EXPECT_EQ(PullThrough(mirror->url(), "order", "v1.0.0"), kOrderV1);

  // The primary dies: every read still works, ready stays 200 and says why it cannot sync.
  const int primary_port = server_->port();
  server_->Kill();
  ASSERT_TRUE(Eventually(
      [&] { return At(MirrorHealth(mirror->port()), "consecutive_failures").as_int() >= 1; }));
  EXPECT_TRUE(Contains(At(MirrorHealth(mirror->port()), "last_error").as_string(), "unreachable"))
      << MirrorHealth(mirror->port()).Dump(2);
  EXPECT_EQ(PullThrough(mirror->url(), "order", "v1.0.0"), kOrderV1);
  auto module = HttpClient(mirror->port())->Get("/modules/common");
  EXPECT_TRUE(module && module->status == 200 && Contains(module->body, "\"v1.0.0\""));

  // It returns, with a version pushed while the mirror could not see it: the mirror catches up.
  server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}, primary_port});
  ASSERT_TRUE(server_);
  MustPush("common", "v1.1.0", kCommonV2);
  ASSERT_TRUE(Eventually([&] { return HasVersion(mirror->port(), "common", "v1.1.0"); }));
  EXPECT_EQ(PullThrough(mirror->url(), "common", "v1.1.0"), kCommonV2);
  EXPECT_TRUE(Eventually(
      [&] { return At(MirrorHealth(mirror->port()), "consecutive_failures").as_int() == 0; }));
  EXPECT_GE(At(MirrorHealth(mirror->port()), "failed_syncs").as_int(), 1);
}

TEST_F(Mirror, RefusesAPushWith403NamingItsPrimary) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  auto mirror = StartMirror("mirror", server_->url(), "1h");
  ASSERT_TRUE(mirror);
  ASSERT_TRUE(Eventually([&] { return HasVersion(mirror->port(), "common", "v1.0.0"); }));

  CliUser pusher(work_.Sub("mirror-pusher"), mirror->url());
  const std::string dir = work_.Sub("src/common/v2");
  WriteFiles(dir, kCommonV2);
  CommandResult pushed =
      pusher.Run({"push", "-module", "common", "-version", "v1.1.0", "-dir", dir});
  EXPECT_EQ(pushed.exit_code, 1) << pushed.Describe();
  EXPECT_TRUE(Contains(pushed.err, "read-only mirror of " + server_->url() + "; push there"))
      << pushed.Describe();

  std::string message;
  auto http = HttpClient(mirror->port());
  EXPECT_EQ(ExpectJsonError(http->Post("/modules", "{\"name\": \"x\"}", "application/json"), 403,
                            &message),
            "permission_denied");
  EXPECT_TRUE(Contains(message, server_->url())) << message;
  EXPECT_EQ(ExpectJsonError(http->Put("/modules/common/compatibility",
                                      "{\"compatibility\": \"WIRE\"}", "application/json"),
                            403),
            "permission_denied");
  EXPECT_FALSE(HasVersion(mirror->port(), "common", "v1.1.0"));
  EXPECT_FALSE(HasVersion(server_->port(), "common", "v1.1.0"));
}

TEST_F(Mirror, CopiesTheModuleRecordsCompatibilityLevel) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  CommandResult set = publisher_->Run({"compat", "-module", "common", "--set", "WIRE"});
  ASSERT_EQ(set.exit_code, 0) << set.Describe();
  auto mirror = StartMirror("mirror", server_->url(), "1h");
  ASSERT_TRUE(mirror);
  ASSERT_TRUE(Eventually([&] { return HasVersion(mirror->port(), "common", "v1.0.0"); }));
  EXPECT_TRUE(Eventually([&] {
    auto res = HttpClient(mirror->port())->Get("/modules/common");
    return res && res->status == 200 && Contains(res->body, "\"compatibility\": \"WIRE\"");
  }));
}

TEST_F(Mirror, AMirrorOfAMirrorFollowsThePrimary) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  auto first = StartMirror("first", server_->url(), "1s");
  ASSERT_TRUE(first);
  auto second = StartMirror("second", first->url(), "1s");
  ASSERT_TRUE(second);
  ASSERT_TRUE(Eventually([&] { return HasVersion(second->port(), "common", "v1.0.0"); }));
  MustPush("common", "v1.1.0", kCommonV2);
  ASSERT_TRUE(Eventually([&] { return HasVersion(second->port(), "common", "v1.1.0"); }));
  EXPECT_EQ(PullThrough(second->url(), "common", "v1.1.0"), kCommonV2);
  EXPECT_EQ(At(MirrorHealth(second->port()), "primary").as_string(), first->url());
}

TEST_F(Mirror, ANoticeFromThePrimaryMakesANewVersionVisibleLongBeforeTheInterval) {
  StartServer();
  auto mirror = StartMirror("mirror", server_->url(), "1h");
  ASSERT_TRUE(mirror);
  ASSERT_TRUE(Eventually([&] { return At(MirrorHealth(mirror->port()), "syncs").as_int() >= 1; }));
  // The primary again, now telling the mirror of each change.
  const int primary_port = server_->port();
  server_->Stop();
  server_ =
      ServerProcess::Start({work_.Sub("storage"), {"--notify", mirror->url()}, {}, primary_port});
  ASSERT_TRUE(server_);

  MustPush("common", "v1.0.0", kCommonV1);
  // An hour's interval: only the notice can explain the version arriving within seconds.
  EXPECT_TRUE(Eventually([&] { return HasVersion(mirror->port(), "common", "v1.0.0"); },
                         std::chrono::seconds(5)));
  // The version is visible as soon as its refs are in; the count follows when the sync returns.
  EXPECT_TRUE(Eventually([&] { return At(MirrorHealth(mirror->port()), "syncs").as_int() >= 2; }));
  EXPECT_GE(At(MirrorHealth(mirror->port()), "notices").as_int(), 1);

  // A server that is not a mirror says so.
  EXPECT_EQ(ExpectJsonError(http_->Post("/sync/v1/notify", "{}", "application/json"), 404),
            "not_found");
}

TEST_F(Mirror, SearchAndImportsFindASyncedVersion) {
  StartServer();
  auto mirror = StartMirror("mirror", server_->url(), "1s");
  ASSERT_TRUE(mirror);
  ASSERT_TRUE(Eventually([&] { return At(MirrorHealth(mirror->port()), "syncs").as_int() >= 1; }));
  MustPush("common", "v1.0.0", kCommonV1);
  MustPush("order", "v1.0.0", kOrderV1, {"common@v1.0.0"});
  auto http = HttpClient(mirror->port());
  EXPECT_TRUE(Eventually([&] {
    auto res = http->Get("/search?type=message&q=Order");
    return res && res->status == 200 && Contains(res->body, "\"module\": \"order\"");
  }));
  EXPECT_TRUE(Eventually([&] {
    auto res = http->Get("/imports?path=common/types.proto");
    return res && res->status == 200 && Contains(res->body, "\"module\": \"common\"");
  }));
}

}  // namespace
}  // namespace spoke::e2e
