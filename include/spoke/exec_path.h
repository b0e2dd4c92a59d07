// Where spoke's helper programs live: spoke-core, which the `spoke` front end hands work to, looked
// for as git looks for its git-* helpers in GIT_EXEC_PATH.
#ifndef SPOKE_EXEC_PATH_H_
#define SPOKE_EXEC_PATH_H_

#include <string>
#include <vector>

namespace spoke {

// The directories to look in, in order: $SPOKE_EXEC_PATH when set, the running executable's own
// directory (a build tree), and the install's exec dir: <libexecdir>/spoke, found from the
// executable as ../libexec/spoke under the default layout (`cmake --install`).
std::vector<std::string> HelperDirectories();

// The first `name` in HelperDirectories() that can be read (and, when `executable`, run), or ""
// (then *tried, if given, lists the paths looked at).
std::string FindHelper(const std::string& name, std::string* tried = nullptr,
                       bool executable = false);

// The first executable named `name` on PATH, or "".
std::string FindOnPath(const std::string& name);

}  // namespace spoke

#endif  // SPOKE_EXEC_PATH_H_
