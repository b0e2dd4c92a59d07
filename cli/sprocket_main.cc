// sprocket: the background compiler (spoke/sprocket.h), on a store (-storage-dir) or against a
// running registry (-registry). Flags in the original Spoke's spelling (-storage-dir, -delay) and
// the double-dash one; SIGINT/SIGTERM stop it cleanly after the compile in progress.
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>

#include "duration.h"
#include "exit_code.h"
#include "program_args.h"
#include "spoke/compiler.h"
#include "spoke/remote.h"
#include "spoke/sprocket.h"
#include "spoke/store.h"
#include "spoke_version.h"

namespace {

std::string Join(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ",") + name;
  return joined;
}

std::string Seconds(int64_t seconds) {
  if (seconds < 120) return std::to_string(seconds) + " s";
  if (seconds < 7200) return std::to_string(seconds / 60) + " min";
  return std::to_string(seconds / 3600) + " h";
}

// One line per event: a compile on stdout (the line a watcher waits for), a failure on stderr.
void Print(const spoke::SprocketEvent& event, bool print_deferred) {
  using Kind = spoke::SprocketEvent::Kind;
  const std::string what = event.module + "@" + event.version + " " + event.language;
  const int64_t wait = std::max<int64_t>(0, event.next_attempt - std::time(nullptr));
  switch (event.kind) {
    case Kind::kCompiled:
      std::printf("compiled %s (%zu file%s, %lld ms)\n", what.c_str(), event.files,
                  event.files == 1 ? "" : "s", static_cast<long long>(event.took.count()));
      std::fflush(stdout);
      break;
    case Kind::kFailed:
      std::fprintf(stderr, "sprocket: cannot compile %s (attempt %d, next in %s): %s\n",
                   what.c_str(), event.attempts, Seconds(wait).c_str(), event.message.c_str());
      break;
    case Kind::kDeferred:
      if (!print_deferred) break;
      std::fprintf(stderr, "sprocket: not retrying %s yet (failed %d time%s, next in %s): %s\n",
                   what.c_str(), event.attempts, event.attempts == 1 ? "" : "s",
                   Seconds(wait).c_str(), event.message.c_str());
      break;
  }
}

void PrintPass(const spoke::SprocketPass& pass) {
  std::printf("sprocket: pass done: %d compiled, %d failed, %d cached, %d waiting to retry\n",
              pass.compiled, pass.failed, pass.cached, pass.deferred);
  std::fflush(stdout);
}

// Prints a failure as "sprocket: <message>" and returns the exit code (cli/exit_code.h).
int Exit(const spoke::cli::CommandOutcome& outcome) {
  return spoke::cli::ExitWith(outcome, "sprocket");
}

int SprocketMain(int argc, char** argv) {
  CLI::App app{
      "sprocket: compiles every version of a Spoke registry for the configured languages as soon "
      "as it is pushed, so downloads of generated code are cache hits"};
  std::string storage_dir, registry_url, delay_text = "10s", languages_text;
  bool once = false, no_fsync = false;
  app.set_version_flag("--version", spoke::kVersionLine);
  auto* storage_flag = app.add_option("-s,--storage-dir", storage_dir,
                                      "The store to watch and compile into: the registry's "
                                      "-storage-dir (a bare git repository, created if absent)");
  std::string ca_file;
  app.add_option("--ca-file", ca_file,
                 "PEM file of the CA that signed an https -registry's certificate (default: "
                 "$SPOKE_CA_FILE, else the system's CAs)");
  app.add_option("-r,--registry", registry_url,
                 "Instead of a store, a running registry (http://host:port) to watch and ask to "
                 "compile (POST .../compile/{lang}); the token, if it needs one, in $SPOKE_TOKEN")
      ->excludes(storage_flag);
  app.add_option(
         "-d,--delay", delay_text,
         "How long to wait after the last push of a burst before compiling (10s, 500ms, 1m); what "
         "is pending at start-up is compiled at once")
      ->capture_default_str();
  app.add_option(
      "-l,--languages", languages_text,
      "Comma-separated languages to compile, or all (the default): every one whose generator is "
      "built in or whose plugin is on PATH");
  app.add_flag(
      "--once", once,
      "Compile everything pending and exit (for cron and tests); exit 1 if a compile failed");
  app.add_flag(
      "--no-fsync", no_fsync,
      "Do not sync writes to disk: a power loss can lose compiled artifacts (they are compiled "
      "again). For tests and benches only");
  app.footer(
      "One of -storage-dir and -registry is required. Prints one line per compiled version and "
      "language on stdout, one per failure on stderr. A failed compile is retried after a back-off "
      "(doubling up to an hour), recorded in <storage-dir>/sprocket/failures.json. Flags may be "
      "spelled -flag or --flag. Exit codes: 0 ok, 1 failure, 2 usage error.");
  if (auto exit_code = spoke::cli::ParseProgramArgs(app, argc, argv)) return *exit_code;
  if (storage_dir.empty() == registry_url.empty()) {
    return Exit(spoke::cli::Usage(
        spoke::Status::InvalidArgument("give -storage-dir DIR or -registry URL")));
  }
  spoke::SprocketOptions options;
  auto delay = spoke::cli::ParseDuration(delay_text);
  if (!delay.ok()) return Exit(spoke::cli::Usage(delay.status().WithContext("-delay")));
  options.delay = *delay;
  if (languages_text.empty()) {
    options.languages = spoke::InstalledLanguages();
  } else {
    auto languages = spoke::LanguagesFromFlag(languages_text);
    if (!languages.ok())
      return Exit(spoke::cli::Usage(languages.status().WithContext("-languages")));
    options.languages = *languages;
  }

  // The signals are taken by a thread of their own (sigwait), which may then lock and notify as a
  // handler may not. Blocked before any thread starts, so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (no_fsync) spoke::SetSyncWrites(false);
  bool failed = false;
  auto on_event = [&](const spoke::SprocketEvent& event) {
    failed = failed || event.kind == spoke::SprocketEvent::Kind::kFailed;
    Print(event, once);
  };
  std::unique_ptr<spoke::Store> store;
  spoke::Result<std::unique_ptr<spoke::Sprocket>> sprocket = spoke::Status::Internal("unset");
  if (registry_url.empty()) {
    auto opened = spoke::Store::Open(storage_dir, /*create=*/true);
    if (!opened.ok()) return Exit(opened.status());
    store = std::move(*opened);
    sprocket = spoke::Sprocket::Open(*store, options, on_event);
  } else {
    spoke::RemoteOptions registry;
    registry.url = registry_url;
    if (const char* token = std::getenv("SPOKE_TOKEN"); token && *token) registry.token = token;
    registry.ca_file = ca_file;
    if (const char* ca = std::getenv("SPOKE_CA_FILE"); ca_file.empty() && ca && *ca)
      registry.ca_file = ca;
    sprocket = spoke::Sprocket::OpenRegistry(registry, options, on_event);
  }
  if (!sprocket.ok()) return Exit(sprocket.status());
  std::thread signal_waiter([&stop_signals, &sprocket] {
    int received = 0;
    sigwait(&stop_signals, &received);
    (*sprocket)->Stop();
  });
  std::printf("sprocket: compiling %s for %s, %lld ms after the last push\n",
              Join(options.languages).c_str(), (*sprocket)->Describe().c_str(),
              static_cast<long long>(options.delay.count()));
  std::fflush(stdout);
  spoke::Status status = spoke::Status::Ok();
  if (once) {
    auto pass = (*sprocket)->CompilePending();
    if (pass.ok()) PrintPass(*pass);
    status = pass.status();
  } else {
    status = (*sprocket)->Run(PrintPass);
  }
  // Wakes the signal thread if no signal came, so it can be joined.
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  if (!status.ok()) return Exit(status);
  // Each failed compile has its line on stderr already.
  return Exit(spoke::cli::CommandOutcome::Shown(once && failed));
}

}  // namespace

int main(int argc, char** argv) {
  return spoke::cli::GuardedMain("sprocket", SprocketMain, argc, argv);
}
