// The end-to-end harness: temporary directories, child processes (the `spoke` CLI, `spoke-server`,
// stock git) with their output captured, an HTTP client for the registry, and checks run with
// stock git against a store.
//
// Nothing here sleeps to synchronise: every wait is for a condition (a line appearing on a
// child's output, a child exiting) and has a deadline, so a hang fails the test instead of
// blocking it forever.
#ifndef SPOKE_TESTS_E2E_HARNESS_H_
#define SPOKE_TESTS_E2E_HARNESS_H_

#include <httplib.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "spoke/json.h"
#include "spoke/manifest.h"

namespace spoke::e2e {

// How long any single wait may take before the test fails.
inline constexpr std::chrono::seconds kDeadline{60};

// Extra environment for a child; every SPOKE_* variable of the test's own environment is dropped
// first, so a developer's SPOKE_REGISTRY or SPOKE_TOKEN cannot leak into a test.
using Env = std::vector<std::pair<std::string, std::string>>;

// A fresh directory under $TMPDIR, removed with everything in it when this object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name; nothing is created.
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A child process whose stdout and stderr are collected by a reader thread as they arrive.
// Destroying a Process that still runs kills it (SIGKILL) and reaps it.
class Process {
 public:
  struct Options {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
    Env env;
    std::string cwd;  // empty: the test's working directory
  };

  // nullptr (with a test failure recorded) when the child cannot be started.
  static std::unique_ptr<Process> Start(const Options& options);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal);

  enum class Stream { kStdout, kStderr };
  // Waits until a complete line (ended by '\n') containing `needle` appears on `stream`, the child
  // exits, or the deadline passes. The line (without its '\n') when it appeared, else nullopt.
  std::optional<std::string> WaitForLine(Stream stream, const std::string& needle,
                                         std::chrono::seconds timeout = kDeadline);

  // Waits for the child to exit and returns its exit code (128 + signal number when a signal
  // killed it), or nullopt when the deadline passed first.
  std::optional<int> WaitForExit(std::chrono::seconds timeout = kDeadline);

  std::string Stdout() const;
  std::string Stderr() const;
  // The child's peak resident set size in KiB (wait4's ru_maxrss, which spans an exec), or -1
  // while it runs.
  long PeakRssKib() const;

 private:
  Process() = default;
  void ReadUntilExit(int out_fd, int err_fd);

  pid_t pid_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string stdout_, stderr_;
  bool exited_ = false;
  int exit_code_ = -1;
  long peak_rss_kib_ = -1;
  std::thread reader_;
};

// What a finished command did.
struct CommandResult {
  int exit_code = -1;  // -1 when it did not finish before the deadline (it was then killed)
  std::string out, err;
  long peak_rss_kib = -1;  // Process::PeakRssKib()
  // "exit N\n--- stdout\n...\n--- stderr\n...", for failure messages.
  std::string Describe() const;
};

// Runs a command to completion (or kills it at the deadline).
CommandResult RunCommand(const Process::Options& options, std::chrono::seconds timeout = kDeadline);

// Runs the `spoke` CLI with `args` (argv[0] is added).
CommandResult RunCli(const std::vector<std::string>& args, const Env& env = {},
                     const std::string& cwd = "");

// One user of the CLI: a local store (SPOKE_HOME) and a registry (SPOKE_REGISTRY).
class CliUser {
 public:
  CliUser(std::string home, std::string registry)
      : home_(std::move(home)), registry_(std::move(registry)) {}
  CommandResult Run(const std::vector<std::string>& args, const std::string& cwd = "") const;
  // The same command, started in the background.
  std::unique_ptr<Process> Start(const std::vector<std::string>& args) const;
  const std::string& home() const { return home_; }
  Env env() const { return {{"SPOKE_HOME", home_}, {"SPOKE_REGISTRY", registry_}}; }

 private:
  std::string home_, registry_;
};

// A running spoke-server on 127.0.0.1 and a free port. SIGKILLed and reaped on destruction unless
// it was stopped before.
class ServerProcess {
 public:
  struct Options {
    std::string storage_dir;
    std::vector<std::string> extra_args;  // e.g. {"--max-body-mib", "1"}
    Env env;                              // e.g. {{"SPOKE_TEST_HOLD_AT", "refs-locked"}}
    int port = 0;                         // 0: any free one; else a restart where it was
  };

  // Starts the server and reads its stdout until the "serving" line names the port. nullptr (with
  // a test failure recorded) when it exits or stays silent instead.
  static std::unique_ptr<ServerProcess> Start(const Options& options);

  int port() const { return port_; }
  // http://127.0.0.1:PORT, or https:// for a server started with --tls-cert.
  std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }
  Process& process() { return *process_; }

  // SIGKILL, then waits for the process to be gone.
  void Kill();
  // SIGTERM, then waits for a clean exit (code 0).
  void Stop();

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
  std::string scheme_ = "http";
};

// An HTTP client for the server on 127.0.0.1:`port`, with short connect and I/O timeouts.
std::unique_ptr<httplib::Client> HttpClient(int port);

// Sends `request` as is over a new TCP connection to 127.0.0.1:`port` and reads until the server
// closes it (send "Connection: close"). For requests httplib::Client will not make, such as a POST
// without Content-Length. Returns nullopt, after recording a failure, when the server has not
// closed the connection within `deadline`.
std::optional<std::string> RawHttpExchange(int port, const std::string& request,
                                           std::chrono::seconds deadline);

// Records a failure unless `result` is an HTTP answer with `status` and Spoke's JSON error body
// ({"error": "<message>", "code": "<code name>"}). Returns the body's code ("" when absent) and
// stores its message in `message` when not null.
std::string ExpectJsonError(const httplib::Result& result, int status,
                            std::string* message = nullptr);
// The same for any 4xx status: bad input must never be answered 5xx, nor accepted.
std::string ExpectClientError(const httplib::Result& result, std::string* message = nullptr);

// Runs stock `git -C dir fsck --strict` and records a test failure (with git's output) unless it
// exits 0.
void GitFsck(const std::string& dir);
// Runs stock git with `args` (argv[0] "git" is added).
CommandResult RunGit(const std::vector<std::string>& args);
// Every ref of the repository at `dir` and its target, one "<name> <oid>" per line (stock git's
// for-each-ref), for comparing a store before and after something that must not change it.
std::string RefsOf(const std::string& dir);

// Writes each file under `dir`, creating subdirectories.
void WriteFiles(const std::string& dir, const FileSet& files);
// Every regular file under `dir`, keyed by its '/'-separated relative path.
FileSet ReadFiles(const std::string& dir);

// The JSON a `--json` command printed; records a test failure (and returns an empty object) when
// it exited non-zero or printed something else.
Json JsonOut(const CommandResult& result);

// Proto-looking files whose content is pseudo-random (seeded, so reproducible) and does not
// compress to nothing: `count` files of about `approx_size` bytes, spread over subdirectories.
FileSet MakeProtoFiles(const std::string& package, int count, size_t approx_size, uint32_t seed);

}  // namespace spoke::e2e

#endif  // SPOKE_TESTS_E2E_HARNESS_H_
