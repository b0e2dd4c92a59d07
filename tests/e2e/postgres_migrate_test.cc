// `spoke-server migrate` on a real PostgreSQL (tests/pg_cluster.h): a store on files built with
// the real `spoke push` (modules, versions with a dependency, a compatibility level, an artifact)
// is imported; two servers on the database then serve every version byte for byte with the same
// refs and digests; a second run adds nothing; a database holding other targets for the same refs,
// and a store that fails its fsck, are refused with nothing written. Skipped when PostgreSQL is not
// installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness.h"
#include "pg_cluster.h"

namespace spoke::e2e {
namespace {

CommandResult Migrate(const std::vector<std::string>& args, const Env& env = {}) {
  Process::Options options;
  options.argv = {SPOKE_SERVER_BIN, "migrate"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = env;
  return RunCommand(options);
}

std::unique_ptr<ServerProcess> StartOnPostgres(const std::string& url, const std::string& dir) {
  ServerProcess::Options options;
  options.storage_dir = dir;
  options.extra_args = {"--postgres", url};
  return ServerProcess::Start(options);
}

// Each version's digest as the server at `port` lists it (GET /modules/{name}/versions):
// "module@version" -> digest.
std::map<std::string, std::string> Digests(int port, const std::vector<std::string>& modules) {
  std::map<std::string, std::string> digests;
  auto http = HttpClient(port);
  for (const std::string& module : modules) {
    auto answer = http->Get("/modules/" + module + "/versions");
    EXPECT_TRUE(answer && answer->status == 200) << module;
    if (!answer) continue;
    auto listed = Json::Parse(answer->body);
    EXPECT_TRUE(listed.ok()) << answer->body;
    if (!listed.ok() || !listed->Get("versions")) continue;
    for (const Json& version : listed->Get("versions")->as_array()) {
      digests[module + "@" + version.GetString("version")] = version.GetString("digest");
    }
  }
  return digests;
}

class PostgresMigrateTest : public ::testing::Test {
 protected:
  // A store on files with two modules: base (two versions, level WIRE, a cpp artifact) and app
  // (a version that pins base@v1.0.0).
  void BuildSourceStore() {
    auto server = ServerProcess::Start({Source(), {}, {}});
    ASSERT_TRUE(server);
    CliUser publisher(work_.Sub("home-publisher"), server->url());
    Publish(publisher, "base", "v1.0.0", MakeProtoFiles("base", 6, 1500, 1));
    // The same files and two more: compatible under the default level.
    Publish(publisher, "base", "v1.1.0", MakeProtoFiles("base", 8, 1500, 1));
    FileSet app = {{"app.proto",
                    "syntax = \"proto3\";\n\npackage app;\n\nimport \"file_0.proto\";\n\n"
                    "message App {\n  base.Message0 base = 1;\n}\n"}};
    Publish(publisher, "app", "v1.0.0", app, {"-dep", "base@v1.0.0"});
    CommandResult compat = publisher.Run({"compat", "-module", "base", "--set", "WIRE"});
    ASSERT_EQ(compat.exit_code, 0) << compat.Describe();
    auto http = HttpClient(server->port());
    auto compiled = http->Post("/modules/base/versions/v1.0.0/compile/cpp", "", "application/json");
    ASSERT_TRUE(compiled);
    ASSERT_EQ(compiled->status, 201) << compiled->body;
    source_digests_ = Digests(server->port(), {"base", "app"});
    ASSERT_EQ(source_digests_.size(), 3u);
    server->Stop();
    ASSERT_NE(RefsOf(Source()).find("refs/artifacts/"), std::string::npos) << RefsOf(Source());
    ASSERT_NE(RefsOf(Source()).find("refs/meta/base/_record"), std::string::npos);
  }

  void Publish(const CliUser& user, const std::string& module, const std::string& version,
               const FileSet& files, const std::vector<std::string>& extra = {}) {
    const std::string dir = work_.Sub("src-" + module + "-" + version);
    WriteFiles(dir, files);
    std::vector<std::string> args = {"push", "-module", module, "-version", version, "-dir", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult pushed = user.Run(args);
    ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
    sources_[module + "@" + version] = dir;
  }

  std::string Source() const { return work_.Sub("source-store"); }

  TempDir work_;
  std::map<std::string, std::string> sources_;  // "module@version" -> the directory pushed
  std::map<std::string, std::string> source_digests_;
};

TEST_F(PostgresMigrateTest, AStoreMigratedIsServedByteExactByTwoServersAndASecondRunAddsNothing) {
  SPOKE_START_PG_OR_SKIP(pg);
  ASSERT_NO_FATAL_FAILURE(BuildSourceStore());
  auto url = pg->CreateDatabase("spoke");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  const std::string refs_before = RefsOf(Source());

  CommandResult first = Migrate({"-storage-dir", Source(), "--json"}, {{"SPOKE_POSTGRES", *url}});
  Json summary = JsonOut(first);
  const int64_t ref_count =
      static_cast<int64_t>(std::count(refs_before.begin(), refs_before.end(), '\n'));
  EXPECT_EQ(summary.Get("refs_added")->as_int(), ref_count) << first.out;
  EXPECT_GT(summary.Get("objects_added")->as_int(), 0) << first.out;
  EXPECT_GE(summary.Get("packs_added")->as_int(), 1) << first.out;
  EXPECT_NE(first.err.find("passes its fsck"), std::string::npos) << first.Describe();
  EXPECT_EQ(RefsOf(Source()), refs_before) << "migrate changed its source";

  auto a = StartOnPostgres(*url, work_.Sub("server-a"));
  auto b = StartOnPostgres(*url, work_.Sub("server-b"));
  ASSERT_TRUE(a && b);
  for (ServerProcess* server : {a.get(), b.get()}) {
    const std::string name = server == a.get() ? "a" : "b";
    CliUser reader(work_.Sub("home-reader-" + name), server->url());
    for (const auto& [id, dir] : sources_) {
      const std::string module = id.substr(0, id.find('@'));
      const std::string version = id.substr(id.find('@') + 1);
      const std::string out = work_.Sub("pulled-" + name + "-" + module + "-" + version);
      CommandResult pulled =
          reader.Run({"pull", "-module", module, "-version", version, "-dir", out});
      ASSERT_EQ(pulled.exit_code, 0) << pulled.Describe();
      FileSet expected = ReadFiles(dir);
      FileSet got = ReadFiles(out);
      for (const auto& [path, content] : expected) {
        ASSERT_TRUE(got.count(path)) << id << " from " << name << " lacks " << path;
        EXPECT_EQ(got.at(path), content) << id << " " << path << " from " << name;
      }
    }
    EXPECT_EQ(Digests(server->port(), {"base", "app"}), source_digests_) << "server " << name;
    // The compatibility level came with the module's record.
    Json module = JsonOut(reader.Run({"compat", "-module", "base", "--json"}));
    EXPECT_EQ(module.GetString("compatibility"), "WIRE");
  }
  // A whole-registry clone through a server on the database has the source's very refs (artifacts
  // and module records included) and passes stock git's fsck.
  const std::string mirror = work_.Sub("mirror");
  CliUser cloner(work_.Sub("home-cloner"), a->url());
  CommandResult cloned = cloner.Run({"clone", a->url(), mirror});
  ASSERT_EQ(cloned.exit_code, 0) << cloned.Describe();
  EXPECT_EQ(RefsOf(mirror), refs_before);
  GitFsck(mirror);

  CommandResult second = Migrate({"--postgres", *url, "-storage-dir", Source()});
  EXPECT_EQ(second.exit_code, 0) << second.Describe();
  EXPECT_NE(second.out.find("nothing added"), std::string::npos) << second.Describe();
  Json again = JsonOut(Migrate({"--postgres", *url, "-storage-dir", Source(), "--json"}));
  EXPECT_EQ(again.Get("refs_added")->as_int(), 0);
  EXPECT_EQ(again.Get("refs_present")->as_int(), ref_count);
  EXPECT_EQ(again.Get("packs_added")->as_int(), 0);
  EXPECT_EQ(again.Get("objects_added")->as_int(), 0);

  // The store gains a version: a third run adds its tag, moves the branch, and adds only the
  // objects the new version brings.
  {
    auto source = ServerProcess::Start({Source(), {}, {}});
    ASSERT_TRUE(source);
    CliUser publisher(work_.Sub("home-publisher"), source->url());
    Publish(publisher, "base", "v1.2.0", MakeProtoFiles("base", 9, 1500, 1));
    source->Stop();
  }
  Json third = JsonOut(Migrate({"--postgres", *url, "-storage-dir", Source(), "--json"}));
  EXPECT_EQ(third.Get("refs_added")->as_int(), 1) << third.Dump();
  EXPECT_EQ(third.Get("refs_moved")->as_int(), 1) << third.Dump();
  // The new file's blob, the version's trees, commit and tag; nothing older.
  EXPECT_GT(third.Get("objects_added")->as_int(), 0) << third.Dump();
  EXPECT_LT(third.Get("objects_added")->as_int(), 10) << third.Dump();
  CliUser late(work_.Sub("home-late"), b->url());
  const std::string out = work_.Sub("pulled-late");
  CommandResult pulled = late.Run({"pull", "-module", "base", "-version", "v1.2.0", "-dir", out});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.Describe();
  for (const auto& [path, content] : ReadFiles(sources_["base@v1.2.0"])) {
    EXPECT_EQ(ReadFiles(out)[path], content) << path;
  }
  CommandResult log = late.Run({"log", "-module", "base"});
  EXPECT_NE(log.out.find("v1.2.0"), std::string::npos) << log.Describe();
}

TEST_F(PostgresMigrateTest, ADatabaseWithOtherTargetsForTheSameRefsIsRefusedWithNothingWritten) {
  SPOKE_START_PG_OR_SKIP(pg);
  ASSERT_NO_FATAL_FAILURE(BuildSourceStore());
  auto url = pg->CreateDatabase("spoke");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  auto server = StartOnPostgres(*url, work_.Sub("server"));
  ASSERT_TRUE(server);
  // base@v1.0.0 with other content: the same tag's name, another target.
  CliUser other(work_.Sub("home-other"), server->url());
  const std::string dir = work_.Sub("other-base");
  WriteFiles(dir, MakeProtoFiles("base", 3, 500, 99));
  CommandResult pushed = other.Run({"push", "-module", "base", "-version", "v1.0.0", "-dir", dir});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  const std::string clone_before = work_.Sub("before");
  ASSERT_EQ(other.Run({"clone", server->url(), clone_before}).exit_code, 0);

  CommandResult refused = Migrate({"--postgres", *url, "-storage-dir", Source()});
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_NE(refused.err.find("refs/tags/base/v1.0.0"), std::string::npos) << refused.Describe();
  EXPECT_NE(refused.err.find("nothing was written"), std::string::npos) << refused.Describe();
  // The database holds what it held: no app module, base@v1.0.0 as pushed here.
  const std::string clone_after = work_.Sub("after");
  ASSERT_EQ(other.Run({"clone", server->url(), clone_after}).exit_code, 0);
  EXPECT_EQ(RefsOf(clone_after), RefsOf(clone_before));
  auto http = HttpClient(server->port());
  auto app = http->Get("/modules/app");
  ASSERT_TRUE(app);
  EXPECT_EQ(app->status, 404) << app->body;
}

TEST_F(PostgresMigrateTest, AStoreThatFailsItsFsckIsRefusedWithNothingWritten) {
  SPOKE_START_PG_OR_SKIP(pg);
  ASSERT_NO_FATAL_FAILURE(BuildSourceStore());
  auto url = pg->CreateDatabase("spoke");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  // Every pack gone: the refs reach objects the store lacks.
  std::error_code ec;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(Source() + "/objects/pack", ec)) {
    if (entry.path().extension() == ".pack" || entry.path().extension() == ".idx") {
      std::filesystem::remove(entry.path(), ec);
      ++removed;
    }
  }
  ASSERT_GT(removed, 0);
  CommandResult refused = Migrate({"--postgres", *url, "-storage-dir", Source()});
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_NE(refused.err.find("fails its fsck"), std::string::npos) << refused.Describe();
  auto server = StartOnPostgres(*url, work_.Sub("server"));
  ASSERT_TRUE(server);
  auto modules = HttpClient(server->port())->Get("/modules");
  ASSERT_TRUE(modules);
  EXPECT_EQ(modules->body.find("base"), std::string::npos) << modules->body;
}

TEST(PostgresMigrateFlags, MigrateWithoutADatabaseIsAUsageErrorAndItsHelpSaysWhatStaysBehind) {
  TempDir work;
  CommandResult missing = Migrate({"-storage-dir", work.Sub("store")});
  EXPECT_EQ(missing.exit_code, 2) << missing.Describe();
  EXPECT_NE(missing.err.find("--postgres"), std::string::npos) << missing.Describe();
  CommandResult help = Migrate({"--help"});
  EXPECT_EQ(help.exit_code, 0) << help.Describe();
  for (const char* word : {"spoke-tokens.json", "Sprocket", "settings", "one transaction"}) {
    EXPECT_NE(help.out.find(word), std::string::npos) << word << "\n" << help.out;
  }
}

}  // namespace
}  // namespace spoke::e2e
