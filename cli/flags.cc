// Rewrites Go-style single-dash long flags into CLI11's double-dash form.
#include "flags.h"

#include <cctype>

namespace spoke::cli {

std::vector<std::string> NormalizeArgs(int argc, const char* const* argv) {
  std::vector<std::string> out;
  bool rest_verbatim = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i == 0 || rest_verbatim) {
      out.push_back(arg);
      continue;
    }
    if (arg == "--") {
      rest_verbatim = true;
      out.push_back(arg);
      continue;
    }
    if (arg.size() > 2 && arg[0] == '-' && arg[1] != '-' &&
        std::isalpha(static_cast<unsigned char>(arg[1])) &&
        (std::isalpha(static_cast<unsigned char>(arg[2])) || arg[2] == '-')) {
      out.push_back("-" + arg);
      continue;
    }
    out.push_back(arg);
  }
  return out;
}

}  // namespace spoke::cli
