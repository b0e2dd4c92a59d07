// The PostgreSQL backend's schema (src/store/postgres_schema.h) and job queue
// (src/store/postgres_jobs.h) against a real PostgreSQL: what the backend will rely on, each
// property raced where a race is what could break it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <latch>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "postgres_fixture.h"
#include "spoke/files.h"
#include "store/postgres_jobs.h"
#include "store/postgres_packs.h"

namespace spoke::testing {
namespace {

using postgres::Connection;
using postgres::Param;
using postgres::Rows;
using postgres::Transaction;
using std::chrono::milliseconds;

constexpr std::chrono::seconds kDeadline{60};

// Incompressible bytes, every value included: what a pack of zlib streams looks like.
std::string RandomBytes(size_t size, uint64_t seed) {
  std::string bytes(size, '\0');
  std::mt19937_64 random(seed);
  for (size_t i = 0; i < size; i += 8) {
    uint64_t word = random();
    std::memcpy(&bytes[i], &word, std::min<size_t>(8, size - i));
  }
  return bytes;
}

// One part of a stored pack, read back whole.
Result<std::string> ReadBack(Connection& c, const StoredPack& pack, PackPart part) {
  std::string out;
  SPOKE_RETURN_IF_ERROR(ReadPackPart(c, pack, part, [&](std::string_view chunk) {
    out.append(chunk);
    return Status::Ok();
  }));
  return out;
}

TEST_F(PostgresTest, APackOfTwentyMibRoundTripsByteExactInChunks) {
  auto c = ConnectMigrated();
  ASSERT_NE(c, nullptr);
  TempDir dir;
  std::string pack = RandomBytes(20 << 20, 19);
  std::string index = RandomBytes(300 << 10, 20);
  SPOKE_ASSERT_OK(WriteFileAtomically(dir.Sub("p.pack"), pack));
  SPOKE_ASSERT_OK(WriteFileAtomically(dir.Sub("p.idx"), index));
  std::string name = Sha256HexOf(pack).substr(0, 40);

  auto write_start = std::chrono::steady_clock::now();
  auto transaction = Transaction::Begin(*c);
  SPOKE_ASSERT_OK(transaction);
  auto stored = StorePackFiles(*c, name, 1234, dir.Sub("p.pack"), dir.Sub("p.idx"));
  SPOKE_ASSERT_OK(stored);
  SPOKE_ASSERT_OK(transaction->Commit());
  double write_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();

  auto read_start = std::chrono::steady_clock::now();
  auto found = FindPack(*c, name);
  SPOKE_ASSERT_OK(found);
  EXPECT_EQ(found->id, stored->id);
  EXPECT_EQ(found->size, static_cast<int64_t>(pack.size()));
  EXPECT_EQ(found->index_size, static_cast<int64_t>(index.size()));
  EXPECT_EQ(found->object_count, 1234);
  size_t largest_chunk = 0;
  std::string back;
  SPOKE_ASSERT_OK(ReadPackPart(*c, *found, PackPart::kPack, [&](std::string_view chunk) {
    largest_chunk = std::max(largest_chunk, chunk.size());
    back.append(chunk);
    return Status::Ok();
  }));
  double read_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - read_start).count();
  EXPECT_EQ(largest_chunk, kPackChunkBytes);
  ASSERT_EQ(back.size(), pack.size());
  EXPECT_TRUE(back == pack) << "the pack read back differs from the one written";
  auto index_back = ReadBack(*c, *found, PackPart::kIndex);
  SPOKE_ASSERT_OK(index_back);
  EXPECT_TRUE(*index_back == index);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM pack_chunks WHERE part = 'pack'"), 3);  // 8+8+4 MiB
  std::printf("[ figures  ] 20 MiB pack in 8 MiB chunks: write %.0f MB/s, read %.0f MB/s\n",
              pack.size() / 1e6 / write_seconds, pack.size() / 1e6 / read_seconds);

  // Stored as written: no TOAST compression on already-compressed bytes.
  EXPECT_EQ(QueryInt(*c,
                     "SELECT count(*) FROM pack_chunks"
                     " WHERE pg_column_compression(data) IS NOT NULL"),
            0);
  // A chunk over the bound is refused by the table itself.
  auto too_big =
      c->Execute("INSERT INTO pack_chunks (pack_id, part, seq, data) VALUES ($1, 'pack', 9, $2)",
                 {Param::Int64(stored->id), Param::Bytes(std::string(kPackChunkBytes + 1, 'x'))});
  EXPECT_FALSE(too_big.ok());
  EXPECT_EQ(c->last_sql_state(), "23514");  // check_violation
  // The same pack stored twice (two servers receiving it) loses on the name.
  auto twice = StorePackFiles(*c, name, 1234, dir.Sub("p.pack"), dir.Sub("p.idx"));
  EXPECT_EQ(twice.status().code(), Status::Code::kConflict) << twice.status();
}

TEST_F(PostgresTest, APackWhoseChunksDoNotAddUpReadsAsCorruption) {
  auto c = ConnectMigrated();
  ASSERT_NE(c, nullptr);
  TempDir dir;
  SPOKE_ASSERT_OK(WriteFileAtomically(dir.Sub("p.pack"), RandomBytes(kPackChunkBytes * 2 + 5, 1)));
  SPOKE_ASSERT_OK(WriteFileAtomically(dir.Sub("p.idx"), RandomBytes(100, 2)));
  auto stored = StorePackFiles(*c, ObjectIdOf(7), 3, dir.Sub("p.pack"), dir.Sub("p.idx"));
  SPOKE_ASSERT_OK(stored);
  SPOKE_ASSERT_OK(ReadBack(*c, *stored, PackPart::kPack));

  StoredPack longer = *stored;
  longer.size += 1;  // the row promises a byte the chunks do not hold
  auto short_read = ReadBack(*c, longer, PackPart::kPack);
  EXPECT_EQ(short_read.status().code(), Status::Code::kCorruption);
  EXPECT_NE(short_read.status().message().find("chunk 3 is missing"), std::string::npos)
      << short_read.status();

  StoredPack shorter = *stored;
  shorter.size -= 1;
  auto long_read = ReadBack(*c, shorter, PackPart::kPack);
  EXPECT_EQ(long_read.status().code(), Status::Code::kCorruption) << long_read.status();

  SPOKE_ASSERT_OK(c->Execute("DELETE FROM pack_chunks WHERE pack_id = $1 AND seq = 1",
                             {Param::Int64(stored->id)}));
  auto gap = ReadBack(*c, *stored, PackPart::kPack);
  EXPECT_EQ(gap.status().code(), Status::Code::kCorruption);
  EXPECT_NE(gap.status().message().find("chunk 1 is missing"), std::string::npos) << gap.status();

  EXPECT_EQ(FindPack(*c, ObjectIdOf(8)).status().code(), Status::Code::kNotFound);
}

TEST_F(PostgresTest, TwoConnectionsInsertingOneVersionTagGiveOneWinner) {
  auto [first, second, observer] = ConnectRace();
  ASSERT_NE(first, nullptr);
  const std::string tag = "refs/tags/user/v1.0.0";
  const std::string insert = "INSERT INTO refs (name, target) VALUES ($1, $2)";

  auto transaction = Transaction::Begin(*first);
  SPOKE_ASSERT_OK(transaction);
  SPOKE_ASSERT_OK(first->Execute(insert, {Param::Text(tag), Param::Text(ObjectIdOf(1))}));
  // The second pusher's INSERT waits on the first's uncommitted row, then loses when it commits.
  Status second_result;
  std::thread racer([&] {
    second_result =
        second->Execute(insert, {Param::Text(tag), Param::Text(ObjectIdOf(2))}).status();
  });
  ASSERT_TRUE(WaitUntilBlocked(*observer, second->backend_pid()));
  SPOKE_ASSERT_OK(transaction->Commit());
  racer.join();
  EXPECT_EQ(second_result.code(), Status::Code::kConflict) << second_result;
  EXPECT_EQ(second->last_sql_state(), postgres::kUniqueViolation);

  auto target = observer->Execute("SELECT target FROM refs WHERE name = $1", {Param::Text(tag)});
  SPOKE_ASSERT_OK(target);
  EXPECT_EQ(target->Bytes(0, 0), ObjectIdOf(1));
  EXPECT_EQ(
      QueryInt(*observer, "SELECT count(*) FROM ref_changes WHERE name = $1", {Param::Text(tag)}),
      1);
}

TEST_F(PostgresTest, SixteenPushersOfOneTagAtOnceGiveExactlyOneWinner) {
  ASSERT_NE(ConnectMigrated(), nullptr);
  constexpr int kPushers = 16;
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < kPushers; ++i) {
    connections.push_back(Connect());
    ASSERT_NE(connections.back(), nullptr);
  }
  std::latch start(kPushers);
  std::vector<Status> results(kPushers);
  std::vector<std::thread> pushers;
  for (int i = 0; i < kPushers; ++i) {
    pushers.emplace_back([&, i] {
      start.arrive_and_wait();  // all at once, as far as threads go
      results[i] = connections[i]
                       ->Execute("INSERT INTO refs (name, target) VALUES ($1, $2)",
                                 {Param::Text("refs/tags/m/v1.0.0"), Param::Text(ObjectIdOf(i))})
                       .status();
    });
  }
  for (auto& t : pushers) t.join();
  int winners = 0;
  for (int i = 0; i < kPushers; ++i) {
    if (results[i].ok()) {
      ++winners;
    } else {
      EXPECT_EQ(results[i].code(), Status::Code::kConflict) << results[i];
      EXPECT_EQ(connections[i]->last_sql_state(), postgres::kUniqueViolation);
    }
  }
  EXPECT_EQ(winners, 1);
}

TEST_F(PostgresTest, ABranchCompareAndSwapLosesCleanlyWhenTheOldValueMoved) {
  auto [first, second, observer] = ConnectRace();
  ASSERT_NE(first, nullptr);
  const std::string branch = "refs/heads/user/_history";
  const std::string cas = "UPDATE refs SET target = $3 WHERE name = $1 AND target = $2";
  SPOKE_ASSERT_OK(first->Execute("INSERT INTO refs (name, target) VALUES ($1, $2)",
                                 {Param::Text(branch), Param::Text(ObjectIdOf(0))}));

  // Both read tip 0 and move it; the first commits while the second waits on its row.
  auto transaction = Transaction::Begin(*first);
  SPOKE_ASSERT_OK(transaction);
  auto moved = first->Execute(
      cas, {Param::Text(branch), Param::Text(ObjectIdOf(0)), Param::Text(ObjectIdOf(1))});
  SPOKE_ASSERT_OK(moved);
  EXPECT_EQ(moved->affected(), 1);
  Result<Rows> lost = Status::Internal("not run");
  std::thread racer([&] {
    lost = second->Execute(
        cas, {Param::Text(branch), Param::Text(ObjectIdOf(0)), Param::Text(ObjectIdOf(2))});
  });
  ASSERT_TRUE(WaitUntilBlocked(*observer, second->backend_pid()));
  SPOKE_ASSERT_OK(transaction->Commit());
  racer.join();
  // PostgreSQL re-checks `target = old` on the committed row: no error, no row touched.
  SPOKE_ASSERT_OK(lost);
  EXPECT_EQ(lost->affected(), 0);

  auto target = observer->Execute("SELECT target FROM refs WHERE name = $1", {Param::Text(branch)});
  SPOKE_ASSERT_OK(target);
  EXPECT_EQ(target->Bytes(0, 0), ObjectIdOf(1));
  auto log = observer->Execute(
      "SELECT old_target, new_target FROM ref_changes WHERE name = $1 ORDER BY seq",
      {Param::Text(branch)});
  SPOKE_ASSERT_OK(log);
  ASSERT_EQ(log->size(), 2);  // created, then moved once
  EXPECT_TRUE(log->IsNull(0, 0));
  EXPECT_EQ(log->Bytes(1, 0), ObjectIdOf(0));
  EXPECT_EQ(log->Bytes(1, 1), ObjectIdOf(1));
}

TEST_F(PostgresTest, APackAndItsRefsAreInvisibleUntilCommitAndGoneAfterRollback) {
  auto writer = ConnectMigrated();
  auto reader = Connect();
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  TempDir dir;
  SPOKE_ASSERT_OK(WriteFileAtomically(dir.Sub("p.pack"), "PACK and some objects"));
  SPOKE_ASSERT_OK(WriteFileAtomically(dir.Sub("p.idx"), "an index"));
  auto visible = [&] {
    return QueryInt(*reader,
                    "SELECT (SELECT count(*) FROM packs) + (SELECT count(*) FROM"
                    " pack_chunks) + (SELECT count(*) FROM refs) + (SELECT count(*) FROM"
                    " ref_changes)");
  };
  auto publish = [&](int n) -> Status {
    SPOKE_ASSIGN_OR_RETURN(StoredPack pack, StorePackFiles(*writer, ObjectIdOf(n), 1,
                                                           dir.Sub("p.pack"), dir.Sub("p.idx")));
    SPOKE_RETURN_IF_ERROR(SetRefChangesPack(*writer, pack.id));
    for (const char* ref : {"refs/tags/user/v1.0.0", "refs/heads/user/_history"}) {
      SPOKE_RETURN_IF_ERROR(writer
                                ->Execute("INSERT INTO refs (name, target) VALUES ($1, $2)",
                                          {Param::Text(ref), Param::Text(ObjectIdOf(n))})
                                .status());
    }
    return Status::Ok();
  };

  {
    auto transaction = Transaction::Begin(*writer);
    SPOKE_ASSERT_OK(transaction);
    SPOKE_ASSERT_OK(publish(1));
    EXPECT_EQ(visible(), 0);
    SPOKE_ASSERT_OK(transaction->Rollback());
  }
  EXPECT_EQ(visible(), 0);

  auto transaction = Transaction::Begin(*writer);
  SPOKE_ASSERT_OK(transaction);
  SPOKE_ASSERT_OK(publish(2));
  EXPECT_EQ(visible(), 0);
  SPOKE_ASSERT_OK(transaction->Commit());
  EXPECT_EQ(visible(), 1 + 2 + 2 + 2);  // a pack, its pack and index chunks, 2 refs, 2 changes
  // Every change names the pack that brought it.
  EXPECT_EQ(QueryInt(*reader,
                     "SELECT count(*) FROM ref_changes c JOIN packs p ON p.id = c.pack_id"
                     " WHERE p.name = $1",
                     {Param::Text(ObjectIdOf(2))}),
            2);
}

TEST_F(PostgresTest, ARefChangeNotifiesListenersOnceWhenItCommits) {
  auto listener = ConnectMigrated();
  auto writer = Connect();
  ASSERT_NE(listener, nullptr);
  ASSERT_NE(writer, nullptr);
  SPOKE_ASSERT_OK(listener->Listen(kRefChangesChannel));
  auto transaction = Transaction::Begin(*writer);
  SPOKE_ASSERT_OK(transaction);
  for (int i = 0; i < 3; ++i) {
    SPOKE_ASSERT_OK(writer->Execute(
        "INSERT INTO refs (name, target) VALUES ($1, $2)",
        {Param::Text("refs/tags/m/v1.0." + std::to_string(i)), Param::Text(ObjectIdOf(i))}));
  }
  auto early = listener->WaitForNotification(milliseconds(100));
  SPOKE_ASSERT_OK(early);
  EXPECT_FALSE(early->has_value());
  SPOKE_ASSERT_OK(transaction->Commit());
  auto woken = listener->WaitForNotification(milliseconds(30000));
  SPOKE_ASSERT_OK(woken);
  ASSERT_TRUE(woken->has_value());
  EXPECT_EQ((*woken)->channel, kRefChangesChannel);
  auto more = listener->WaitForNotification(milliseconds(100));
  SPOKE_ASSERT_OK(more);
  EXPECT_FALSE(more->has_value()) << "three ref changes in one transaction notify once";
}

TEST_F(PostgresTest, AWatcherFollowingTheChangeLogMissesNothingAcrossConcurrentWriters) {
  ASSERT_NE(ConnectMigrated(), nullptr);
  auto started = std::chrono::steady_clock::now();
  constexpr int kWriters = 4;
  constexpr int kTransactions = 40;
  std::atomic<int> writers_done{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      struct Done {
        std::atomic<int>& count;
        ~Done() { ++count; }
      } done{writers_done};
      auto c = Connect();
      if (c == nullptr) return;
      for (int t = 0; t < kTransactions; ++t) {
        auto transaction = Transaction::Begin(*c);
        SPOKE_ASSERT_OK(transaction);
        // Two refs per transaction, the commit a round trip after the first sequence number.
        for (const char* kind : {"tags", "heads"}) {
          SPOKE_ASSERT_OK(c->Execute("INSERT INTO refs (name, target) VALUES ($1, $2)",
                                     {Param::Text("refs/" + std::string(kind) + "/w" +
                                                  std::to_string(w) + "/v" + std::to_string(t)),
                                      Param::Text(ObjectIdOf(t))}));
        }
        SPOKE_ASSERT_OK(transaction->Commit());
      }
    });
  }
  // The watcher reads what committed after the last number it saw, as a server catching up does.
  auto watcher = Connect();
  ASSERT_NE(watcher, nullptr);
  std::vector<int64_t> seen;
  std::set<std::string> names;
  const size_t expected = kWriters * kTransactions * 2;
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (names.size() < expected && std::chrono::steady_clock::now() < deadline) {
    // Once every writer is done, a read that finds nothing new has seen all it ever will.
    bool all_committed = writers_done.load() == kWriters;
    auto rows = watcher->Execute("SELECT seq, name FROM ref_changes WHERE seq > $1 ORDER BY seq",
                                 {Param::Int64(seen.empty() ? 0 : seen.back())});
    SPOKE_ASSERT_OK(rows);
    if (all_committed && rows->size() == 0) break;
    for (int r = 0; r < rows->size(); ++r) {
      seen.push_back(*rows->Int64(r, 0));
      names.insert(std::string(rows->Bytes(r, 1)));
    }
  }
  for (auto& t : writers) t.join();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "[ figures  ] %d ref transactions of 2 refs by %d writers, followed: %.0f per second\n",
      kWriters * kTransactions, kWriters, kWriters * kTransactions / seconds);
  EXPECT_EQ(names.size(), expected) << "the watcher missed changes committed below its last seq";
  EXPECT_EQ(seen.size(), expected);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(QueryInt(*watcher, "SELECT count(*) FROM ref_changes"), static_cast<int64_t>(expected));
}

TEST_F(PostgresTest, TwoWorkersClaimingJobsNeverGetTheSameJob) {
  auto setup = ConnectMigrated();
  ASSERT_NE(setup, nullptr);
  constexpr int kJobs = 1000;
  for (int i = 0; i < kJobs; ++i) {
    auto added = EnqueueJob(*setup, "compile", "user@v1.0." + std::to_string(i) + " cpp");
    SPOKE_ASSERT_OK(added);
    EXPECT_TRUE(*added);
  }
  auto again = EnqueueJob(*setup, "compile", "user@v1.0.0 cpp");
  SPOKE_ASSERT_OK(again);
  EXPECT_FALSE(*again);

  std::vector<std::vector<int64_t>> claimed(2);
  auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      auto c = Connect();
      if (c == nullptr) return;
      std::string owner = "server-" + std::to_string(w);
      for (;;) {
        auto job = ClaimJob(*c, "compile", owner, milliseconds(60000));
        SPOKE_ASSERT_OK(job);
        if (!job->has_value()) return;
        EXPECT_EQ((*job)->attempts, 1);
        claimed[w].push_back((*job)->id);
        SPOKE_ASSERT_OK(FinishJob(*c, (*job)->id, owner));
      }
    });
  }
  for (auto& t : workers) t.join();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::set<int64_t> all;
  for (const auto& ids : claimed) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(claimed[0].size() + claimed[1].size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(all.size(), static_cast<size_t>(kJobs)) << "a job was claimed twice";
  std::printf("[ figures  ] %d jobs claimed and finished by two workers (%zu and %zu): %.0f ms\n",
              kJobs, claimed[0].size(), claimed[1].size(), seconds * 1000);
  EXPECT_EQ(QueryInt(*setup, "SELECT count(*) FROM jobs WHERE state <> 'done'"), 0);
}

TEST_F(PostgresTest, AnExpiredLeaseMakesAJobClaimableAgain) {
  auto dead = ConnectMigrated();
  auto live = Connect();
  ASSERT_NE(dead, nullptr);
  ASSERT_NE(live, nullptr);
  SPOKE_ASSERT_OK(EnqueueJob(*dead, "compact", "pack-1"));
  auto first = ClaimJob(*dead, "compact", "dead-server", milliseconds(60000));
  SPOKE_ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  SPOKE_ASSERT_OK(RenewJobLease(*dead, (*first)->id, "dead-server", milliseconds(60000)));

  // Held under a live lease: nobody else gets it.
  auto none = ClaimJob(*live, "compact", "live-server", milliseconds(60000));
  SPOKE_ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());

  // The lease runs out (its clock moved on, not the test's).
  SPOKE_ASSERT_OK(live->Execute("UPDATE jobs SET lease_expires = now() - interval '1 second'"));
  auto second = ClaimJob(*live, "compact", "live-server", milliseconds(60000));
  SPOKE_ASSERT_OK(second);
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->id, (*first)->id);
  EXPECT_EQ((*second)->attempts, 2);

  // The old owner learns it lost the job; the new one finishes it.
  EXPECT_EQ(RenewJobLease(*dead, (*first)->id, "dead-server", milliseconds(60000)).code(),
            Status::Code::kConflict);
  EXPECT_EQ(FinishJob(*dead, (*first)->id, "dead-server").code(), Status::Code::kConflict);
  SPOKE_ASSERT_OK(FailJob(*live, (*second)->id, "live-server", "disk full", milliseconds(60000)));
  auto backing_off = ClaimJob(*live, "compact", "live-server", milliseconds(60000));
  SPOKE_ASSERT_OK(backing_off);
  EXPECT_FALSE(backing_off->has_value()) << "a failed job waits for its retry time";
}

TEST_F(PostgresTest, JobsEnqueuedTogetherAreClaimedInTheirOrderAndEachKeyIsQueuedOnce) {
  auto c = ConnectMigrated();
  ASSERT_NE(c, nullptr);
  auto added =
      EnqueueJobs(*c, "compile-cpp", {"b@v1.0.0", "a@v1.0.0", "c@v1.0.0"}, milliseconds(0));
  SPOKE_ASSERT_OK(added);
  EXPECT_EQ(*added, 3);
  // A second server enqueuing what it saw adds only what is new.
  added = EnqueueJobs(*c, "compile-cpp", {"a@v1.0.0", "d@v1.0.0"}, milliseconds(0));
  SPOKE_ASSERT_OK(added);
  EXPECT_EQ(*added, 1);
  SPOKE_ASSERT_OK(EnqueueJobs(*c, "compile-python", {"a@v1.0.0"}, milliseconds(0)));
  EXPECT_EQ(CountOpenJobs(*c, "compile-cpp").value(), 4);
  EXPECT_EQ(EnqueueJobs(*c, "compile-cpp", {"bad\nkey"}, milliseconds(0)).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(EnqueueJobs(*c, "compile-cpp", {}, milliseconds(0)).value(), 0);

  std::vector<std::string> order;
  for (;;) {
    auto job = ClaimJob(*c, "compile-cpp", "server", milliseconds(60000));
    SPOKE_ASSERT_OK(job);
    if (!job->has_value()) break;
    order.push_back((*job)->key);
    SPOKE_ASSERT_OK(FinishJob(*c, (*job)->id, "server"));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"b@v1.0.0", "a@v1.0.0", "c@v1.0.0", "d@v1.0.0"}));
  EXPECT_EQ(CountOpenJobs(*c, "compile-cpp").value(), 0);
  EXPECT_EQ(CountOpenJobs(*c, "compile-python").value(), 1);

  // A delayed job waits for its time.
  SPOKE_ASSERT_OK(EnqueueJobs(*c, "compile-cpp", {"e@v1.0.0"}, milliseconds(60000)));
  auto early = ClaimJob(*c, "compile-cpp", "server", milliseconds(60000));
  SPOKE_ASSERT_OK(early);
  EXPECT_FALSE(early->has_value());
}

TEST_F(PostgresTest, AJobsRowTellsItsStateAttemptsLastErrorAndRetryTime) {
  auto c = ConnectMigrated();
  ASSERT_NE(c, nullptr);
  auto none = ReadJob(*c, "compile-cpp", "a@v1.0.0");
  SPOKE_ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  SPOKE_ASSERT_OK(EnqueueJob(*c, "compile-cpp", "a@v1.0.0"));
  auto queued = ReadJob(*c, "compile-cpp", "a@v1.0.0");
  SPOKE_ASSERT_OK(queued);
  ASSERT_TRUE(queued->has_value());
  EXPECT_EQ((*queued)->state, "queued");
  EXPECT_EQ((*queued)->attempts, 0);
  EXPECT_EQ((*queued)->last_error, "");

  auto job = ClaimJob(*c, "compile-cpp", "server", milliseconds(60000));
  SPOKE_ASSERT_OK(job);
  ASSERT_TRUE(job->has_value());
  EXPECT_EQ(ReadJob(*c, "compile-cpp", "a@v1.0.0").value()->state, "running");
  const int64_t before = QueryInt(*c, "SELECT extract(epoch FROM now())::bigint");
  SPOKE_ASSERT_OK(FailJob(*c, (*job)->id, "server", "a.proto:1:1: boom", milliseconds(120000)));
  auto failed = ReadJob(*c, "compile-cpp", "a@v1.0.0");
  SPOKE_ASSERT_OK(failed);
  ASSERT_TRUE(failed->has_value());
  EXPECT_EQ((*failed)->state, "queued");
  EXPECT_EQ((*failed)->attempts, 1);
  EXPECT_EQ((*failed)->last_error, "a.proto:1:1: boom");
  EXPECT_GE((*failed)->not_before, before + 119);
  EXPECT_LE((*failed)->not_before, before + 122);
}

// What the catalog holds of Spoke's tables: columns, indexes, triggers, functions, sequences.
std::string CatalogOf(Connection& c) {
  auto rows = c.Execute(
      "SELECT string_agg(line, E'\\n' ORDER BY line) FROM ("
      " SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS line"
      "  FROM information_schema.columns WHERE table_schema = 'public'"
      " UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'"
      " UNION ALL SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal"
      " UNION ALL SELECT proname::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
      " UNION ALL SELECT relname::text FROM pg_class WHERE relkind = 'S') catalog");
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? std::string(rows->Bytes(0, 0)) : "";
}

TEST_F(PostgresTest, MigratingTwiceIsANoOp) {
  auto c = Connect();
  ASSERT_NE(c, nullptr);
  auto first = MigratePostgresSchema(*c);
  SPOKE_ASSERT_OK(first);
  EXPECT_EQ(first->from_version, 0);
  EXPECT_EQ(first->to_version, kPostgresSchemaVersion);
  std::string catalog = CatalogOf(*c);
  EXPECT_NE(catalog.find("CREATE INDEX jobs_open"), std::string::npos) << catalog;
  EXPECT_NE(catalog.find("refs_log_change"), std::string::npos) << catalog;

  auto second = MigratePostgresSchema(*c);
  SPOKE_ASSERT_OK(second);
  EXPECT_EQ(second->from_version, kPostgresSchemaVersion);
  EXPECT_EQ(second->to_version, kPostgresSchemaVersion);
  EXPECT_EQ(CatalogOf(*c), catalog);
  EXPECT_EQ(QueryInt(*c, "SELECT count(*) FROM schema_version"), kPostgresSchemaVersion);
}

TEST_F(PostgresTest, ServersMigratingAtOnceMigrateOnce) {
  constexpr int kServers = 4;
  std::vector<Result<SchemaMigration>> results(kServers, Status::Internal("not run"));
  std::vector<std::thread> servers;
  for (int i = 0; i < kServers; ++i) {
    servers.emplace_back([&, i] {
      auto c = Connect();
      if (c != nullptr) results[i] = MigratePostgresSchema(*c);
    });
  }
  for (auto& t : servers) t.join();
  int created = 0;
  for (const auto& r : results) {
    SPOKE_ASSERT_OK(r);
    created += r->from_version == 0 ? 1 : 0;
  }
  EXPECT_EQ(created, 1);
}

TEST_F(PostgresTest, ADatabaseNewerThanTheCodeIsRefused) {
  auto c = ConnectMigrated();
  ASSERT_NE(c, nullptr);
  SPOKE_ASSERT_OK(c->Execute("INSERT INTO schema_version (version) VALUES ($1)",
                             {Param::Int64(kPostgresSchemaVersion + 1)}));
  auto refused = MigratePostgresSchema(*c);
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition) << refused.status();
  EXPECT_NE(refused.status().message().find("upgrade Spoke"), std::string::npos);
}

}  // namespace
}  // namespace spoke::testing
