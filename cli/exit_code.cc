// The one mapping from a command's outcome to an exit code, and the message that goes with it.
#include "exit_code.h"

#include <cstdio>
#include <exception>

namespace spoke::cli {

CommandOutcome CommandOutcome::Usage(Status status) {
  CommandOutcome outcome(std::move(status));
  outcome.usage_ = true;
  return outcome;
}

CommandOutcome CommandOutcome::Shown(bool failed) {
  CommandOutcome outcome;
  outcome.shown_failure_ = failed;
  return outcome;
}

CommandOutcome Usage(Status status) { return CommandOutcome::Usage(std::move(status)); }

CommandOutcome UsageIfInvalid(Status status) {
  if (status.code() == Status::Code::kInvalidArgument) return Usage(std::move(status));
  return status;
}

int ExitCodeFor(const CommandOutcome& outcome) {
  if (outcome.ok()) return kExitOk;
  return outcome.usage() ? kExitUsage : kExitFailure;
}

int ExitWith(const CommandOutcome& outcome, const std::string& program) {
  if (!outcome.ok() && !outcome.shown()) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), outcome.status().message().c_str());
    if (outcome.usage()) std::fprintf(stderr, "Run with --help for usage.\n");
  }
  return ExitCodeFor(outcome);
}

int GuardedMain(const char* program, int (*main)(int, char**), int argc, char** argv) {
  try {
    return main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", program, e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: internal error: an exception that is not a std::exception\n",
                 program);
  }
  return kExitFailure;
}

}  // namespace spoke::cli
