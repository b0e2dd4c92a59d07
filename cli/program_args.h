// The command line of a single-command program (spoke-server, sprocket), parsed as the spoke CLI
// parses its own: -flag and --flag both work, --help and --version exit 0, a usage error exits 2.
#ifndef SPOKE_CLI_PROGRAM_ARGS_H_
#define SPOKE_CLI_PROGRAM_ARGS_H_

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "exit_code.h"
#include "flags.h"

namespace spoke::cli {

// nullopt when `argv` parsed into `app`; otherwise the exit code, after CLI11 printed the help,
// the version or the error.
inline std::optional<int> ParseProgramArgs(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> args = NormalizeArgs(argc, argv);
  std::vector<const char*> raw;
  for (const auto& a : args) raw.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(raw.size()), raw.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return std::nullopt;
}

}  // namespace spoke::cli

#endif  // SPOKE_CLI_PROGRAM_ARGS_H_
