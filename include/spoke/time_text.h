// Times as Spoke writes them for people and for JSON: RFC 3339 in UTC, to the second.
#ifndef SPOKE_TIME_TEXT_H_
#define SPOKE_TIME_TEXT_H_

#include <cstdint>
#include <string>

namespace spoke {

// Seconds since the epoch as "2026-11-25T03:23:39Z".
std::string FormatRfc3339(int64_t seconds);

}  // namespace spoke

#endif  // SPOKE_TIME_TEXT_H_
