// Pack compaction on the PostgreSQL job queue (spoke/sys/postgres_compactor.h): the small packs
// fetched into a temporary directory, their objects packed into one by libgit2's packbuilder, and
// the new pack listed in the transaction that unlists the old ones, so a reader never lacks an
// object: every server's cache fetches the new pack before it drops the old ones
// (postgres_pack_cache.h).
#include "spoke/sys/postgres_compactor.h"

#include <fcntl.h>
#include <git2.h>
#include <git2/sys/repository.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <utility>
#include <vector>

#include "postgres/connection.h"
#include "store/durable.h"
#include "store/git_handles.h"
#include "store/pack_write.h"
#include "store/postgres_jobs.h"
#include "store/postgres_packs.h"
#include "store/postgres_schema.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;
using postgres::Param;

constexpr char kCompactJob[] = "compact";
// Serialises compaction claims across servers ("spokecmp" as ASCII, fixed forever).
constexpr int64_t kCompactClaimLock = 0x73706f6b65636d70;
// How long a failed compaction waits before it is claimed again.
constexpr std::chrono::milliseconds kRetryAfter{30000};

// A temporary directory, removed with everything in it when this goes.
struct WorkDirectory {
  std::string path;
  ~WorkDirectory() {
    std::error_code ignored;
    if (!path.empty()) fs::remove_all(path, ignored);
  }
};

// A compact job, unless another compaction runs under a live lease. Jobs have different keys
// (each names the newest pack when it was queued), so two servers may each queue one; claimed at
// once by two servers, they would merge the same packs, and one would lose. So claims are taken
// one at a time, under a transaction-scoped advisory lock, and none while a compaction runs: at
// most one at a time across the servers, unless a lease expires (then the later one's
// transaction finds its packs unlisted and is refused; nothing is lost).
Result<std::optional<ClaimedJob>> ClaimCompaction(postgres::Connection& connection,
                                                  const std::string& owner,
                                                  std::chrono::milliseconds lease) {
  SPOKE_ASSIGN_OR_RETURN(postgres::Transaction transaction,
                         postgres::Transaction::Begin(connection));
  SPOKE_RETURN_IF_ERROR(
      connection.Execute("SELECT pg_advisory_xact_lock($1)", {Param::Int64(kCompactClaimLock)})
          .status());
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows running,
      connection.Execute("SELECT count(*) FROM jobs WHERE kind = $1 AND state = 'running'"
                         " AND lease_expires >= now()",
                         {Param::Text(kCompactJob)}));
  SPOKE_ASSIGN_OR_RETURN(int64_t busy, running.Int64(0, 0));
  std::optional<ClaimedJob> job;
  if (busy == 0) {
    SPOKE_ASSIGN_OR_RETURN(job, ClaimJob(connection, kCompactJob, owner, lease));
  }
  SPOKE_RETURN_IF_ERROR(transaction.Commit());
  return job;
}

Result<std::vector<StoredPack>> SmallPacks(postgres::Connection& connection, int64_t below) {
  SPOKE_ASSIGN_OR_RETURN(postgres::Rows rows,
                         connection.Execute("SELECT id, name, size, index_size, object_count"
                                            " FROM packs WHERE size < $1 ORDER BY id",
                                            {Param::Int64(below)}));
  std::vector<StoredPack> packs(static_cast<size_t>(rows.size()));
  for (int r = 0; r < rows.size(); ++r) {
    StoredPack& pack = packs[static_cast<size_t>(r)];
    SPOKE_ASSIGN_OR_RETURN(pack.id, rows.Int64(r, 0));
    pack.name = std::string(rows.Bytes(r, 1));
    SPOKE_ASSIGN_OR_RETURN(pack.size, rows.Int64(r, 2));
    SPOKE_ASSIGN_OR_RETURN(pack.index_size, rows.Int64(r, 3));
    SPOKE_ASSIGN_OR_RETURN(pack.object_count, rows.Int64(r, 4));
  }
  return packs;
}

// Writes one part of `pack` into the file `path`.
Status FetchPartInto(postgres::Connection& connection, const StoredPack& pack, PackPart part,
                     const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  Status status = ReadPackPart(connection, pack, part,
                               [&](std::string_view data) { return WriteAll(fd, data, path); });
  close(fd);
  return status;
}

// libgit2's object database over the packs in `objects_dir`/pack.
Result<OdbPtr> PackOdb(const std::string& objects_dir) {
  git_odb* raw = nullptr;
  int rc = git_odb_new(&raw);
  if (rc != 0) return GitError(rc, "cannot make an object database");
  OdbPtr odb(raw);
  git_odb_backend* packs = nullptr;
  rc = git_odb_backend_pack(&packs, objects_dir.c_str());
  if (rc != 0) return GitError(rc, "cannot read the packs in " + objects_dir);
  rc = git_odb_add_backend(raw, packs, 1);
  if (rc != 0) {
    packs->free(packs);
    return GitError(rc, "cannot add the packs in " + objects_dir);
  }
  return odb;
}

// Packs every object of the packs in `in_objects`/pack into one pack in `out_objects`/pack, and
// checks that it holds each of them (an object whose bytes do not hash to its id would be indexed
// under another id, and missing).
Result<WrittenPack> MergePacks(const std::string& in_objects, const std::string& out_objects) {
  SPOKE_ASSIGN_OR_RETURN(OdbPtr odb, PackOdb(in_objects));
  std::vector<git_oid> ids;
  int rc = git_odb_foreach(
      odb.get(),
      [](const git_oid* id, void* payload) {
        static_cast<std::vector<git_oid>*>(payload)->push_back(*id);
        return 0;
      },
      &ids);
  if (rc != 0) return GitError(rc, "cannot list the objects in " + in_objects);
  git_repository* raw_repo = nullptr;
  rc = git_repository_wrap_odb(&raw_repo, odb.get());
  if (rc != 0) return GitError(rc, "cannot wrap the objects in " + in_objects);
  RepoPtr repo(raw_repo);
  SPOKE_ASSIGN_OR_RETURN(WrittenPack merged,
                         WritePackOf(raw_repo, ids.data(), ids.size(), out_objects + "/pack"));
  SPOKE_ASSIGN_OR_RETURN(OdbPtr written, PackOdb(out_objects));
  for (const git_oid& id : ids) {
    if (!git_odb_exists(written.get(), &id)) {
      return Status::Corruption("the compacted pack " + merged.name + " lacks object " +
                                OidHex(id) + " of the packs it replaces: one of them is damaged");
    }
  }
  return merged;
}

// The array literal PostgreSQL reads as bigint[]: "{1,2,3}".
std::string IdArray(const std::vector<StoredPack>& packs) {
  std::string text = "{";
  for (const StoredPack& pack : packs) {
    text += (text.size() > 1 ? "," : "") + std::to_string(pack.id);
  }
  return text + "}";
}

// Fetches `packs`, merges them and swaps them for the merged pack in one transaction.
// `heartbeat` is called before each fetch and before the transaction; its failure stops the work.
Result<PackCompaction> Compact(postgres::Connection& connection,
                               const std::vector<StoredPack>& packs, const std::string& work_dir,
                               const std::function<Status()>& heartbeat) {
  WorkDirectory work;
  work.path = work_dir + "/compact-XXXXXX";
  if (mkdtemp(work.path.data()) == nullptr) {
    const std::string failed = work.path;
    work.path.clear();
    return Status::IOError("cannot create " + failed + ": " + std::strerror(errno));
  }
  const std::string in_objects = work.path + "/in", out_objects = work.path + "/out";
  std::error_code ec;
  fs::create_directories(in_objects + "/pack", ec);
  if (!ec) fs::create_directories(out_objects + "/pack", ec);
  if (ec) return Status::IOError("cannot create directories in " + work.path + ": " + ec.message());
  for (const StoredPack& pack : packs) {
    SPOKE_RETURN_IF_ERROR(heartbeat());
    const std::string base = in_objects + "/pack/pack-" + pack.name;
    Status fetched = FetchPartInto(connection, pack, PackPart::kPack, base + ".pack");
    if (fetched.ok()) fetched = FetchPartInto(connection, pack, PackPart::kIndex, base + ".idx");
    if (!fetched.ok()) return fetched.WithContext("cannot fetch pack " + pack.name);
  }
  SPOKE_ASSIGN_OR_RETURN(WrittenPack merged, MergePacks(in_objects, out_objects));
  SPOKE_RETURN_IF_ERROR(heartbeat());

  SPOKE_ASSIGN_OR_RETURN(postgres::Transaction transaction,
                         postgres::Transaction::Begin(connection));
  Result<StoredPack> stored = FindPack(connection, merged.name);
  if (!stored.ok() && stored.status().code() != Status::Code::kNotFound) return stored.status();
  if (!stored.ok()) {
    stored = StorePackFiles(connection, merged.name, merged.object_count, merged.pack_path,
                            merged.index_path);
    if (!stored.ok()) return stored.status();
  }
  // Each replaced pack must still be there: a compactor whose lease expired may have replaced
  // them already, and then this one changes nothing.
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows deleted,
      connection.Execute("DELETE FROM packs WHERE id = ANY($1::bigint[]) AND id <> $2",
                         {Param::Text(IdArray(packs)), Param::Int64(stored->id)}));
  if (deleted.affected() != static_cast<int64_t>(packs.size())) {
    return Status::Conflict("of the " + std::to_string(packs.size()) + " packs to compact only " +
                            std::to_string(deleted.affected()) +
                            " are still listed: another compaction replaced them");
  }
  SPOKE_RETURN_IF_ERROR(transaction.Commit());
  PackCompaction done;
  done.packs_replaced = static_cast<int64_t>(packs.size());
  done.objects = merged.object_count;
  done.pack_name = merged.name;
  done.pack_bytes = stored->size + stored->index_size;
  return done;
}

}  // namespace

PostgresCompactor::PostgresCompactor(std::string url, std::string work_dir,
                                     PostgresCompactorOptions options)
    : url_(std::move(url)), work_dir_(std::move(work_dir)), options_(std::move(options)) {}

PostgresCompactor::~PostgresCompactor() = default;

Result<std::unique_ptr<PostgresCompactor>> PostgresCompactor::Open(
    const std::string& url, const std::string& work_dir, PostgresCompactorOptions options) {
  EnsureLibgit2();
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  if (ec) return Status::IOError("cannot create " + work_dir + ": " + ec.message());
  if (options.owner.empty()) options.owner = "compactor-" + std::to_string(getpid());
  std::unique_ptr<PostgresCompactor> compactor(
      new PostgresCompactor(url, fs::absolute(work_dir).string(), std::move(options)));
  SPOKE_ASSIGN_OR_RETURN(postgres::Connection * connection, compactor->Connected());
  SPOKE_RETURN_IF_ERROR(MigratePostgresSchema(*connection).status());
  return compactor;
}

Result<postgres::Connection*> PostgresCompactor::Connected() {
  if (connection_ == nullptr) {
    SPOKE_ASSIGN_OR_RETURN(connection_, postgres::Connection::Open(url_));
  }
  return connection_.get();
}

Status PostgresCompactor::QueueIfNeeded(postgres::Connection& connection) {
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows rows,
      connection.Execute("SELECT count(*), coalesce(max(id), 0) FROM packs WHERE size < $1",
                         {Param::Int64(options_.small_pack_bytes)}));
  SPOKE_ASSIGN_OR_RETURN(int64_t small, rows.Int64(0, 0));
  SPOKE_ASSIGN_OR_RETURN(int64_t newest, rows.Int64(0, 1));
  if (small <= options_.pack_threshold) return Status::Ok();
  return EnqueueJob(connection, kCompactJob, "small-packs-through-" + std::to_string(newest))
      .status();
}

Result<std::optional<PackCompaction>> PostgresCompactor::RunOnce() {
  SPOKE_ASSIGN_OR_RETURN(postgres::Connection * connection, Connected());
  Result<std::optional<PackCompaction>> result = [&]() -> Result<std::optional<PackCompaction>> {
    SPOKE_RETURN_IF_ERROR(QueueIfNeeded(*connection));
    SPOKE_ASSIGN_OR_RETURN(std::optional<ClaimedJob> job,
                           ClaimCompaction(*connection, options_.owner, options_.lease));
    if (!job) return std::optional<PackCompaction>();
    Result<std::vector<StoredPack>> packs = SmallPacks(*connection, options_.small_pack_bytes);
    Result<PackCompaction> done = packs.status();
    if (packs.ok() && packs->size() < 2) {
      SPOKE_RETURN_IF_ERROR(FinishJob(*connection, job->id, options_.owner));
      return std::optional<PackCompaction>();
    }
    if (packs.ok()) {
      done = Compact(*connection, *packs, work_dir_, [&] {
        return RenewJobLease(*connection, job->id, options_.owner, options_.lease);
      });
    }
    if (!done.ok()) {
      // The job goes back to the queue; its lease may be lost already, which changes nothing.
      static_cast<void>(
          FailJob(*connection, job->id, options_.owner, done.status().ToString(), kRetryAfter));
      return done.status();
    }
    done->job_id = job->id;
    SPOKE_RETURN_IF_ERROR(FinishJob(*connection, job->id, options_.owner));
    return std::optional<PackCompaction>(std::move(*done));
  }();
  if (!result.ok() && result.status().code() == Status::Code::kUnavailable) {
    connection_.reset();  // opened again at the next run
  }
  return result;
}

void PostgresCompactor::Run(const std::function<void(const Result<PackCompaction>&)>& report) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopped_) {
    lock.unlock();
    Result<std::optional<PackCompaction>> ran = RunOnce();
    if (!ran.ok()) {
      report(ran.status());
    } else if (ran->has_value()) {
      report(std::move(**ran));
    }
    lock.lock();
    // After a compaction, look again at once: pushes may have passed the threshold meanwhile.
    if (ran.ok() && ran->has_value()) continue;
    stop_changed_.wait_for(lock, options_.interval, [this] { return stopped_; });
  }
}

void PostgresCompactor::Stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  stop_changed_.notify_all();
}

}  // namespace spoke
