// The compatibility policy's pieces: which release a version is compared with, level names, the
// module record's revisions in a real store, the check a registry runs, and version diffs.
#include <gtest/gtest.h>

#include "spoke/policy.h"
#include "test_support.h"

namespace spoke {
namespace {

using testing::TempDir;

TEST(PreviousReleaseInMajor, IsTheHighestLowerReleaseOfTheSameMajor) {
  std::vector<std::string> existing = {"v1.0.0", "v1.2.0", "v1.10.0", "v1.11.0-rc.1",
                                       "v2.0.0", "v0.9.0", "junk"};
  EXPECT_EQ(PreviousReleaseInMajor(existing, "v1.11.0"), "v1.10.0");
  EXPECT_EQ(PreviousReleaseInMajor(existing, "v1.3.0"), "v1.2.0");
  EXPECT_EQ(PreviousReleaseInMajor(existing, "v1.11.0-rc.2"),
            "v1.10.0");  // pre-releases are checked too
  EXPECT_EQ(PreviousReleaseInMajor(existing, "v1.0.0"), "");
  EXPECT_EQ(PreviousReleaseInMajor(existing, "v2.1.0"), "v2.0.0");
  EXPECT_EQ(PreviousReleaseInMajor(existing, "v3.0.0"), "");  // a new major may break
  EXPECT_EQ(PreviousReleaseInMajor(existing, "v0.9.1"), "v0.9.0");
  EXPECT_EQ(PreviousReleaseInMajor(existing, "not-a-version"), "");
}

TEST(ParseCompatibility, AcceptsLevelsInAnyCaseAndNone) {
  EXPECT_EQ(*ParseCompatibility("wire_json"), "WIRE_JSON");
  EXPECT_EQ(*ParseCompatibility("NONE"), "");
  EXPECT_EQ(*ParseCompatibility(""), "");
  EXPECT_FALSE(ParseCompatibility("BINARY").ok());
}

TEST(CompatibilityName, IsNoneForNoLevelAndReadsBackAsTheSameLevel) {
  EXPECT_EQ(CompatibilityName(""), "NONE");
  EXPECT_EQ(CompatibilityName("WIRE_JSON"), "WIRE_JSON");
  for (const std::string level : {"", "FILE", "PACKAGE", "WIRE_JSON", "WIRE"}) {
    EXPECT_EQ(*ParseCompatibility(CompatibilityName(level)), level);
  }
}

const FileSet kV1 = {
    {"a.proto",
     "syntax = \"proto3\";\npackage a.v1;\nmessage M {\n  int32 x = 1;\n  int32 y = 2;\n}\n"}};
const FileSet kV2 = {
    {"a.proto", "syntax = \"proto3\";\npackage a.v1;\nmessage M {\n  int64 x = 1;\n}\n"}};

class PolicyStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.Sub("store"), true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(PolicyStore, TheRecordKeepsEveryRevisionAndTheLatestWins) {
  ASSERT_TRUE(store_->CreateModule("m", "first", "WIRE").ok());
  EXPECT_EQ(store_->GetModule("m")->compatibility, "WIRE");
  auto changed = store_->SetModuleCompatibility("m", "FILE");
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->compatibility, "FILE");
  EXPECT_EQ(changed->description, "first");
  ASSERT_TRUE(store_->SetModuleCompatibility("m", "").ok());
  EXPECT_EQ(store_->GetModule("m")->compatibility, "");
  auto log = testing::Git(store_->path(), "log --format=%s " + ModuleRecordRef("m"));
  EXPECT_EQ(log.output,
            "Set compatibility of m to none\nSet compatibility of m to FILE\nCreate module m\n");
  EXPECT_TRUE(testing::GitFsckStrict(store_->path()));
  EXPECT_EQ(store_->SetModuleCompatibility("nobody", "FILE").status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(store_->SetModuleCompatibility("m", "wire json").status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(PolicyStore, TheCheckRefusesABreakingVersionOnlyWithinItsMajor) {
  ASSERT_TRUE(store_->CreateModule("m", "", "WIRE_JSON").ok());
  ASSERT_TRUE(store_->PutVersion(testing::MakeRequest("m", "v1.0.0", kV1)).ok());
  store_->SetVersionCheck([this](const Manifest& manifest, const FileSet& files) {
    return CheckPushedVersion(*store_, manifest, files, true);
  });
  auto refused = store_->PutVersion(testing::MakeRequest("m", "v1.1.0", kV2));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(
      refused.status().message().find("a.proto:4:3: Field \"1\" on message \"M\" changed type"),
      std::string::npos)
      << refused.status().message();
  EXPECT_EQ(*store_->ListVersions("m"), std::vector<std::string>{"v1.0.0"});
  EXPECT_TRUE(store_->PutVersion(testing::MakeRequest("m", "v2.0.0", kV2)).ok());
  // Validation still applies when nothing is compared.
  FileSet broken = {{"a.proto", "syntax = \"proto3\";\nmessage M { Nope n = 1; }\n"}};
  auto invalid = store_->PutVersion(testing::MakeRequest("m", "v3.0.0", broken));
  EXPECT_EQ(invalid.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(PolicyStore, DiffListsChangedFilesWithPatchesAndCompareFindsTheBreaks) {
  FileSet v2 = kV2;
  v2["b.proto"] = "syntax = \"proto3\";\n";
  auto one = store_->PutVersion(testing::MakeRequest("m", "v1.0.0", kV1));
  auto two = store_->PutVersion(testing::MakeRequest("m", "v2.0.0", v2));
  ASSERT_TRUE(one.ok() && two.ok());
  auto changes = store_->DiffVersions(one->version, two->version, true);
  ASSERT_TRUE(changes.ok()) << changes.status().ToString();
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].path, "a.proto");
  EXPECT_EQ((*changes)[0].status, "modified");
  EXPECT_NE((*changes)[0].patch.find("+  int64 x = 1;"), std::string::npos) << (*changes)[0].patch;
  EXPECT_EQ((*changes)[1].path, "b.proto");
  EXPECT_EQ((*changes)[1].status, "added");
  auto findings = CompareVersions(*store_, one->version, two->version, BreakingLevel::kWire);
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u) << FormatFindings(*findings);
  EXPECT_EQ((*findings)[0].rule, "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED");
}

}  // namespace
}  // namespace spoke
