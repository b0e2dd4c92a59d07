// SemVer: parsing "v"-prefixed semver 2.0 versions, precedence, and picking "latest".
#include "spoke/semver.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace spoke {
namespace {

SemVer MustParse(const std::string& text) {
  auto parsed = SemVer::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
  return parsed.ok() ? *parsed : SemVer();
}

TEST(SemVerParse, AcceptsValidVersions) {
  for (const std::string& text : std::vector<std::string>{
           "v0.0.0", "v1.2.3", "v10.20.30", "v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-0.3.7",
           "v1.0.0-x.7.z.92", "v1.0.0-x-y-z.--", "v1.0.0-rc.1+build.5", "v1.0.0+20130313144700",
           "v1.0.0-beta+exp.sha.5114f85", "v1.0.0+21AF26D3----117B344092BD",
           "v1.2.3----RC-SNAPSHOT.12.9.1--.12+788",
           "v1.0.0+001",  // build metadata may have leading zeros
           "v1.0.0-0A",   // an alphanumeric identifier may start with 0
       }) {
    auto parsed = SemVer::Parse(text);
    EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    if (parsed.ok()) {
      EXPECT_EQ(parsed->text(), text);
    }
  }
}

TEST(SemVerParse, ExposesItsParts) {
  SemVer v = MustParse("v12.34.56-rc.1+build.7");
  EXPECT_EQ(v.major(), 12u);
  EXPECT_EQ(v.minor(), 34u);
  EXPECT_EQ(v.patch(), 56u);
  EXPECT_TRUE(v.is_prerelease());
  EXPECT_EQ(v.text(), "v12.34.56-rc.1+build.7");
  EXPECT_FALSE(MustParse("v1.2.3+build.7").is_prerelease());
}

TEST(SemVerParse, RefusesAVersionWithoutTheVPrefix) {
  for (const std::string& text :
       std::vector<std::string>{"1.2.3", "V1.2.3", "version1.2.3", " v1.2.3", ""}) {
    auto parsed = SemVer::Parse(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument);
  }
}

TEST(SemVerParse, RefusesLeadingZeros) {
  for (const std::string& text : std::vector<std::string>{"v01.2.3", "v1.02.3", "v1.2.03",
                                                          "v00.0.0", "v1.0.0-01", "v1.0.0-rc.01"}) {
    EXPECT_FALSE(SemVer::Parse(text).ok()) << text;
  }
}

TEST(SemVerParse, RefusesEmptyIdentifiers) {
  for (const std::string& text :
       std::vector<std::string>{"v1.2.3-", "v1.2.3-rc.", "v1.2.3-.rc", "v1.2.3-rc..1", "v1.2.3+",
                                "v1.2.3+b..c", "v1.2.3+.b", "v1.2.3-+b", "v.1.2", "v1..3"}) {
    EXPECT_FALSE(SemVer::Parse(text).ok()) << text;
  }
}

TEST(SemVerParse, RefusesMalformedCoresAndCharacters) {
  for (const std::string& text : std::vector<std::string>{
           "v", "v1", "v1.2", "v1.2.3.4", "va.b.c", "v1.2.3-rc_1", "v1.2.3+b_1", "v1.2.3 ",
           "v1.2.-3", "v-1.2.3", "v1.2.3-r\xC3\xA9", "v1.2.3+a+b", "v1.2.x", "v+1.2.3"}) {
    EXPECT_FALSE(SemVer::Parse(text).ok()) << text;
  }
}

TEST(SemVerParse, ErrorMessagesShowTheExpectedForm) {
  auto parsed = SemVer::Parse("1.2.3");
  ASSERT_FALSE(parsed.ok());
  const std::string& message = parsed.status().message();
  EXPECT_NE(message.find("\"1.2.3\""), std::string::npos) << message;
  EXPECT_NE(message.find("v1.2.3"), std::string::npos) << message;
}

TEST(SemVerCompare, FollowsTheSemverOrgPrecedenceExample) {
  // https://semver.org/#spec-item-11, with Spoke's "v" prefix, plus the core-version example.
  const std::vector<std::string> ascending = {
      "v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta",
      "v1.0.0-beta",  "v1.0.0-beta.2",  "v1.0.0-beta.11",
      "v1.0.0-rc.1",  "v1.0.0",         "v2.0.0",
      "v2.1.0",       "v2.1.1",
  };
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t j = 0; j < ascending.size(); ++j) {
      SemVer a = MustParse(ascending[i]), b = MustParse(ascending[j]);
      int c = a.Compare(b);
      if (i < j) {
        EXPECT_LT(c, 0) << ascending[i] << " should be below " << ascending[j];
        EXPECT_TRUE(a < b);
      } else if (i > j) {
        EXPECT_GT(c, 0) << ascending[i] << " should be above " << ascending[j];
        EXPECT_FALSE(a < b);
      } else {
        EXPECT_EQ(c, 0) << ascending[i];
      }
    }
  }
}

TEST(SemVerCompare, ComparesCoreNumbersNumericallyNotAsText) {
  EXPECT_LT(MustParse("v1.9.0").Compare(MustParse("v1.10.0")), 0);
  EXPECT_LT(MustParse("v9.0.0").Compare(MustParse("v10.0.0")), 0);
  EXPECT_LT(MustParse("v0.0.9").Compare(MustParse("v0.0.10")), 0);
}

TEST(SemVerCompare, NumericIdentifiersRankBelowAlphanumericOnes) {
  EXPECT_LT(MustParse("v1.0.0-1").Compare(MustParse("v1.0.0-a")), 0);
  EXPECT_LT(MustParse("v1.0.0-999").Compare(MustParse("v1.0.0-0a")), 0);
  EXPECT_LT(MustParse("v1.0.0-2").Compare(MustParse("v1.0.0-10")), 0);
  // Alphanumeric identifiers compare in ASCII order: uppercase first.
  EXPECT_LT(MustParse("v1.0.0-RC").Compare(MustParse("v1.0.0-rc")), 0);
}

TEST(SemVerCompare, IgnoresBuildMetadata) {
  EXPECT_EQ(MustParse("v1.0.0+a").Compare(MustParse("v1.0.0+b")), 0);
  EXPECT_EQ(MustParse("v1.0.0").Compare(MustParse("v1.0.0+b")), 0);
  EXPECT_EQ(MustParse("v1.0.0-rc.1+x").Compare(MustParse("v1.0.0-rc.1")), 0);
  EXPECT_LT(MustParse("v1.0.0-rc.1+zzz").Compare(MustParse("v1.0.0+aaa")), 0);
}

TEST(HighestRelease, PicksTheHighestReleaseAndSkipsPreReleases) {
  EXPECT_EQ(HighestRelease({"v1.0.0", "v2.0.0-rc.1", "v1.10.0", "v1.9.0", "v3.0.0-alpha"}),
            std::optional<std::string>("v1.10.0"));
}

TEST(HighestRelease, SkipsUnparsableNames) {
  EXPECT_EQ(HighestRelease({"garbage", "v1.0.0", "9.9.9", "v01.0.0"}),
            std::optional<std::string>("v1.0.0"));
}

TEST(HighestRelease, IsNothingWhenThereAreOnlyPreReleasesOrNothing) {
  EXPECT_EQ(HighestRelease({"v1.0.0-rc.1", "v2.0.0-beta"}), std::nullopt);
  EXPECT_EQ(HighestRelease({}), std::nullopt);
  EXPECT_EQ(HighestRelease({"latest", "main"}), std::nullopt);
}

TEST(HighestRelease, BreaksBuildMetadataTiesByTextWhateverTheInputOrder) {
  EXPECT_EQ(HighestRelease({"v1.0.0+b", "v1.0.0+a"}), std::optional<std::string>("v1.0.0+b"));
  EXPECT_EQ(HighestRelease({"v1.0.0+a", "v1.0.0+b"}), std::optional<std::string>("v1.0.0+b"));
}

TEST(SortVersions, SortsByPrecedenceWithUnparsableNamesLast) {
  std::vector<std::string> versions = {"v1.10.0", "zzz", "v1.0.0",         "v1.0.0-rc.1",  "v0.1.0",
                                       "v1.9.0",  "abc", "v1.0.0-beta.11", "v1.0.0-beta.2"};
  SortVersions(&versions);
  EXPECT_EQ(versions,
            (std::vector<std::string>{"v0.1.0", "v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0-rc.1",
                                      "v1.0.0", "v1.9.0", "v1.10.0", "abc", "zzz"}));
}

TEST(SortVersions, OrdersEqualPrecedenceByText) {
  std::vector<std::string> versions = {"v1.0.0+c", "v1.0.0", "v1.0.0+a"};
  SortVersions(&versions);
  EXPECT_EQ(versions, (std::vector<std::string>{"v1.0.0", "v1.0.0+a", "v1.0.0+c"}));
}

TEST(SortVersions, LeavesAnEmptyListEmpty) {
  std::vector<std::string> versions;
  SortVersions(&versions);
  EXPECT_TRUE(versions.empty());
}

}  // namespace
}  // namespace spoke
