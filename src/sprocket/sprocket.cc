// Sprocket: passes over the versions that compile what the cache lacks, and the loop that runs a
// pass after each burst of pushes and when a failure's back-off is over. Where versions come from
// and how they are compiled is the backend's (sprocket_backend.h).
#include "spoke/sprocket.h"

#include <unistd.h>

#include <algorithm>

#include "spoke/compiler.h"
#include "sprocket/compile_order.h"
#include "sprocket/failure_log.h"
#include "sprocket/sprocket_backend.h"
#include "sprocket/sprocket_lock.h"

namespace spoke {

void CountSucceeded(const SprocketBackend::Compiled& compiled, SprocketEvent* event,
                    SprocketPass* pass, const std::function<void(const SprocketEvent&)>& on_event) {
  if (compiled.cached) {
    pass->cached++;
    return;
  }
  event->kind = SprocketEvent::Kind::kCompiled;
  event->key = compiled.key;
  event->files = compiled.files;
  pass->compiled++;
  if (on_event) on_event(*event);
}
namespace {

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

}  // namespace

std::vector<std::string> InstalledLanguages() {
  std::vector<std::string> names;
  for (const Language& language : Languages()) {
    if (GeneratorIdentity(language).ok()) names.push_back(language.name);
  }
  return names;
}

Result<std::vector<std::string>> LanguagesFromFlag(const std::string& list) {
  if (list != "all") return ParseLanguageList(list);
  std::vector<std::string> names = InstalledLanguages();
  if (names.empty())
    return Status::FailedPrecondition("\"all\" languages: no generator is installed");
  return names;
}

Result<std::unique_ptr<Sprocket>> Sprocket::Open(Store& store, SprocketOptions options,
                                                 EventSink on_event) {
  const std::string dir = store.path() + "/sprocket";
  SprocketHolder holder{static_cast<long>(getpid()), options.holder, options.languages};
  SPOKE_ASSIGN_OR_RETURN(int lock_fd, TakeSprocketLock(dir, holder));
  auto failures = FailureLog::Load(dir + "/failures.json");
  if (!failures.ok()) {
    close(lock_fd);
    return failures.status();
  }
  return std::unique_ptr<Sprocket>(new Sprocket(MakeStoreBackend(store), std::move(options),
                                                std::move(on_event), lock_fd,
                                                std::move(*failures)));
}

Result<std::unique_ptr<Sprocket>> Sprocket::OpenRegistry(const RemoteOptions& registry,
                                                         SprocketOptions options,
                                                         EventSink on_event) {
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<SprocketBackend> backend, MakeRegistryBackend(registry));
  // The registry's store is not this process's to write: failures are remembered in memory.
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<FailureLog> failures, FailureLog::Load(""));
  return std::unique_ptr<Sprocket>(new Sprocket(std::move(backend), std::move(options),
                                                std::move(on_event), -1, std::move(failures)));
}

Sprocket::Sprocket(std::unique_ptr<SprocketBackend> backend, SprocketOptions options,
                   EventSink on_event, int lock_fd, std::unique_ptr<FailureLog> failures)
    : backend_(std::move(backend)),
      options_(std::move(options)),
      on_event_(std::move(on_event)),
      lock_fd_(lock_fd),
      failures_(std::move(failures)) {}

Sprocket::~Sprocket() {
  if (lock_fd_ >= 0) close(lock_fd_);
}

std::string Sprocket::Describe() const { return backend_->Describe(); }

void Sprocket::Stop() {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  stop_ = true;
  stop_changed_.notify_all();
}

Result<SprocketPass> Sprocket::CompilePending() {
  SPOKE_ASSIGN_OR_RETURN(std::vector<VersionName> versions, backend_->Start());
  return PassOver(versions);
}

SprocketPass Sprocket::PassOver(const std::vector<VersionName>& versions) {
  SprocketPass pass;
  std::vector<VersionName> pending;
  for (const VersionName& name : versions) {
    bool all_done = std::all_of(options_.languages.begin(), options_.languages.end(),
                                [&](const std::string& language) {
                                  return done_.count({name, language}) > 0;
                                });
    if (!all_done) pending.push_back(name);
  }
  int depth = 0;
  for (const VersionName& name : pending) {
    for (const std::string& language : options_.languages)
      depth += done_.count({name, language}) ? 0 : 1;
  }
  queue_depth_ = depth;
  if (pending.empty()) return pass;
  auto dependencies_of = [this](const VersionName& name) {
    auto dependencies = backend_->DependenciesOf(name);
    // One that cannot be read is ordered as if it had none; its compile says what is wrong.
    return dependencies.ok() ? std::move(*dependencies) : std::vector<VersionName>();
  };
  for (const VersionName& name : DependenciesFirst(pending, dependencies_of)) {
    for (const std::string& language : options_.languages) {
      if (stopping()) return pass;
      if (done_.count({name, language})) continue;
      CompileOne(name, language, &pass);
      queue_depth_ -= done_.count({name, language}) ? 1 : 0;
    }
  }
  return pass;
}

void Sprocket::CompileOne(const VersionName& name, const std::string& language,
                          SprocketPass* pass) {
  SprocketEvent event;
  event.module = name.first;
  event.version = name.second;
  event.language = language;
  Result<std::string> key = backend_->KeyFor(name, language);
  if (key.ok()) event.key = *key;
  const int64_t now = NowSeconds();
  const FailureLog::Failure* before = failures_->Find(name.first, name.second, language);
  if (before && before->key == event.key && now < before->next_attempt) {
    event.kind = SprocketEvent::Kind::kDeferred;
    event.message = before->message;
    event.attempts = before->attempts;
    event.next_attempt = before->next_attempt;
    pass->deferred++;
    if (on_event_) on_event_(event);
    return;
  }
  Status failed = key.status();
  if (failed.ok()) {
    const auto started = std::chrono::steady_clock::now();
    auto compiled = backend_->Compile(name, language);
    const auto took = std::chrono::steady_clock::now() - started;
    event.took = std::chrono::duration_cast<std::chrono::milliseconds>(took);
    if (options_.on_compile && !(compiled.ok() && compiled->cached)) {
      options_.on_compile(language, std::chrono::duration<double>(took).count(), compiled.ok());
    }
    if (compiled.ok()) {
      done_.insert({name, language});
      // Losing this only means one needless attempt later, which finds the artifact cached.
      IgnoreError(failures_->Clear(name.first, name.second, language),
                  "one needless attempt later finds the artifact cached");
      CountSucceeded(*compiled, &event, pass, on_event_);
      return;
    }
    failed = compiled.status();
  }
  event.kind = SprocketEvent::Kind::kFailed;
  event.message = OneLine(failed.message());
  const auto base = std::max<std::chrono::seconds>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.delay), std::chrono::seconds(1));
  auto recorded =
      failures_->Record(name.first, name.second, language, event.key, event.message, now, base);
  if (!recorded.ok()) {
    // The record is kept in memory, so the back-off holds while this process runs.
    event.message +=
        " (the failure could not be recorded on disk: " + recorded.status().message() + ")";
  }
  const FailureLog::Failure* kept = failures_->Find(name.first, name.second, language);
  event.attempts = kept->attempts;
  event.next_attempt = kept->next_attempt;
  pass->failed++;
  if (on_event_) on_event_(event);
}

int64_t Sprocket::NextRetry() const { return failures_->EarliestNextAttempt(options_.languages); }

Status Sprocket::Run(const std::function<void(const SprocketPass&)>& on_pass) {
  using Clock = std::chrono::steady_clock;
  const auto poll = backend_->PollInterval(options_.delay);
  SPOKE_ASSIGN_OR_RETURN(std::vector<VersionName> known, backend_->Start());
  // What was pending at start-up has waited long enough: compile it at once.
  SprocketPass first = PassOver(known);
  if (!stopping() && on_pass) on_pass(first);
  bool in_burst = false;
  Clock::time_point burst_started, last_change;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(stop_mutex_);
      if (stop_changed_.wait_for(lock, poll, [this] { return stop_.load(); })) return Status::Ok();
    }
    auto fresh = backend_->NewVersions();  // an error is retried at the next look
    const auto now = Clock::now();
    if (fresh.ok() && !fresh->empty()) {
      known.insert(known.end(), fresh->begin(), fresh->end());
      queue_depth_ += static_cast<int>(fresh->size() * options_.languages.size());
      if (!in_burst) burst_started = now;
      in_burst = true;
      last_change = now;
    }
    const bool burst_over = in_burst && (now - last_change >= options_.delay ||
                                         now - burst_started >= 4 * options_.delay);
    const int64_t retry_at = NextRetry();
    const bool retry_due = retry_at != 0 && retry_at <= NowSeconds();
    if (!burst_over && !retry_due) continue;
    in_burst = false;
    SprocketPass pass = PassOver(known);
    if (stopping()) return Status::Ok();
    if (on_pass) on_pass(pass);
  }
}

}  // namespace spoke
