// Three spoke-server processes on one real PostgreSQL (tests/pg_cluster.h), each with a storage
// directory of its own, driven by the real CLI: what one server acknowledges, every other serves
// at once and byte for byte; racers of one version over all three give one winner; racers of
// different versions all land; a server started later, its cache empty, serves everything; a
// server killed mid-push loses nothing acknowledged and shows no partial version; tokens kept in
// the database count on every server. Skipped when PostgreSQL is not installed.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "concurrent_pushers.h"
#include "harness.h"
#include "pg_cluster.h"

namespace spoke::e2e {
namespace {

constexpr int kServers = 3;
constexpr int kPushers = 16;

class PostgresServersTest : public ::testing::Test {
 protected:
  // A database of its own and three servers on it; the third finds the URL in SPOKE_POSTGRES, the
  // others in --postgres.
  void StartCluster(const std::vector<std::string>& extra_args = {}) {
    SPOKE_START_PG_OR_SKIP(pg);
    pg_ = std::move(pg);
    auto url = pg_->CreateDatabase("spoke");
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    url_ = *url;
    extra_args_ = extra_args;
    for (int i = 0; i < kServers; ++i) {
      auto server = StartServer("server" + std::to_string(i), /*url_in_env=*/i == kServers - 1);
      ASSERT_TRUE(server);
      servers_.push_back(std::move(server));
    }
  }

  std::unique_ptr<ServerProcess> StartServer(const std::string& name, bool url_in_env = false,
                                             const Env& env = {}) {
    ServerProcess::Options options;
    options.storage_dir = work_.Sub(name);
    options.extra_args = extra_args_;
    options.env = env;
    if (url_in_env) {
      options.env.emplace_back("SPOKE_POSTGRES", url_);
    } else {
      options.extra_args.insert(options.extra_args.begin(), {"--postgres", url_});
    }
    return ServerProcess::Start(options);
  }

  CliUser User(const std::string& name, const ServerProcess& server) const {
    return CliUser(work_.Sub("home-" + name), server.url());
  }

  TempDir work_;
  std::unique_ptr<testing::PgCluster> pg_;
  std::string url_;
  std::vector<std::string> extra_args_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

// Pulls `module`@`version` from every server at once and expects each copy to equal `source`.
void ExpectEveryServerServes(const std::vector<ServerProcess*>& servers, const TempDir& work,
                             const std::string& module, const std::string& version,
                             const std::string& source, const std::string& tag) {
  std::vector<Pusher> pullers(servers.size());
  std::vector<std::vector<std::string>> args;
  std::vector<CliUser> users;
  for (size_t i = 0; i < servers.size(); ++i) {
    pullers[i].dir = work.Sub("pulled-" + tag + "-" + std::to_string(i));
    users.emplace_back(work.Sub("home-puller-" + tag + "-" + std::to_string(i)), servers[i]->url());
    args.push_back({"pull", "-module", module, "-version", version, "-dir", pullers[i].dir});
  }
  ASSERT_NO_FATAL_FAILURE(RunConcurrently(pullers, args, users));
  const FileSet expected = ReadFiles(source);
  ASSERT_FALSE(expected.empty());
  for (size_t i = 0; i < servers.size(); ++i) {
    ASSERT_EQ(pullers[i].result.exit_code, 0) << pullers[i].result.Describe();
    EXPECT_EQ(ReadFiles(pullers[i].dir), expected)
        << module << "@" << version << " from server " << i;
  }
}

TEST_F(PostgresServersTest, AVersionPushedToOneIsPulledFromTheOtherTwoAtOnceByteExact) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  const std::string source = work_.Sub("src");
  WriteFiles(source, MakeProtoFiles("shared", 12, 2000, 7));
  CommandResult push =
      User("pusher", *servers_[0])
          .Run({"push", "-module", "shared", "-version", "v1.0.0", "-dir", source});
  ASSERT_EQ(push.exit_code, 0) << push.Describe();

  ASSERT_NO_FATAL_FAILURE(ExpectEveryServerServes({servers_[1].get(), servers_[2].get()}, work_,
                                                  "shared", "v1.0.0", source, "a"));
  // The REST API and the web UI of the others answer from the shared store too.
  const FileSet files = ReadFiles(source);
  const auto& [path, content] = *files.begin();
  for (int i = 1; i < kServers; ++i) {
    auto http = HttpClient(servers_[i]->port());
    auto version = http->Get("/modules/shared/versions/v1.0.0");
    ASSERT_TRUE(version);
    EXPECT_EQ(version->status, 200) << version->body;
    EXPECT_NE(version->body.find("\"v1.0.0\""), std::string::npos) << version->body;
    auto file = http->Get("/modules/shared/versions/v1.0.0/files/" + path);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->status, 200);
    EXPECT_EQ(file->body, content);
    for (const std::string& page :
         std::vector<std::string>{"/", "/ui/modules/shared", "/ui/modules/shared/versions/v1.0.0",
                                  "/ui/modules/shared/versions/v1.0.0/files/" + path}) {
      auto ui = http->Get(page);
      ASSERT_TRUE(ui) << page;
      EXPECT_EQ(ui->status, 200) << page << "\n" << ui->body;
      EXPECT_NE(ui->body.find("shared"), std::string::npos) << page;
    }
  }
}

TEST_F(PostgresServersTest, OfSixteenPushersOfOneVersionOverThreeServersExactlyOneWins) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  std::vector<Pusher> pushers(kPushers);
  std::vector<std::vector<std::string>> args;
  std::vector<CliUser> users;
  for (int i = 0; i < kPushers; ++i) {
    pushers[i].dir = work_.Sub("src" + std::to_string(i));
    WriteFiles(pushers[i].dir, MakeProtoFiles("race", 3, 300, 100 + i));
    users.push_back(User("racer" + std::to_string(i), *servers_[i % kServers]));
    args.push_back({"push", "-module", "race", "-version", "v1.0.0", "-dir", pushers[i].dir});
  }
  ASSERT_NO_FATAL_FAILURE(RunConcurrently(pushers, args, users));

  const std::string winner_dir = OnlyWinnerOf(pushers);
  ASSERT_FALSE(winner_dir.empty());
  ASSERT_NO_FATAL_FAILURE(
      ExpectEveryServerServes({servers_[0].get(), servers_[1].get(), servers_[2].get()}, work_,
                              "race", "v1.0.0", winner_dir, "race"));
}

TEST_F(PostgresServersTest, SixteenPushersOfDifferentVersionsOverThreeServersAllLand) {
  // Each version is unrelated random content: the race is tested, not compatibility. Two
  // connections a server, fewer than the pushers each serves, so requests wait for connections.
  ASSERT_NO_FATAL_FAILURE(
      StartCluster({"--default-compat", "NONE", "--postgres-connections", "2"}));
  std::vector<Pusher> pushers(kPushers);
  std::vector<std::vector<std::string>> args;
  std::vector<CliUser> users;
  for (int i = 0; i < kPushers; ++i) {
    pushers[i].dir = work_.Sub("src" + std::to_string(i));
    WriteFiles(pushers[i].dir, MakeProtoFiles("busy", 3, 300, 200 + i));
    users.push_back(User("pusher" + std::to_string(i), *servers_[i % kServers]));
    args.push_back({"push", "-module", "busy", "-version", "v1." + std::to_string(i) + ".0", "-dir",
                    pushers[i].dir});
  }
  ASSERT_NO_FATAL_FAILURE(RunConcurrently(pushers, args, users));
  for (const auto& pusher : pushers)
    EXPECT_EQ(pusher.result.exit_code, 0) << pusher.result.Describe();

  for (int s = 0; s < kServers; ++s) {
    CommandResult log =
        User("reader" + std::to_string(s), *servers_[s]).Run({"log", "-module", "busy"});
    ASSERT_EQ(log.exit_code, 0) << log.Describe();
    for (int i = 0; i < kPushers; ++i) {
      EXPECT_NE(log.out.find("version v1." + std::to_string(i) + ".0 "), std::string::npos)
          << "v1." << i << ".0 missing on server " << s << "\n"
          << log.out;
    }
  }
  // Each pulled from a server other than the one it was pushed to.
  for (int i = 0; i < kPushers; ++i) {
    const std::string version = "v1." + std::to_string(i) + ".0";
    const std::string out = work_.Sub("out" + version);
    CommandResult pull = User("puller", *servers_[(i + 1) % kServers])
                             .Run({"pull", "-module", "busy", "-version", version, "-dir", out});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    EXPECT_EQ(ReadFiles(out), ReadFiles(pushers[i].dir)) << version;
  }
}

TEST_F(PostgresServersTest, AServerStartedLaterWithAnEmptyCacheServesEverythingAtOnce) {
  ASSERT_NO_FATAL_FAILURE(StartCluster({"--default-compat", "NONE"}));
  std::vector<std::string> sources;
  for (int i = 0; i < 6; ++i) {
    sources.push_back(work_.Sub("src" + std::to_string(i)));
    WriteFiles(sources.back(), MakeProtoFiles("late", 4, 800, 300 + i));
    CommandResult push = User("pusher", *servers_[i % kServers])
                             .Run({"push", "-module", "late", "-version",
                                   "v0." + std::to_string(i) + ".0", "-dir", sources.back()});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
  }
  auto late = StartServer("late-server");
  ASSERT_TRUE(late);
  for (int i = 0; i < 6; ++i) {
    const std::string version = "v0." + std::to_string(i) + ".0";
    const std::string out = work_.Sub("late-out" + std::to_string(i));
    CommandResult pull = User("late-reader", *late)
                             .Run({"pull", "-module", "late", "-version", version, "-dir", out});
    ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
    EXPECT_EQ(ReadFiles(out), ReadFiles(sources[i])) << version;
  }
  auto page = HttpClient(late->port())->Get("/ui/modules/late");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("v0.5.0"), std::string::npos);
}

// A server killed (SIGKILL) while it receives a push, before and while the refs' transaction holds
// its locks: what was acknowledged before stays, the version is on no server or entirely there,
// and pushing it again through another server works.
class PostgresServerKilledMidPush : public PostgresServersTest,
                                    public ::testing::WithParamInterface<std::string> {};

TEST_P(PostgresServerKilledMidPush, LosesNothingAcknowledgedAndShowsNoPartialVersion) {
  const std::string stage = GetParam();
  ASSERT_NO_FATAL_FAILURE(StartCluster({"--default-compat", "NONE"}));
  const FileSet v1 = MakeProtoFiles("crashy", 3, 300, 5);
  const FileSet v2 = MakeProtoFiles("crashy", 40, 300, 6);
  WriteFiles(work_.Sub("v1"), v1);
  WriteFiles(work_.Sub("v2"), v2);
  CommandResult first =
      User("publisher", *servers_[0])
          .Run({"push", "-module", "crashy", "-version", "v1.0.0", "-dir", work_.Sub("v1")});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();

  auto doomed = StartServer("doomed", false, {{"SPOKE_TEST_HOLD_AT", stage}});
  ASSERT_TRUE(doomed);
  auto push =
      User("publisher", *doomed)
          .Start({"push", "-module", "crashy", "-version", "v1.1.0", "-dir", work_.Sub("v2")});
  ASSERT_TRUE(push);
  ASSERT_TRUE(doomed->process().WaitForLine(Process::Stream::kStderr, "holding at " + stage))
      << "the server never reached " << stage << "\n--- server stderr\n"
      << doomed->process().Stderr() << "\n--- push stderr\n"
      << push->Stderr();
  doomed->Kill();
  auto code = push->WaitForExit();
  ASSERT_TRUE(code) << "the push did not notice the server died";
  EXPECT_EQ(*code, 1) << push->Stdout() << push->Stderr();

  // Nothing of v1.1.0 on any server; v1.0.0 whole on each.
  for (int s = 0; s < kServers; ++s) {
    auto version = HttpClient(servers_[s]->port())->Get("/modules/crashy/versions/v1.1.0");
    ASSERT_TRUE(version);
    EXPECT_EQ(version->status, 404) << "server " << s << ": " << version->body;
  }
  ASSERT_NO_FATAL_FAILURE(
      ExpectEveryServerServes({servers_[0].get(), servers_[1].get(), servers_[2].get()}, work_,
                              "crashy", "v1.0.0", work_.Sub("v1"), "kept"));
  // The same user, with the same local store as before the kill, pushes again elsewhere.
  CommandResult again =
      User("publisher", *servers_[1])
          .Run({"push", "-module", "crashy", "-version", "v1.1.0", "-dir", work_.Sub("v2")});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  ASSERT_NO_FATAL_FAILURE(
      ExpectEveryServerServes({servers_[0].get(), servers_[1].get(), servers_[2].get()}, work_,
                              "crashy", "v1.1.0", work_.Sub("v2"), "redone"));
}

INSTANTIATE_TEST_SUITE_P(Stages, PostgresServerKilledMidPush,
                         ::testing::Values("pack-indexed", "refs-locked"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param == "pack-indexed" ? std::string("PackIndexed")
                                                                     : std::string("RefsLocked");
                         });

// spoke-server run to its exit with `args`.
CommandResult RunServer(const std::vector<std::string>& args, const Env& env = {}) {
  Process::Options options;
  options.argv = {SPOKE_SERVER_BIN};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = env;
  return RunCommand(options);
}

// The first line `spoke-server token create` prints: the token ("" with a failure recorded).
std::string CreateToken(const std::vector<std::string>& args, const Env& env = {}) {
  std::vector<std::string> argv{"token", "create"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult created = RunServer(argv, env);
  EXPECT_EQ(created.exit_code, 0) << created.Describe();
  std::string token = created.out.substr(0, created.out.find('\n'));
  EXPECT_EQ(token.rfind("spoke_", 0), 0u) << created.Describe();
  return token;
}

// Tokens are the shared store's: created beside no server (`spoke-server token --postgres`),
// honoured by all three with their scopes, and refused by all three once revoked, at once.
TEST_F(PostgresServersTest, TokensInTheDatabaseCountOnEveryServerAndARevokeAtOnce) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  int pushes = 0;
  auto push = [&](const ServerProcess& server, const std::string& module,
                  const std::string& token) {
    const std::string dir = work_.Sub("src" + std::to_string(++pushes));
    WriteFiles(dir, MakeProtoFiles("tok", 1, 100, 300 + pushes));
    CliUser user = User("pusher" + std::to_string(pushes), server);
    Env env = user.env();
    if (!token.empty()) env.emplace_back("SPOKE_TOKEN", token);
    return RunCli({"push", "-module", module, "-version", "v1.0.0", "-dir", dir}, env);
  };
  // No token anywhere yet: loopback writes are anonymous, as on files.
  CommandResult anonymous = push(*servers_[0], "open/first", "");
  ASSERT_EQ(anonymous.exit_code, 0) << anonymous.Describe();

  const std::string acme =
      CreateToken({"--postgres", url_, "--name", "acme-ci", "--scope", "write:acme/"});
  const std::string admin =
      CreateToken({"-name", "root", "-scope", "admin"}, {{"SPOKE_POSTGRES", url_}});
  ASSERT_FALSE(acme.empty());
  ASSERT_FALSE(admin.empty());
  CommandResult taken =
      RunServer({"token", "create", "--postgres", url_, "--name", "root", "--scope", "read"});
  EXPECT_EQ(taken.exit_code, 1) << taken.Describe();
  EXPECT_NE(taken.err.find("a token named root exists"), std::string::npos) << taken.Describe();
  CommandResult listed = RunServer({"token", "list", "--json", "--postgres", url_});
  ASSERT_EQ(listed.exit_code, 0) << listed.Describe();
  EXPECT_NE(listed.out.find("\"acme-ci\""), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("\"write:acme/\""), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("spoke_"), std::string::npos) << "never a token's text";

  // Every server now wants a token for writes, and each honours the scopes.
  for (int s = 0; s < kServers; ++s) {
    const std::string n = std::to_string(s);
    CommandResult refused = push(*servers_[s], "acme/nobody" + n, "");
    EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
    EXPECT_NE(refused.err.find("needs a token"), std::string::npos) << refused.Describe();
    CommandResult scoped = push(*servers_[s], "acme/lib" + n, acme);
    EXPECT_EQ(scoped.exit_code, 0) << scoped.Describe();
    CommandResult outside = push(*servers_[s], "other/lib" + n, acme);
    EXPECT_EQ(outside.exit_code, 1) << outside.Describe();
    EXPECT_NE(outside.err.find("may not write to module other/lib" + n), std::string::npos)
        << outside.Describe();
    CommandResult anywhere = push(*servers_[s], "other/admin" + n, admin);
    EXPECT_EQ(anywhere.exit_code, 0) << anywhere.Describe();
  }

  // Revoked through no server: every server refuses it on its next request.
  CommandResult revoked = RunServer({"token", "revoke", "acme-ci", "--postgres", url_});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.Describe();
  for (int s = 0; s < kServers; ++s) {
    CommandResult refused = push(*servers_[s], "acme/late" + std::to_string(s), acme);
    EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
    EXPECT_NE(refused.err.find("token"), std::string::npos) << refused.Describe();
  }
}

// What needs the store's files is refused before anything is opened, naming the flag; no
// database is needed to see it.
TEST(PostgresServerFlags, RefusesAMirrorAndCompilingOnAServerOnPostgres) {
  TempDir work;
  const std::string url = "postgresql://spoke@127.0.0.1:1/none";
  CommandResult mirror = RunServer(
      {"--postgres", url, "-storage-dir", work.Sub("a"), "--mirror-of", "http://127.0.0.1:1"});
  EXPECT_EQ(mirror.exit_code, 2) << mirror.Describe();
  EXPECT_NE(mirror.err.find("--mirror-of"), std::string::npos) << mirror.Describe();
  CommandResult compile = RunServer({"-storage-dir", work.Sub("b"), "--compile-languages", "cpp"},
                                    {{"SPOKE_POSTGRES", url}});
  EXPECT_EQ(compile.exit_code, 2) << compile.Describe();
  EXPECT_NE(compile.err.find("--compile-languages"), std::string::npos) << compile.Describe();
  // A database that cannot be reached: a failure that says so, not a server on files.
  CommandResult unreachable =
      RunServer({"-postgres", url, "-storage-dir", work.Sub("c"), "-port", "0"});
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.Describe();
  EXPECT_EQ(unreachable.out.find("serving"), std::string::npos) << unreachable.Describe();
  // A token file there (a store's directory reused, say) would be ignored: refused, naming it.
  WriteFiles(work.Sub("d"), {{"spoke-tokens.json", "{\"tokens\": []}\n"}});
  CommandResult ignored =
      RunServer({"--postgres", url, "-storage-dir", work.Sub("d"), "-port", "0"});
  EXPECT_EQ(ignored.exit_code, 1) << ignored.Describe();
  EXPECT_NE(ignored.err.find("spoke-tokens.json"), std::string::npos) << ignored.Describe();
  CommandResult help = RunServer({"--help"});
  EXPECT_NE(help.out.find("--postgres"), std::string::npos) << help.Describe();
}

}  // namespace
}  // namespace spoke::e2e
