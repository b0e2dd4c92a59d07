// SprocketQueue: Sprocket's work as rows of the PostgreSQL jobs table (spoke/sprocket_queue.h).
// The compiling itself is the store backend's (sprocket_backend.h), as for Sprocket on files; what
// is here is where the work comes from (the ref change log), who does it (the claim under a
// lease) and what is left of a failure (the row).
#include "spoke/sprocket_queue.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "postgres/connection_pool.h"
#include "spoke/backoff.h"
#include "spoke/refs.h"
#include "sprocket/compile_order.h"
#include "sprocket/failure_log.h"
#include "sprocket/sprocket_backend.h"
#include "store/postgres_jobs.h"
#include "store/postgres_ref_follower.h"

namespace spoke {
namespace {

using std::chrono::milliseconds;

// How long Run() waits for a notification before it looks at the queue again: jobs whose delay or
// back-off ends, and leases that expire, notify no one.
constexpr milliseconds kIdleLook{1000};

std::string KindOf(const std::string& language) { return "compile-" + language; }
std::string KeyOf(const VersionName& name) { return name.first + "@" + name.second; }

// "module@version" back into its parts (a version holds no '@', a module name neither).
bool ParseKey(const std::string& key, VersionName* name) {
  const size_t at = key.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == key.size()) return false;
  *name = {key.substr(0, at), key.substr(at + 1)};
  return true;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A message on one line: a compile's errors come one per line.
std::string OneLine(std::string message) {
  while (!message.empty() && message.back() == '\n') message.pop_back();
  std::string line;
  for (char c : message) line += c == '\n' ? std::string("; ") : std::string(1, c);
  return line;
}

std::string MakeOwner() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device random;
  char suffix[9];
  std::snprintf(suffix, sizeof(suffix), "%08x", random());
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + suffix;
}

}  // namespace

struct SprocketQueue::Impl {
  Store* store = nullptr;
  std::string url;
  SprocketOptions options;
  milliseconds lease{30000};
  Sprocket::EventSink on_event;
  std::string owner;
  std::unique_ptr<SprocketBackend> compiler;
  postgres::ConnectionPool pool;
  std::function<void(const std::string&)> stage_hook;
  std::atomic<bool> stop{false};
  std::atomic<int> queue_depth{0};
  std::mutex stop_mutex;
  std::condition_variable stop_changed;

  explicit Impl(std::string database) : url(database), pool(std::move(database)) {}

  bool stopping() const { return stop.load(); }

  // Runs `statement` on a pooled connection, dropping the connection when it was lost.
  template <typename T>
  Result<T> WithConnection(const std::function<Result<T>(postgres::Connection&)>& statement) {
    SPOKE_ASSIGN_OR_RETURN(postgres::ConnectionPool::Lease connection, pool.Take());
    Result<T> result = statement(*connection);
    if (!result.ok()) postgres::ConnectionPool::DiscardIfLost(connection, result.status());
    return result;
  }

  Status WithStatement(const std::function<Status(postgres::Connection&)>& statement) {
    SPOKE_ASSIGN_OR_RETURN(postgres::ConnectionPool::Lease connection, pool.Take());
    Status status = statement(*connection);
    if (!status.ok()) postgres::ConnectionPool::DiscardIfLost(connection, status);
    return status;
  }

  // Enqueues one job per language for each of `fresh`, dependencies first, claimable `delay`
  // from now.
  Status Enqueue(const std::vector<VersionName>& fresh, milliseconds delay) {
    auto dependencies_of = [this](const VersionName& name) {
      auto dependencies = compiler->DependenciesOf(name);
      // One that cannot be read is ordered as if it had none; its compile says what is wrong.
      return dependencies.ok() ? std::move(*dependencies) : std::vector<VersionName>();
    };
    std::vector<std::string> keys;
    for (const VersionName& name : DependenciesFirst(fresh, dependencies_of))
      keys.push_back(KeyOf(name));
    for (const std::string& language : options.languages) {
      SPOKE_RETURN_IF_ERROR(WithConnection<int>([&](postgres::Connection& c) {
                              return EnqueueJobs(c, KindOf(language), keys, delay);
                            }).status());
    }
    return Status::Ok();
  }

  // Counts the open jobs of the configured languages into queue_depth.
  void CountQueue() {
    int64_t open = 0;
    for (const std::string& language : options.languages) {
      auto count = WithConnection<int64_t>(
          [&](postgres::Connection& c) { return CountOpenJobs(c, KindOf(language)); });
      if (!count.ok()) return;
      open += *count;
    }
    queue_depth = static_cast<int>(open);
  }

  // Claims one job of `language`; nullopt when none is claimable.
  Result<std::optional<ClaimedJob>> Claim(const std::string& language) {
    return WithConnection<std::optional<ClaimedJob>>(
        [&](postgres::Connection& c) { return ClaimJob(c, KindOf(language), owner, lease); });
  }

  // Compiles the claimed job, renewing its lease meanwhile, and finishes or fails it.
  void RunJob(const std::string& language, const ClaimedJob& job, SprocketPass* pass);
};

void SprocketQueue::Impl::RunJob(const std::string& language, const ClaimedJob& job,
                                 SprocketPass* pass) {
  // The heartbeat: a lease renewed every third of its length, so one late renewal costs nothing.
  std::mutex beat_mutex;
  std::condition_variable beat_changed;
  bool done = false;
  std::thread heartbeat([&] {
    std::unique_lock<std::mutex> lock(beat_mutex);
    while (!beat_changed.wait_for(lock, lease / 3, [&] { return done; })) {
      lock.unlock();
      // A lost lease (Conflict) means another worker has the job: this compile is then done twice,
      // harmlessly (the artifact is content-addressed), and its FinishJob is refused.
      IgnoreError(WithStatement([&](postgres::Connection& c) {
                    return RenewJobLease(c, job.id, owner, lease);
                  }),
                  "a lost lease only means the job is done twice");
      lock.lock();
    }
  });
  auto stop_heartbeat = [&] {
    {
      std::lock_guard<std::mutex> lock(beat_mutex);
      done = true;
    }
    beat_changed.notify_all();
    heartbeat.join();
  };
  if (stage_hook) stage_hook("compile-claimed");

  SprocketEvent event;
  event.language = language;
  event.attempts = job.attempts;
  VersionName name;
  Status failed = Status::Ok();
  if (!ParseKey(job.key, &name)) {
    failed = Status::InvalidArgument("job key \"" + job.key + "\" is not module@version");
  } else {
    event.module = name.first;
    event.version = name.second;
    const auto started = std::chrono::steady_clock::now();
    auto compiled = compiler->Compile(name, language);
    const auto took = std::chrono::steady_clock::now() - started;
    event.took = std::chrono::duration_cast<milliseconds>(took);
    if (options.on_compile && !(compiled.ok() && compiled->cached))
      options.on_compile(language, std::chrono::duration<double>(took).count(), compiled.ok());
    if (compiled.ok()) {
      stop_heartbeat();
      // A Conflict here: the lease expired and another worker claimed the job; it finds the
      // artifact cached and finishes it.
      IgnoreError(
          WithStatement([&](postgres::Connection& c) { return FinishJob(c, job.id, owner); }),
          "the job's new owner finds the artifact cached; an unreachable database's lease expires");
      CountSucceeded(*compiled, &event, pass, on_event);
      return;
    }
    failed = compiled.status();
  }
  stop_heartbeat();
  event.kind = SprocketEvent::Kind::kFailed;
  event.message = OneLine(failed.message());
  const auto base = std::max<std::chrono::seconds>(
      std::chrono::duration_cast<std::chrono::seconds>(options.delay), std::chrono::seconds(1));
  const Backoff backoff{base, kSprocketMaxBackoff, std::chrono::seconds(0)};
  const auto retry = std::chrono::duration_cast<milliseconds>(backoff.Ceiling(job.attempts));
  event.next_attempt =
      NowSeconds() + std::chrono::duration_cast<std::chrono::seconds>(retry).count();
  Status recorded = WithStatement(
      [&](postgres::Connection& c) { return FailJob(c, job.id, owner, event.message, retry); });
  if (!recorded.ok() && recorded.code() != Status::Code::kConflict) {
    event.message += " (the failure could not be recorded: " + recorded.message() + ")";
  }
  pass->failed++;
  if (on_event) on_event(event);
}

Result<std::unique_ptr<SprocketQueue>> SprocketQueue::Open(Store& store, const std::string& url,
                                                           SprocketOptions options,
                                                           milliseconds lease,
                                                           Sprocket::EventSink on_event) {
  if (lease < milliseconds(100))
    return Status::InvalidArgument("a compile job's lease must be at least 100 ms");
  auto impl = std::make_unique<Impl>(url);
  impl->store = &store;
  impl->options = std::move(options);
  impl->lease = lease;
  impl->on_event = std::move(on_event);
  impl->owner = MakeOwner();
  impl->compiler = MakeStoreBackend(store);
  // Connected once now, so a database that cannot be reached stops the server at start.
  SPOKE_RETURN_IF_ERROR(impl->pool.Take().status());
  return std::unique_ptr<SprocketQueue>(new SprocketQueue(std::move(impl)));
}

SprocketQueue::SprocketQueue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SprocketQueue::~SprocketQueue() = default;

const std::string& SprocketQueue::owner() const { return impl_->owner; }

void SprocketQueue::SetStageHook(std::function<void(const std::string&)> hook) {
  impl_->stage_hook = std::move(hook);
}

void SprocketQueue::Stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mutex);
  impl_->stop = true;
  impl_->stop_changed.notify_all();
}

int SprocketQueue::QueueDepth() const { return impl_->queue_depth.load(); }

Status SprocketQueue::Run(const std::function<void(const SprocketPass&)>& on_pass) {
  Impl& q = *impl_;
  // From the start of the log: versions pushed while no server compiled are enqueued too (a job
  // already in the queue, done or not, is not added again).
  RefChangeFollower follower(q.url, 0);
  // What was pushed before this server started has waited long enough: enqueued claimable at
  // once, as Sprocket on files compiles what is pending at start-up at once. Newer versions wait
  // -delay, so a burst of pushes is compiled once it is over.
  int64_t backlog_end = -1;
  const milliseconds idle_look = std::clamp(
      std::chrono::duration_cast<milliseconds>(q.options.delay), milliseconds(100), kIdleLook);
  bool idle = false;
  while (!q.stopping()) {
    if (backlog_end < 0) {
      auto last =
          q.WithConnection<int64_t>([](postgres::Connection& c) { return LastRefChangeSeq(c); });
      if (last.ok()) backlog_end = *last;
    }
    auto changes = follower.Next(idle ? idle_look : milliseconds(0));
    if (!changes.ok()) {
      // The database is away: look again later, from the same place in the log.
      std::unique_lock<std::mutex> lock(q.stop_mutex);
      q.stop_changed.wait_for(lock, kIdleLook, [&] { return q.stopping(); });
      continue;
    }
    std::vector<VersionName> backlog, fresh;
    for (const LoggedRefChange& change : *changes) {
      VersionName name;
      if (change.old_target.empty() && !change.new_target.empty() &&
          ParseVersionTagRef(change.name, &name.first, &name.second)) {
        (change.seq <= backlog_end ? backlog : fresh).push_back(std::move(name));
      }
    }
    if (!backlog.empty() || !fresh.empty()) {
      Status enqueued = q.Enqueue(backlog, milliseconds(0));
      if (enqueued.ok())
        enqueued = q.Enqueue(fresh, std::chrono::duration_cast<milliseconds>(q.options.delay));
      if (!enqueued.ok()) {
        // Not lost: the same versions are enqueued again once the follower starts over.
        std::fprintf(stderr, "spoke-server: cannot enqueue compile jobs: %s\n",
                     enqueued.message().c_str());
        follower = RefChangeFollower(q.url, 0);
      }
    }
    // One job of each language in turn, so a version's languages are compiled together.
    SprocketPass pass;
    bool claimed_any = true;
    while (claimed_any && !q.stopping()) {
      claimed_any = false;
      for (const std::string& language : q.options.languages) {
        if (q.stopping()) break;
        auto job = q.Claim(language);
        if (!job.ok() || !job->has_value()) continue;
        claimed_any = true;
        q.RunJob(language, **job, &pass);
      }
    }
    q.CountQueue();
    const bool ran = pass.compiled + pass.failed + pass.cached > 0;
    if (ran && on_pass && !q.stopping()) on_pass(pass);
    idle = !ran && changes->empty();
  }
  return Status::Ok();
}

Result<std::vector<ArtifactState>> SprocketQueue::StatesOf(const VersionInfo& version) {
  std::vector<ArtifactState> states;
  for (const std::string& language : impl_->options.languages) {
    ArtifactState state;
    state.language = language;
    state.status = "pending";
    auto key = DownloadArtifactKey(*impl_->store, version, language);
    if (key.ok()) {
      SPOKE_ASSIGN_OR_RETURN(std::string stored, impl_->store->ResolveRef(ArtifactRef(*key)));
      if (!stored.empty()) state.status = "ready";
    }
    if (state.status == "pending") {
      SPOKE_ASSIGN_OR_RETURN(
          std::optional<JobRecord> job,
          impl_->WithConnection<std::optional<JobRecord>>([&](postgres::Connection& c) {
            return ReadJob(c, KindOf(language), KeyOf({version.module, version.version}));
          }));
      if (job && job->state == "queued" && !job->last_error.empty()) {
        state.status = "failed";
        state.message = job->last_error;
        state.attempts = job->attempts;
        state.next_attempt = job->not_before;
      }
    }
    states.push_back(std::move(state));
  }
  return states;
}

}  // namespace spoke
