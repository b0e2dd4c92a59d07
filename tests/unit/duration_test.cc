// Durations on the command line (cli/duration.h), spelled as the original Spoke's Go flags took
// them: sprocket -delay 10s.
#include "duration.h"

#include <gtest/gtest.h>

namespace spoke::cli {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, ReadsGoSpellings) {
  const std::pair<const char*, int64_t> cases[] = {
      {"10s", 10000},   {"5s", 5000},      {"500ms", 500}, {"1m", 60000},
      {"1m30s", 90000}, {"1.5h", 5400000}, {"0", 0},       {"0s", 0},
      {"2500us", 2},    {"1500000ns", 1},  {".5s", 500},   {"1h0m0.25s", 3600250},
      {"3\xc2\xb5s", 0}};
  for (const auto& [text, expected] : cases) {
    auto parsed = ParseDuration(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().message();
    EXPECT_EQ(*parsed, milliseconds(expected)) << text;
  }
}

TEST(ParseDuration, RefusesWhatGoRefusesWithAnExample) {
  for (const char* text :
       {"", "10", "5x", "-5s", "s", "1..5s", "1s ", " 1s", "1e3s", "1S", "31d", "721h"}) {
    auto parsed = ParseDuration(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument) << text;
    EXPECT_NE(parsed.status().message().find("10s, 500ms or 1m30s"), std::string::npos)
        << parsed.status().message();
  }
}

TEST(ParseDuration, RefusesANumberTooLargeForADoubleInsteadOfThrowing) {
  // 400 digits: std::stod threw std::out_of_range on it, which ended sprocket -delay.
  const std::string text = "1" + std::string(400, '0') + "s";
  auto parsed = ParseDuration(text);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("longer than 30 days"), std::string::npos)
      << parsed.status().message();
}

}  // namespace
}  // namespace spoke::cli
