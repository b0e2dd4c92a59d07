// Ref naming (spoke/refs.h): every ref a store holds is built and split by one set of functions.
// (The version tag and module branch round trips are in store_test.cc.)
#include "spoke/refs.h"

#include <gtest/gtest.h>

#include <string>

namespace spoke {
namespace {

const std::string kKey(64, 'a');

TEST(RefNames, RecordAndArtifactRefsFollowTheDocumentedLayout) {
  EXPECT_EQ(ModuleRecordRef("a/b"), "refs/meta/a/b/_record");
  EXPECT_EQ(ModuleTagRefsPrefix("a/b"), "refs/tags/a/b/");
  EXPECT_EQ(ArtifactRef("0123" + kKey.substr(4)), "refs/artifacts/01/0123" + kKey.substr(4));
}

TEST(RefNames, EveryBuiltRefParsesBackToItsParts) {
  std::string module, version, key;
  ASSERT_TRUE(ParseVersionTagRef(VersionTagRef("org/x-y", "v2.1.0+build.7"), &module, &version));
  EXPECT_EQ(module, "org/x-y");
  EXPECT_EQ(version, "v2.1.0+build.7");
  ASSERT_TRUE(ParseModuleBranchRef(ModuleBranchRef("org/x-y"), &module));
  EXPECT_EQ(module, "org/x-y");
  ASSERT_TRUE(ParseArtifactRef(ArtifactRef(kKey), &key));
  EXPECT_EQ(key, kKey);
}

TEST(RefNames, ARefOfAnotherKindParsesAsNoneAndLeavesTheOutputsAlone) {
  std::string module = "unchanged", version = "unchanged", key = "unchanged";
  for (const std::string& ref :
       {ModuleRecordRef("a"), std::string(kStoreHeadRef), VersionTagRef("a", "v1.0.0"),
        ModuleBranchRef("a"), ArtifactRef(kKey)}) {
    int kinds = ParseVersionTagRef(ref, &module, &version) + ParseModuleBranchRef(ref, &module) +
                ParseArtifactRef(ref, &key);
    EXPECT_LE(kinds, 1) << ref;
  }
  module = version = key = "unchanged";
  EXPECT_FALSE(ParseVersionTagRef(ModuleRecordRef("a"), &module, &version));
  EXPECT_FALSE(ParseModuleBranchRef(kStoreHeadRef, &module));
  EXPECT_FALSE(ParseArtifactRef(VersionTagRef("a", "v1.0.0"), &key));
  EXPECT_EQ(module, "unchanged");
  EXPECT_EQ(version, "unchanged");
  EXPECT_EQ(key, "unchanged");
}

TEST(RefNames, ArtifactRefsNeedAFullLowercaseKeyUnderItsOwnFanOutDirectory) {
  std::string key;
  EXPECT_FALSE(ParseArtifactRef("refs/artifacts/bb/" + kKey, &key));  // wrong fan-out
  EXPECT_FALSE(ParseArtifactRef("refs/artifacts/aa/" + kKey.substr(1), &key));
  EXPECT_FALSE(ParseArtifactRef("refs/artifacts/AA/" + std::string(64, 'A'), &key));
  EXPECT_FALSE(ParseArtifactRef("refs/artifacts/gg/" + std::string(64, 'g'), &key));
  EXPECT_TRUE(key.empty());
}

TEST(ObjectIdHex, FortyLowercaseHexDigitsAreAnObjectIdAndNothingElseIs) {
  EXPECT_TRUE(CheckObjectIdHex(std::string(40, '0')).ok());
  EXPECT_TRUE(CheckObjectIdHex("0123456789abcdef0123456789abcdef01234567").ok());
  for (const std::string& bad : {std::string(), std::string(39, 'a'), std::string(41, 'a'),
                                 std::string(40, 'g'), std::string(39, 'a') + " "}) {
    Status s = CheckObjectIdHex(bad);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("not an object id"), std::string::npos) << s.message();
  }
  Status upper = CheckObjectIdHex(std::string(40, 'A'));
  EXPECT_EQ(upper.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(upper.message().find("lowercase"), std::string::npos) << upper.message();
}

}  // namespace
}  // namespace spoke
