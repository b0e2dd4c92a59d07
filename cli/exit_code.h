// How the outcome of a command becomes the process's exit code and its last words on stderr,
// decided here for spoke, spoke-server and sprocket alike:
//
//   0  ok.
//   2  a usage error: the command line itself is wrong (a flag value or an argument that does not
//      parse or names nothing usable, a combination of flags that is refused), so running it again
//      unchanged cannot succeed.
//   1  any other failure: the work the command line asked for failed (a .proto file that does not
//      parse, a registry that refuses or cannot be reached, a disk that fails), or the command
//      found what it reports as a failure (lint findings, breaking changes, no search hits).
//
// Why "usage" is not a Status code: the same InvalidArgument is a usage error when it is about a
// flag (-version 1.0) and a failure when it is about a file the command read (a .proto file with
// a syntax error); only the step that checked the flag knows which, so that step says so by
// returning Usage(status). The Status inside keeps its code and message either way.
//
// Why no more numbers (git exits 128 on a fatal error, sysexits.h has a dozen): scripts and the
// pre-commit hook test 0, 1 and 2, and what went wrong is in the message, which names the input and
// what to do; a number per Status code would be a second, coarser copy of it.
#ifndef SPOKE_CLI_EXIT_CODE_H_
#define SPOKE_CLI_EXIT_CODE_H_

#include <string>

#include "spoke/status.h"

namespace spoke::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// What a command returns: ok, a failure (any non-ok Status converts), a usage error (Usage()), or
// a failure the command has already shown in its own output (Shown()).
class [[nodiscard]] CommandOutcome {
 public:
  CommandOutcome() = default;    // ok
  CommandOutcome(Status status)  // NOLINT: implicit, so that a command returns a Status as it is
      : status_(std::move(status)) {}

  // The command line is wrong. REQUIRES: !status.ok().
  static CommandOutcome Usage(Status status);
  // Ok when `failed` is false; else a failure the command has printed itself (its findings, its
  // errors as file:line:col, an empty search), after which nothing more is said.
  static CommandOutcome Shown(bool failed);

  bool ok() const { return status_.ok() && !shown_failure_; }
  bool usage() const { return usage_; }
  // Whether the command printed the failure itself, so that ExitWith() prints nothing.
  bool shown() const { return shown_failure_; }
  // Ok for Shown(true): that failure has no message of its own.
  const Status& status() const { return status_; }

 private:
  Status status_;
  bool usage_ = false;
  bool shown_failure_ = false;
};

// Shorthand for CommandOutcome::Usage(status).
CommandOutcome Usage(Status status);
// A usage error when `status` is InvalidArgument (a directory argument that is not a module or a
// tree of them), else a plain failure (a tree that cannot be read): for the calls whose only
// InvalidArgument is about the argument the user gave.
CommandOutcome UsageIfInvalid(Status status);

// The exit code of `outcome`: kExitOk, kExitUsage for a usage error, kExitFailure for any other
// failure. A Status converts: ExitCodeFor(status) is 0 or 1.
int ExitCodeFor(const CommandOutcome& outcome);

// Says what failed on stderr, as "<program>: <message>" (followed, for a usage error, by a line
// pointing to --help; nothing for ok or a failure the command has shown), and returns
// ExitCodeFor(outcome).
int ExitWith(const CommandOutcome& outcome, const std::string& program = "spoke");

// Runs `main` and returns its exit code. An exception that escapes it (a bug, or memory running
// out: the library reports every expected failure as a Status) is said as "<program>: internal
// error: <what>" on stderr and exits kExitFailure, where it would otherwise abort the process.
// Catches only on the calling thread: a thread's own function must not let one escape.
int GuardedMain(const char* program, int (*main)(int, char**), int argc, char** argv);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_EXIT_CODE_H_
