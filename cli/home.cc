// Where the local store lives. Its own file because the `spoke` front end needs it too.
#include <cstdlib>

#include "context.h"

namespace spoke::cli {

std::string LocalStorePath() {
  if (const char* home = std::getenv("SPOKE_HOME"); home && *home) return home;
  const char* user_home = std::getenv("HOME");
  return std::string(user_home && *user_home ? user_home : ".") + "/.spoke";
}

}  // namespace spoke::cli
