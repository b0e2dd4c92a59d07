// Finding programs: spoke's helpers ($SPOKE_EXEC_PATH, the executable's directory, the install's
// libexec/spoke) and generator plugins (PATH).
#include "spoke/exec_path.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

// From the installed bindir to <libexecdir>/spoke; CMakeLists.txt sets it from GNUInstallDirs.
#ifndef SPOKE_BIN_TO_EXEC_DIR
#define SPOKE_BIN_TO_EXEC_DIR "../libexec/spoke"
#endif

namespace spoke {

std::vector<std::string> HelperDirectories() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("SPOKE_EXEC_PATH"); env && *env) dirs.push_back(env);
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(self.parent_path().string());
    dirs.push_back((self.parent_path() / SPOKE_BIN_TO_EXEC_DIR).lexically_normal().string());
  }
  return dirs;
}

std::string FindHelper(const std::string& name, std::string* tried, bool executable) {
  for (const auto& dir : HelperDirectories()) {
    std::string path = dir + "/" + name;
    if (access(path.c_str(), executable ? X_OK : R_OK) == 0) return path;
    if (tried) *tried += (tried->empty() ? "" : ", ") + path;
  }
  return "";
}

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace spoke
