// Flag spelling: the original Spoke CLI used Go-style single-dash long flags ("-module user");
// CLI11 wants "--module". NormalizeArgs rewrites the first form into the second so both work.
#ifndef SPOKE_CLI_FLAGS_H_
#define SPOKE_CLI_FLAGS_H_

#include <string>
#include <vector>

namespace spoke::cli {

// Returns argv with every "-name" / "-name=value" (a single dash and two or more characters,
// starting with a letter) turned into "--name" / "--name=value". Arguments after "--" and values
// that merely start with '-' but are not flags (like "-1") are left alone.
std::vector<std::string> NormalizeArgs(int argc, const char* const* argv);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_FLAGS_H_
