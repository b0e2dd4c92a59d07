// Sprocket: passes over the store's versions that compile what the cache lacks, and the loop that
// runs a pass after each burst of pushes and when a failure's back-off is over.
#include "spoke/sprocket.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "spoke/artifact_cache.h"
#include "spoke/compiler.h"
#include "sprocket/compile_order.h"
#include "sprocket/failure_log.h"

namespace spoke {
namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The request GET .../download/{language} builds without query parameters (remote/routes_compile.cc
// ArtifactFor): the version's request with its dependencies' files as targets too, and the
// module's default Go import prefix. Built the same way so that download finds what is stored.
Result<CachedCompileRequest> DownloadRequest(const Store& store, const VersionInfo& version,
                                             const std::string& language) {
  SPOKE_ASSIGN_OR_RETURN(CachedCompileRequest request,
                         RequestForVersion(store, version, {language}, {}));
  IncludeImports(&request);
  return request;
}

// A message on one line: a compile's errors come one per line.
std::string OneLine(std::string message) {
  while (!message.empty() && message.back() == '\n') message.pop_back();
  std::string line;
  for (char c : message) line += c == '\n' ? std::string("; ") : std::string(1, c);
  return line;
}

// Takes <dir>/lock (flock, exclusive, not waiting) and writes this process's pid into it, for the
// message another Sprocket gives. The descriptor, or FailedPrecondition naming the holder.
Result<int> TakeLock(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  const std::string path = dir + "/lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
    close(fd);
    std::string pid = n > 0 ? std::string(holder, static_cast<size_t>(n)) : "?";
    while (!pid.empty() && pid.back() == '\n') pid.pop_back();
    return Status::FailedPrecondition("another sprocket (pid " + pid +
                                      ") is compiling for this store (it holds " + path + ")");
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    close(fd);
    return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

std::vector<std::string> InstalledLanguages() {
  std::vector<std::string> names;
  for (const Language& language : Languages()) {
    if (GeneratorIdentity(language).ok()) names.push_back(language.name);
  }
  return names;
}

Result<std::unique_ptr<Sprocket>> Sprocket::Open(Store& store, SprocketOptions options,
                                                 EventSink on_event) {
  const std::string dir = store.path() + "/sprocket";
  SPOKE_ASSIGN_OR_RETURN(int lock_fd, TakeLock(dir));
  auto failures = FailureLog::Load(dir + "/failures.json");
  if (!failures.ok()) {
    close(lock_fd);
    return failures.status();
  }
  return std::unique_ptr<Sprocket>(
      new Sprocket(store, std::move(options), std::move(on_event), lock_fd, std::move(*failures)));
}

Sprocket::Sprocket(Store& store, SprocketOptions options, EventSink on_event, int lock_fd,
                   std::unique_ptr<FailureLog> failures)
    : store_(store),
      options_(std::move(options)),
      on_event_(std::move(on_event)),
      lock_fd_(lock_fd),
      failures_(std::move(failures)) {}

Sprocket::~Sprocket() { close(lock_fd_); }

void Sprocket::Stop() {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  stop_ = true;
  stop_changed_.notify_all();
}

Result<SprocketPass> Sprocket::CompilePending() {
  SPOKE_ASSIGN_OR_RETURN(auto tags, store_.ListRefs("refs/tags/"));
  std::vector<VersionName> versions;
  for (const auto& tag : tags) {
    VersionName name;
    if (ParseVersionTagRef(tag.name, &name.first, &name.second))
      versions.push_back(std::move(name));
  }
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
  if (pending.empty()) return pass;
  std::map<VersionName, Result<VersionInfo>> read;  // each version read once per pass
  auto version_of = [&](const VersionName& name) -> const Result<VersionInfo>& {
    auto it = read.find(name);
    if (it == read.end()) it = read.emplace(name, store_.GetVersion(name.first, name.second)).first;
    return it->second;
  };
  auto dependencies_of = [&](const VersionName& name) {
    std::vector<VersionName> dependencies;
    const Result<VersionInfo>& version = version_of(name);
    if (version.ok()) {
      for (const auto& pin : version->manifest.dependencies)
        dependencies.emplace_back(pin.module, pin.version);
    }
    return dependencies;
  };
  for (const VersionName& name : DependenciesFirst(pending, dependencies_of)) {
    for (const std::string& language : options_.languages) {
      if (stopping()) return pass;
      if (!done_.count({name, language})) CompileOne(name, version_of(name), language, &pass);
    }
  }
  return pass;
}

void Sprocket::CompileOne(const VersionName& name, const Result<VersionInfo>& version,
                          const std::string& language, SprocketPass* pass) {
  SprocketEvent event;
  event.module = name.first;
  event.version = name.second;
  event.language = language;
  // A version that cannot be read fails like a compile: reported, and retried with back-off.
  Result<CachedCompileRequest> request = version.ok()
                                             ? DownloadRequest(store_, *version, language)
                                             : Result<CachedCompileRequest>(version.status());
  Status failed = request.status();
  if (request.ok()) {
    auto keys = ArtifactKeysFor(*request);
    if (keys.ok()) {
      event.key = keys->at(language).hex;
    } else {
      failed = keys.status();
    }
  }
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
  if (failed.ok()) {
    auto stored = store_.ResolveRef(ArtifactRef(event.key));
    if (stored.ok() && !stored->empty()) {
      done_.insert({name, language});
      pass->cached++;
      // Losing this only means one needless attempt later: the key is then found cached.
      (void)failures_->Clear(name.first, name.second, language);
      return;
    }
    const auto started = std::chrono::steady_clock::now();
    CompileStats stats;
    auto artifacts = CompileWithCache(store_, *request, &stats);
    event.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (artifacts.ok()) {
      done_.insert({name, language});
      event.kind = SprocketEvent::Kind::kCompiled;
      event.files = artifacts->at(language).files.size();
      pass->compiled++;
      if (on_event_) on_event_(event);
      (void)failures_->Clear(name.first, name.second, language);
      return;
    }
    failed = artifacts.status();
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
  const auto poll = std::clamp<std::chrono::milliseconds>(
      options_.delay, std::chrono::milliseconds(100), std::chrono::seconds(1));
  StoreWatch watch(store_, poll);
  SPOKE_ASSIGN_OR_RETURN(std::vector<VersionName> known, watch.Start());
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
    auto fresh = watch.NewVersions();  // an error is retried at the next look
    const auto now = Clock::now();
    if (fresh.ok() && !fresh->empty()) {
      known.insert(known.end(), fresh->begin(), fresh->end());
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
