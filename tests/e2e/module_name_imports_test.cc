// The original Spoke's import rule: `import "common/types.proto"` is the file types.proto of
// module common. The dependency's pin records that it is mounted under its name, and every step
// that builds the closure (push's resolution, the registry's compile check, lock) honours it.
#include <gtest/gtest.h>

#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

const FileSet kCommon = {
    {"types.proto",
     "syntax = \"proto3\";\npackage common;\n\nmessage UUID {\n  string value = 1;\n}\n"
     "message Timestamp {\n  int64 unix = 1;\n}\n"}};

const FileSet kOrder = {
    {"order.proto",
     "syntax = \"proto3\";\npackage order;\n\nimport \"common/types.proto\";\n\n"
     "message Order {\n  common.UUID id = 1;\n  common.Timestamp created_at = 2;\n}\n"}};

class ModuleNameImports : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    WriteFiles(work_.Sub("proto/common"), kCommon);
    WriteFiles(work_.Sub("proto/order"), kOrder);
    user_ = std::make_unique<CliUser>(work_.Sub("home"), server_->url());
    CommandResult common =
        user_->Run({"push", "-module", "common", "-version", "v1.0.0", "-dir", "./proto/common"}, work_.path());
    ASSERT_EQ(common.exit_code, 0) << common.Describe();
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<CliUser> user_;
};

TEST_F(ModuleNameImports, ADeclaredDependencyIsMountedUnderItsName) {
  CommandResult push = user_->Run({"push", "-module", "order-service", "-version", "v1.0.0", "-dir", "./proto/order",
                                   "-dep", "common@v1.0.0", "--json"},
                                  work_.path());
  ASSERT_EQ(push.exit_code, 0) << push.Describe();
  auto out = Json::Parse(push.out);
  ASSERT_TRUE(out.ok()) << push.out;
  const Json* resolved = out->Get("resolved");
  ASSERT_TRUE(resolved && resolved->is_array() && resolved->as_array().size() == 1) << push.out;
  EXPECT_EQ(resolved->as_array()[0].GetString("import"), "common/types.proto");
  EXPECT_EQ(resolved->as_array()[0].GetString("module"), "common");
  GitFsck(work_.Sub("storage"));
}

TEST_F(ModuleNameImports, AnUndeclaredOneIsFoundThroughTheIndexAndLocked) {
  CommandResult push =
      user_->Run({"push", "-module", "order", "-version", "v1.0.0", "-dir", "./proto/order"}, work_.path());
  ASSERT_EQ(push.exit_code, 0) << push.Describe();
  EXPECT_NE(push.out.find("resolved common/types.proto -> common@v1.0.0 (registry index)"), std::string::npos)
      << push.out;
  // Another user locks the order module's directory: the pin is mounted.
  CliUser other(work_.Sub("other-home"), server_->url());
  CommandResult lock = other.Run({"lock", "-module", "order", "-dir", "./proto/order"}, work_.path());
  ASSERT_EQ(lock.exit_code, 0) << lock.Describe();
  auto text = ReadFiles(work_.Sub("proto/order"));
  ASSERT_TRUE(text.count("spoke.lock"));
  auto parsed = Json::Parse(text.at("spoke.lock"));
  ASSERT_TRUE(parsed.ok());
  const Json* pins = parsed->Get("pins");
  ASSERT_TRUE(pins && pins->Get("common")) << text.at("spoke.lock");
  EXPECT_EQ(pins->Get("common")->GetString("mount"), "common") << text.at("spoke.lock");
}

TEST_F(ModuleNameImports, TheSameFilesOnOtherPinsAreAnotherDigest) {
  FileSet common2 = kCommon;
  common2["types.proto"] += "message Money {\n  int64 units = 1;\n}\n";
  WriteFiles(work_.Sub("proto/common2"), common2);
  CommandResult c2 =
      user_->Run({"push", "-module", "common", "-version", "v1.1.0", "-dir", "./proto/common2"}, work_.path());
  ASSERT_EQ(c2.exit_code, 0) << c2.Describe();
  CommandResult a = user_->Run({"push", "-module", "order", "-version", "v1.0.0", "-dir", "./proto/order", "-dep",
                                "common@v1.0.0", "--json"},
                               work_.path());
  CommandResult b = user_->Run({"push", "-module", "order", "-version", "v1.0.1", "-dir", "./proto/order", "-dep",
                                "common@v1.1.0", "--json"},
                               work_.path());
  ASSERT_EQ(a.exit_code, 0) << a.Describe();
  ASSERT_EQ(b.exit_code, 0) << b.Describe();
  auto ja = Json::Parse(a.out), jb = Json::Parse(b.out);
  ASSERT_TRUE(ja.ok() && jb.ok());
  EXPECT_NE(ja->GetString("digest"), jb->GetString("digest"));
  // Pushing v1.0.0 again on the other pin is a different content: refused.
  CommandResult again = user_->Run({"push", "-module", "order", "-version", "v1.0.0", "-dir", "./proto/order", "-dep",
                                    "common@v1.1.0"},
                                   work_.path());
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_NE(again.err.find("different content"), std::string::npos) << again.Describe();
}

}  // namespace
}  // namespace spoke::e2e
