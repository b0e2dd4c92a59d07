// Go-style durations: a sum of decimal numbers each followed by a unit, computed in nanoseconds
// as Go does, so "1.5s" and "1s500ms" are the same.
#include "duration.h"

#include <cctype>
#include <charconv>
#include <utility>

namespace spoke::cli {
namespace {

constexpr double kMaxNanoseconds = 30.0 * 24 * 3600 * 1e9;

// The unit at the start of `rest` and its length in nanoseconds; longest spellings first, so "ms"
// is not read as "m".
bool ReadUnit(const std::string& text, size_t* pos, double* nanoseconds) {
  static const std::pair<const char*, double> kUnits[] = {
      {"ns", 1},  {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
      {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  for (const auto& [name, length] : kUnits) {
    const std::string unit = name;
    if (text.compare(*pos, unit.size(), unit) == 0) {
      *pos += unit.size();
      *nanoseconds = length;
      return true;
    }
  }
  return false;
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  auto invalid = [&text](const std::string& why) {
    return Status::InvalidArgument("invalid duration \"" + text + "\": " + why +
                                   " (write it like 10s, 500ms or 1m30s)");
  };
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return invalid("empty");
  double total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    while (pos < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.'))
      ++pos;
    const std::string number = text.substr(start, pos - start);
    if (number.empty() || number == "." || number.find('.') != number.rfind('.')) {
      return invalid(text[start] == '-' ? "negative"
                                        : "expected a number at \"" + text.substr(start) + "\"");
    }
    double unit = 0;
    if (!ReadUnit(text, &pos, &unit)) return invalid("missing or unknown unit after " + number);
    // from_chars, not std::stod, which throws on a number too large for a double.
    double value = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error == std::errc::result_out_of_range) return invalid("longer than 30 days");
    if (error != std::errc() || end != number.data() + number.size())
      return invalid("expected a number at \"" + text.substr(start) + "\"");
    total += value * unit;
    if (total > kMaxNanoseconds) return invalid("longer than 30 days");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(total / 1e6));
}

}  // namespace spoke::cli
