// Pack compaction across spoke-servers on one real PostgreSQL (tests/pg_cluster.h): many small
// pushes through two servers that both run compactors end as one pack, each compaction run by
// exactly one server; every version still pulls byte-exact from both, and a server started after
// compaction fills its cache with the compacted pack. Skipped when PostgreSQL is not installed.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "pg_cluster.h"
#include "postgres/connection.h"

namespace spoke::e2e {
namespace {

constexpr int kVersions = 12;

std::unique_ptr<ServerProcess> StartCompacting(const std::string& url, const std::string& dir) {
  ServerProcess::Options options;
  options.storage_dir = dir;
  options.extra_args = {"--postgres", url, "--compact-packs", "1", "--compact-interval", "100ms"};
  return ServerProcess::Start(options);
}

int64_t QueryInt(postgres::Connection& connection, const std::string& sql) {
  auto rows = connection.Execute(sql);
  EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status().ToString();
  return rows.ok() ? rows->Int64(0, 0).value() : -1;
}

// The index files in a server's pack cache, by pack name.
std::set<std::string> CachedPacks(const std::string& storage_dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(storage_dir + "/pack-cache/objects/pack", ec), end;
       !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".idx") names.insert(it->path().stem().string().substr(5));
  }
  return names;
}

TEST(PostgresCompaction, ManySmallPushesEndAsOnePackCompactedOnceEachAndServedByEveryServer) {
  SPOKE_START_PG_OR_SKIP(pg);
  auto url = pg->CreateDatabase("spoke");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  TempDir work;
  auto a = StartCompacting(*url, work.Sub("a"));
  auto b = StartCompacting(*url, work.Sub("b"));
  ASSERT_TRUE(a && b);
  // Each version adds a file to the previous one's (compatible under the default level).
  std::vector<std::string> sources;
  for (int i = 0; i < kVersions; ++i) {
    const std::string dir = work.Sub("src-" + std::to_string(i));
    WriteFiles(dir, MakeProtoFiles("small", i + 1, 400, 5));
    ServerProcess& server = i % 2 == 0 ? *a : *b;
    CommandResult pushed = CliUser(work.Sub("home-pusher"), server.url())
                               .Run({"push", "-module", "small", "-version",
                                     "v1." + std::to_string(i) + ".0", "-dir", dir});
    ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
    sources.push_back(dir);
  }

  // The compactors run every 100 ms; wait, with a deadline, for the one pack they end with and
  // for no compaction left open.
  auto db = postgres::Connection::Open(*url);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const std::string settled =
      "SELECT (SELECT count(*) FROM packs) = 1 AND NOT EXISTS"
      " (SELECT 1 FROM jobs WHERE kind = 'compact' AND state <> 'done')";
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (QueryInt(**db, settled) != 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(QueryInt(**db, settled), 1) << a->process().Stdout() << b->process().Stdout();
  // Every compaction was one job, claimed once; a second compactor of the same packs would have
  // failed (they are gone) and said so.
  const int64_t jobs = QueryInt(**db, "SELECT count(*) FROM jobs WHERE kind = 'compact'");
  EXPECT_GE(jobs, 1);
  EXPECT_EQ(QueryInt(**db, "SELECT count(*) FROM jobs WHERE kind = 'compact' AND attempts = 1"),
            jobs);
  for (ServerProcess* server : {a.get(), b.get()}) {
    EXPECT_EQ(server->process().Stderr().find("compaction failed"), std::string::npos)
        << server->process().Stderr();
  }

  auto c = StartCompacting(*url, work.Sub("c"));
  ASSERT_TRUE(c);
  auto listed = (*db)->Execute("SELECT name FROM packs");
  ASSERT_TRUE(listed.ok() && listed->size() == 1);
  EXPECT_EQ(CachedPacks(work.Sub("c")), std::set<std::string>{std::string(listed->Bytes(0, 0))});
  for (ServerProcess* server : {a.get(), b.get(), c.get()}) {
    CliUser reader(work.Sub("home-reader-" + std::to_string(server->port())), server->url());
    for (int i = 0; i < kVersions; ++i) {
      const std::string out =
          work.Sub("pulled-" + std::to_string(server->port()) + "-" + std::to_string(i));
      CommandResult pulled = reader.Run(
          {"pull", "-module", "small", "-version", "v1." + std::to_string(i) + ".0", "-dir", out});
      ASSERT_EQ(pulled.exit_code, 0) << pulled.Describe();
      FileSet got = ReadFiles(out);
      for (const auto& [path, content] : ReadFiles(sources[static_cast<size_t>(i)])) {
        EXPECT_EQ(got[path], content) << "v1." << i << ".0 " << path;
      }
    }
  }
}

}  // namespace
}  // namespace spoke::e2e
