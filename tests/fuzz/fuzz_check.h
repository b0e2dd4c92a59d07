// What the fuzz targets of tests/fuzz/ share: a property check that libFuzzer records as a crash.
//
// A target does more than call a parser and wait for a sanitizer: it asserts what the parser
// promises (what parses serializes and parses back equal, an error response is never ok). A broken
// promise aborts, so libFuzzer keeps the input as a reproducer exactly as it would for a crash.
#ifndef SPOKE_TESTS_FUZZ_FUZZ_CHECK_H_
#define SPOKE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace spoke::fuzz {

// Prints `what` and `detail` to stderr and aborts when `holds` is false.
inline void Check(bool holds, const char* what, const std::string& detail = "") {
  if (holds) return;
  std::fprintf(stderr, "fuzz property broken: %s\n%s\n", what, detail.c_str());
  std::abort();
}

inline std::string AsString(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace spoke::fuzz

#endif  // SPOKE_TESTS_FUZZ_FUZZ_CHECK_H_
