// spoke-server --postgres --compile-languages: Sprocket on the database's job queue
// (spoke/sprocket_queue.h). Two servers on one real PostgreSQL (tests/pg_cluster.h) compile every
// version pushed across them exactly once in all, counted from their /metrics and from the jobs
// rows; both list and serve the artifacts, byte for byte what `spoke compile` gets; a failure is
// recorded once and listed by both; a server killed mid-job loses its lease and the other one
// compiles the job. Skipped when PostgreSQL is not installed.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "archive_reader.h"
#include "e2e_util.h"
#include "harness.h"
#include "pg_cluster.h"
#include "postgres/connection.h"

namespace spoke::e2e {
namespace {

const std::vector<std::string> kLanguages = {"cpp", "python"};

class PostgresSprocketTest : public ::testing::Test {
 protected:
  void StartDatabase() {
    SPOKE_START_PG_OR_SKIP(pg);
    pg_ = std::move(pg);
    auto url = pg_->CreateDatabase("spoke");
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    url_ = *url;
  }

  // A server on the test's database that compiles kLanguages, a new version's jobs claimable
  // `delay` after it was pushed, under leases of `lease`; with an empty `delay`, one that does
  // not compile.
  std::unique_ptr<ServerProcess> StartServer(const std::string& name,
                                             const std::string& lease = "30s", const Env& env = {},
                                             const std::string& delay = "0s") {
    ServerProcess::Options options;
    options.storage_dir = work_.Sub(name);
    options.extra_args = {"--postgres", url_, "--default-compat", "NONE", "--validate",
                          "none",       "-q"};
    if (!delay.empty()) {
      options.extra_args.insert(options.extra_args.end(),
                                {"--compile-languages", "cpp,python", "--compile-delay", delay,
                                 "--compile-lease", lease});
    }
    options.env = env;
    return ServerProcess::Start(options);
  }

  CliUser User(const std::string& name, const ServerProcess& server) const {
    return CliUser(work_.Sub("home-" + name), server.url());
  }

  void Push(const ServerProcess& server, const std::string& module, const std::string& version,
            const FileSet& files) {
    const std::string dir = work_.Sub("src-" + module + "-" + version);
    WriteFiles(dir, files);
    CommandResult push =
        User("pusher", server).Run({"push", "-module", module, "-version", version, "-dir", dir});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
  }

  // The "artifacts" of module@version's GET on `server`: language -> status.
  static std::map<std::string, Json> Artifacts(const ServerProcess& server,
                                               const std::string& module,
                                               const std::string& version) {
    std::map<std::string, Json> states;
    auto got = HttpClient(server.port())->Get("/modules/" + module + "/versions/" + version);
    if (!got || got->status != 200) return states;
    const Json body = ParseJson(got->body);
    const Json* list = body.Get("artifacts");
    if (list == nullptr || !list->is_array()) return states;
    for (const Json& entry : list->as_array()) states[entry.GetString("language")] = entry;
    return states;
  }

  static bool AllReady(const ServerProcess& server, const std::string& module,
                       const std::string& version) {
    std::map<std::string, Json> states = Artifacts(server, module, version);
    for (const std::string& language : kLanguages) {
      if (states[language].GetString("status") != "ready") return false;
    }
    return true;
  }

  // Compiles that ran on `server` in `language` with `result` ("ok" or "failed"), from its
  // /metrics (spoke_compile_duration_seconds_count).
  static int CompilesOn(const ServerProcess& server, const std::string& language,
                        const std::string& result) {
    auto got = HttpClient(server.port())->Get("/metrics");
    if (!got || got->status != 200) return -1;
    std::istringstream lines(got->body);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("spoke_compile_duration_seconds_count{", 0) != 0) continue;
      if (!Contains(line, "language=\"" + language + "\"") ||
          !Contains(line, "result=\"" + result + "\""))
        continue;
      return std::stoi(line.substr(line.rfind(' ') + 1));
    }
    return 0;
  }

  // Polls `condition` until it holds or the deadline passes; each poll asks the servers.
  static bool Eventually(const std::function<bool()>& condition,
                         std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
  }

  // One number from the database.
  int64_t Query(const std::string& sql) {
    auto connection = postgres::Connection::Open(url_);
    EXPECT_TRUE(connection.ok()) << connection.status().ToString();
    if (!connection.ok()) return -1;
    auto rows = (*connection)->Execute(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->size() != 1) return -1;
    auto value = rows->Int64(0, 0);
    return value.ok() ? *value : -1;
  }

  TempDir work_;
  std::unique_ptr<testing::PgCluster> pg_;
  std::string url_;
};

TEST_F(PostgresSprocketTest, TwoServersCompileEachVersionExactlyOnceAndServeTheSameArtifacts) {
  ASSERT_NO_FATAL_FAILURE(StartDatabase());
  auto first = StartServer("first");
  auto second = StartServer("second");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  std::vector<ServerProcess*> servers = {first.get(), second.get()};
  constexpr int kVersions = 6;
  for (int i = 0; i < kVersions; ++i) {
    ASSERT_NO_FATAL_FAILURE(Push(*servers[i % 2], "many", "v1." + std::to_string(i) + ".0",
                                 MakeProtoFiles("many", 3, 400, 500 + i)));
  }
  for (int i = 0; i < kVersions; ++i) {
    const std::string version = "v1." + std::to_string(i) + ".0";
    for (ServerProcess* server : servers) {
      EXPECT_TRUE(Eventually([&] { return AllReady(*server, "many", version); }))
          << version << " not ready on " << server->url() << "\n"
          << first->process().Stderr() << second->process().Stderr();
    }
  }
  // Exactly once in all, counted two ways: the servers' compile counters and the jobs rows.
  for (const std::string& language : kLanguages) {
    EXPECT_EQ(CompilesOn(*first, language, "ok") + CompilesOn(*second, language, "ok"), kVersions)
        << language;
    EXPECT_EQ(CompilesOn(*first, language, "failed") + CompilesOn(*second, language, "failed"), 0)
        << language;
    EXPECT_EQ(Query("SELECT count(*) FROM jobs WHERE kind = 'compile-" + language +
                    "' AND state = 'done' AND attempts = 1"),
              kVersions)
        << language;
  }
  EXPECT_EQ(Query("SELECT count(*) FROM jobs"), kVersions * 2);
  EXPECT_EQ(Query("SELECT count(*) FROM refs WHERE name LIKE 'refs/artifacts/%'"), kVersions * 2);

  // Both serve the same archive, which is what `spoke compile` writes, and nothing compiles again.
  for (const std::string& language : kLanguages) {
    auto from_first =
        HttpClient(first->port())->Get("/modules/many/versions/v1.3.0/download/" + language);
    auto from_second =
        HttpClient(second->port())->Get("/modules/many/versions/v1.3.0/download/" + language);
    ASSERT_TRUE(from_first && from_second);
    ASSERT_EQ(from_first->status, 200) << from_first->body;
    ASSERT_EQ(from_second->status, 200) << from_second->body;
    EXPECT_EQ(from_first->body, from_second->body) << language;
    const std::string out = work_.Sub("gen-" + language);
    CommandResult compiled = User("compiler", *second)
                                 .Run({"compile", "-module", "many", "-version", "v1.3.0", "-lang",
                                       language, "-out", out, "--json"});
    ASSERT_EQ(compiled.exit_code, 0) << compiled.Describe();
    EXPECT_EQ(JsonOut(compiled).Get("generator_runs")->as_int(), 0) << compiled.out;
    const FileSet archived = ReadArchive(from_first->body);
    EXPECT_FALSE(archived.empty());
    EXPECT_EQ(ReadFiles(out), archived) << language;
    EXPECT_EQ(CompilesOn(*first, language, "ok") + CompilesOn(*second, language, "ok"), kVersions)
        << language << ": a download or `spoke compile` compiled again";
  }
  // The compile route works too: a language no server compiles in the background, staged in the
  // compiling server's own directory, stored for the other.
  auto posted = HttpClient(second->port())
                    ->Post("/modules/many/versions/v1.3.0/compile/java", "", "application/json");
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 201) << posted->body;
  const std::string key = ParseJson(posted->body).GetString("key");
  auto java = HttpClient(first->port())->Get("/modules/many/versions/v1.3.0/download/java");
  ASSERT_TRUE(java);
  EXPECT_EQ(java->status, 200) << java->body;
  EXPECT_EQ(java->get_header_value("X-Spoke-Artifact-Key"), key);
  auto again = HttpClient(first->port())
                   ->Post("/modules/many/versions/v1.3.0/compile/java", "", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
  first->Stop();
  second->Stop();
}

TEST_F(PostgresSprocketTest, AFailedCompileIsRecordedOnceAndListedByBothServers) {
  ASSERT_NO_FATAL_FAILURE(StartDatabase());
  // --validate none takes it; no generator does. Pushed before any server compiles, so the
  // compiling servers enqueue it at once, and with -delay 1m its back-off outlasts the test.
  auto publisher = StartServer("publisher", "30s", {}, "");
  ASSERT_TRUE(publisher);
  ASSERT_NO_FATAL_FAILURE(
      Push(*publisher, "broken", "v1.0.0",
           {{"broken.proto", "syntax = \"proto3\";\nmessage Broken { strin id = 1; }\n"}}));
  auto first = StartServer("first", "30s", {}, "1m");
  auto second = StartServer("second", "30s", {}, "1m");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  for (ServerProcess* server : {first.get(), second.get()}) {
    EXPECT_TRUE(Eventually([&] {
      auto states = Artifacts(*server, "broken", "v1.0.0");
      return states["cpp"].GetString("status") == "failed" &&
             states["python"].GetString("status") == "failed";
    })) << Artifacts(*server, "broken", "v1.0.0")["cpp"].Dump();
    auto states = Artifacts(*server, "broken", "v1.0.0");
    for (const std::string& language : kLanguages) {
      const Json& state = states[language];
      EXPECT_TRUE(Contains(state.GetString("message"), "strin")) << state.Dump();
      EXPECT_EQ(state.Get("attempts")->as_int(), 1) << state.Dump();
      EXPECT_FALSE(state.GetString("next_attempt").empty()) << state.Dump();
    }
  }
  for (const std::string& language : kLanguages) {
    EXPECT_EQ(CompilesOn(*first, language, "failed") + CompilesOn(*second, language, "failed"), 1)
        << language;
    EXPECT_EQ(Query("SELECT count(*) FROM jobs WHERE kind = 'compile-" + language +
                    "' AND state = 'queued' AND attempts = 1 AND last_error LIKE '%strin%'"
                    " AND not_before > now() + interval '50 seconds'"),
              1)
        << language;
  }
}

TEST_F(PostgresSprocketTest, AJobOfAServerKilledMidCompileIsCompiledByAnotherOnceItsLeaseExpires) {
  ASSERT_NO_FATAL_FAILURE(StartDatabase());
  auto doomed = StartServer("doomed", "1s", {{"SPOKE_TEST_HOLD_AT", "compile-claimed"}});
  ASSERT_TRUE(doomed);
  ASSERT_NO_FATAL_FAILURE(Push(*doomed, "orphan", "v1.0.0", MakeProtoFiles("orphan", 2, 300, 9)));
  ASSERT_TRUE(doomed->process().WaitForLine(Process::Stream::kStderr, "holding at compile-claimed"))
      << doomed->process().Stderr();
  // Held while its heartbeat renews the lease: nobody else may take the job meanwhile.
  EXPECT_EQ(Query("SELECT count(*) FROM jobs WHERE state = 'running' AND lease_expires > now()"),
            1);
  doomed->Kill();

  auto survivor = StartServer("survivor", "1s");
  ASSERT_TRUE(survivor);
  EXPECT_TRUE(Eventually([&] { return AllReady(*survivor, "orphan", "v1.0.0"); }))
      << survivor->process().Stderr();
  for (const std::string& language : kLanguages)
    EXPECT_EQ(CompilesOn(*survivor, language, "ok"), 1) << language;
  // The job the killed server held was claimed again (two attempts); the other one once.
  EXPECT_EQ(Query("SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 2"), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 1"), 1);
  survivor->Stop();
}

}  // namespace
}  // namespace spoke::e2e
