// What every CLI command shares: where the local store is, which registry to talk to, progress
// output, and what a command returns (a CommandOutcome, which exit_code.h turns into the message
// and the exit code: 0 ok, 1 failure, 2 usage).
#ifndef SPOKE_CLI_CONTEXT_H_
#define SPOKE_CLI_CONTEXT_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "exit_code.h"
#include "spoke/remote.h"
#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke::cli {

inline constexpr char kDefaultRegistry[] = "http://localhost:8080";
// Set by the `spoke` front end to its own path before it runs spoke-core.
inline constexpr char kFrontEndVariable[] = "SPOKE_FRONT_END";

struct GlobalFlags {
  std::string registry;  // empty: SPOKE_REGISTRY, then kDefaultRegistry
  bool progress = false;
  bool quiet = false;
  std::string ca_file;  // empty: SPOKE_CA_FILE, then the system's CAs
};

// The local store: $SPOKE_HOME, else ~/.spoke.
std::string LocalStorePath();
Result<std::unique_ptr<Store>> OpenLocalStore();
std::string RegistryUrl(const GlobalFlags& flags);
// A client for the registry; SPOKE_TOKEN is sent when set; SPOKE_MAX_FETCH ("500M", "16G"; 0 for
// none) bounds a fetched pack (default RemoteOptions' 4 GiB); progress goes to stderr when it is a
// terminal or --progress was given, unless --quiet. InvalidArgument for a bad URL or
// SPOKE_MAX_FETCH.
Result<std::unique_ptr<RemoteClient>> ConnectRegistry(const GlobalFlags& flags);

// Whether `status` says the registry could not be reached (Unavailable: refused, timed out): the
// one failure after which a command may go on with what the local store holds. Any other error
// (a version the registry does not have, a refusal) is the answer and must not be papered over.
bool RegistryUnreachable(const Status& status);
// Tells the user on stderr that the registry could not be reached and what is done instead:
// "spoke: <status message>\nspoke: <instead>".
void WarnUsingLocalStore(const Status& status, const std::string& instead);

// A command's entry: adds the subcommand's flags to `sub` and sets `*run` to what executes it. The
// runner prints its answer and returns its outcome; main.cc prints the failure and picks the exit
// code from it (exit_code.h), so no command does either.
using CommandRunner = std::function<CommandOutcome()>;
using CommandSetup = void (*)(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_CONTEXT_H_
