// Every public header compiles on its own: CMake generates one translation unit per header under
// include/spoke/ that includes only that header (see CMakeLists.txt), so a header that is not
// self-contained breaks the build. This test checks that each of those units really was compiled
// and linked in, so a header cannot silently drop out of the check.
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

std::set<std::string>& CompiledHeaders() {
  static std::set<std::string> headers;
  return headers;
}

}  // namespace

// Called from each generated unit's static initializer.
bool SpokeRegisterSelfContainedHeader(const char* header) {
  CompiledHeaders().insert(header);
  return true;
}

namespace {

TEST(PublicHeaders, EachOneCompiledOnItsOwn) {
  const std::set<std::string> expected = {
#include "public_headers.inc"
  };
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(CompiledHeaders(), expected);
}

TEST(PublicHeaders, IncludeTheConceptsOfTheApi) {
  const std::set<std::string> expected = {
#include "public_headers.inc"
  };
  for (const char* header : {"spoke/status.h", "spoke/json.h", "spoke/semver.h", "spoke/names.h",
                             "spoke/manifest.h", "spoke/store.h"}) {
    EXPECT_EQ(expected.count(header), 1u) << header << " is not checked";
  }
}

}  // namespace
