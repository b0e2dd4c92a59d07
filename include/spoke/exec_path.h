// Where spoke's helper files live: the programs and modules one binary hands work to (spoke-core,
// spoke-http.so), looked for as git looks for its git-* helpers in GIT_EXEC_PATH.
#ifndef SPOKE_EXEC_PATH_H_
#define SPOKE_EXEC_PATH_H_

#include <string>
#include <vector>

namespace spoke {

// The directories to look in, in order: $SPOKE_EXEC_PATH when set, the running executable's own
// directory (a build tree, or an install that keeps them together), and ../lib/spoke beside it.
std::vector<std::string> HelperDirectories();

// The first `name` in HelperDirectories() that can be read (and, when `executable`, run), or ""
// (then *tried, if given, lists the paths looked at).
std::string FindHelper(const std::string& name, std::string* tried = nullptr,
                       bool executable = false);

// The first executable named `name` on PATH, or "".
std::string FindOnPath(const std::string& name);

}  // namespace spoke

#endif  // SPOKE_EXEC_PATH_H_
