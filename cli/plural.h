// Counts in messages: "1 file", "2 files", "0 files".
#ifndef SPOKE_CLI_PLURAL_H_
#define SPOKE_CLI_PLURAL_H_

#include <cstddef>
#include <string>

namespace spoke::cli {

// `count` and `noun`, with an "s" unless the count is one. For nouns whose plural is regular.
inline std::string Plural(size_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

}  // namespace spoke::cli

#endif  // SPOKE_CLI_PLURAL_H_
