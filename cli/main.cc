// spoke: the command-line client. Parses flags (both -flag and --flag), dispatches to one command
// from the table below, and turns its outcome into a message and an exit code (exit_code.h: 0 ok,
// 1 failure, 2 usage error).
#include <CLI/CLI.hpp>
#include <deque>

#include <cstdio>

#include "context.h"
#include "flags.h"
#include "program_args.h"
#include "spoke_version.h"

namespace spoke::cli {

void SetupPush(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupPull(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupClone(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupFetch(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupLog(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupVersions(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupModules(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupCompile(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupLock(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupBatchPush(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupValidate(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupLint(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupBreaking(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupCompat(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupHooks(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupSearch(CLI::App*, const GlobalFlags*, CommandRunner*);
void SetupGc(CLI::App*, const GlobalFlags*, CommandRunner*);

namespace {

struct CommandEntry {
  const char* name;
  const char* summary;
  CommandSetup setup;
};

constexpr CommandEntry kCommands[] = {
    {"push", "Create a module version from a directory and send it to the registry", SetupPush},
    {"batch-push", "Push every module of a directory tree, in the order their imports need",
     SetupBatchPush},
    {"pull", "Write a module version's files into a directory (offline when already fetched)",
     SetupPull},
    {"lock", "Resolve dependencies and write spoke.lock, without pushing or pulling", SetupLock},
    {"clone", "Copy a whole registry, or one module, into a local store", SetupClone},
    {"fetch", "Update the local store from the registry", SetupFetch},
    {"log", "Show a module's version history", SetupLog},
    {"versions", "List a module's versions", SetupVersions},
    {"modules", "List the registry's modules", SetupModules},
    {"search", "Find messages, fields, enums, services and files by name or comment", SetupSearch},
    {"compile", "Generate code for a directory or a module version, through the artifact cache",
     SetupCompile},
    {"validate", "Parse and link a directory's .proto files; print every error as file:line:col",
     SetupValidate},
    {"lint", "Check a directory's .proto files against the style rules (spoke.yaml's lint section)",
     SetupLint},
    {"breaking", "Compare a directory against an earlier version and report breaking changes",
     SetupBreaking},
    {"compat", "Show or set a module's compatibility level on the registry", SetupCompat},
    {"hooks", "Install the git pre-commit hook that validates and lints staged .proto files",
     SetupHooks},
    {"gc", "Remove unreferenced objects, stale quarantines and least recently used artifacts",
     SetupGc},
};

// `spoke help [COMMAND]`: the command list, or one command's help, exactly as --help prints them.
void AddHelpCommand(CLI::App* parent, CommandRunner* run) {
  const CLI::App* app = parent;
  auto command = std::make_shared<std::string>();
  CLI::App* help = parent->add_subcommand(
      "help", "Show the command list, or a command's help (spoke help push)");
  help->add_option("command", *command, "The command to explain");
  help->callback([app, command, run] {
    *run = [app, command]() -> CommandOutcome {
      if (command->empty()) {
        // Not app->help(), which would explain the command selected: this one.
        std::fputs(app->get_formatter()
                       ->make_help(app, app->get_name(), CLI::AppFormatMode::Normal)
                       .c_str(),
                   stdout);
        return Status::Ok();
      }
      auto named = [&](const CLI::App* sub) { return sub->get_name() == *command; };
      for (const CLI::App* sub : app->get_subcommands(named)) {
        std::fputs(sub->help(app->get_name()).c_str(), stdout);
        return Status::Ok();
      }
      return Usage(
          Status::InvalidArgument("no command named " + *command + "; spoke help lists them"));
    };
  });
}

int Main(int argc, char** argv) {
  // Named, so that usage lines say "spoke push", not the path spoke-core was started by.
  CLI::App app{"spoke: push, pull and sync Protobuf modules with a Spoke registry", "spoke"};
  // At the top level only: after a command, --version is that command's (push --version v1.0.0).
  app.set_version_flag("--version,--version-info", kVersionLine);
  app.require_subcommand(0, 1);
  app.fallthrough();
  GlobalFlags flags;
  app.add_option(
      "-r,--registry", flags.registry,
      std::string("Registry URL (default: $SPOKE_REGISTRY, else ") + kDefaultRegistry + ")");
  app.add_option("--ca-file", flags.ca_file,
                 "PEM file of the CA that signed an https registry's certificate (default: "
                 "$SPOKE_CA_FILE, else the system's CAs)");
  app.add_flag("--progress", flags.progress,
               "Show transfer progress even when stderr is not a terminal");
  app.add_flag("-q,--quiet", flags.quiet, "No progress output");
  app.footer(
      "Flags may be spelled -flag or --flag. Environment: SPOKE_REGISTRY (registry URL), "
      "SPOKE_TOKEN\n"
      "(sent as a bearer token), SPOKE_CA_FILE (as --ca-file), SPOKE_HOME (local store, default "
      "~/.spoke), SPOKE_EXEC_PATH "
      "(where\n"
      "spoke-core is, default beside spoke, then ../libexec/spoke from it).\n"
      "Exit codes: 0 ok, 1 failure, 2 usage error.");
  CommandRunner run;
  // One runner per command, each filled by its setup; a deque keeps their addresses stable.
  std::deque<CommandRunner> runners;
  for (const auto& command : kCommands) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    sub->fallthrough();
    CommandRunner* runner = &runners.emplace_back();
    command.setup(sub, &flags, runner);
    sub->callback([runner, &run] { run = *runner; });
  }
  AddHelpCommand(&app, &run);
  if (std::optional<int> exit_code = ParseProgramArgs(app, argc, argv)) return *exit_code;
  if (!run) {
    // No command: the list of them, as git does, but a usage error all the same.
    std::fputs(app.help().c_str(), stdout);
    return kExitUsage;
  }
  return ExitWith(run());
}

}  // namespace
}  // namespace spoke::cli

int main(int argc, char** argv) {
  return spoke::cli::GuardedMain("spoke", spoke::cli::Main, argc, argv);
}
