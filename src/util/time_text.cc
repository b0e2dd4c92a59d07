// RFC 3339 times (spoke/time_text.h).
#include "spoke/time_text.h"

#include <ctime>

namespace spoke {

std::string FormatRfc3339(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace spoke
