// Durations on the command line, spelled as Go's time.ParseDuration spells them (the original
// Spoke's flags were Go flags): "10s", "500ms", "1m30s", "1.5h".
#ifndef SPOKE_CLI_DURATION_H_
#define SPOKE_CLI_DURATION_H_

#include <chrono>
#include <string>

#include "spoke/status.h"

namespace spoke::cli {

// One or more <decimal number><unit> with units ns, us (or µs), ms, s, m, h; "0" alone is allowed
// too. Truncated to milliseconds. InvalidArgument, with an example, for anything else: a missing
// unit, a negative duration, one longer than 30 days.
Result<std::chrono::milliseconds> ParseDuration(const std::string& text);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_DURATION_H_
