// The original Spoke's import rule: `import "common/types.proto"` is the file types.proto of
// module common. The dependency's pin records that it is mounted under its name, and every step
// that builds the closure (push's resolution, the registry's compile check, lock) honours it.
#include <gtest/gtest.h>

#include "e2e_util.h"
#include "harness.h"
#include "original_modules.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

const FileSet& kCommon = kOriginalCommon;

const FileSet& kOrder = kOriginalOrder;

class ModuleNameImports : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    WriteFiles(work_.Sub("proto/common"), kCommon);
    WriteFiles(work_.Sub("proto/order"), kOrder);
    user_ = std::make_unique<CliUser>(work_.Sub("home"), server_->url());
    CommandResult common =
        user_->Run({"push", "-module", "common", "-version", "v1.0.0", "-dir", "./proto/common"},
                   work_.path());
    ASSERT_EQ(common.exit_code, 0) << common.Describe();
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<CliUser> user_;
};

TEST_F(ModuleNameImports, ADeclaredDependencyIsMountedUnderItsName) {
  CommandResult push = user_->Run({"push", "-module", "order-service", "-version", "v1.0.0", "-dir",
                                   "./proto/order", "-dep", "common@v1.0.0", "--json"},
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
  CommandResult push = user_->Run(
      {"push", "-module", "order", "-version", "v1.0.0", "-dir", "./proto/order"}, work_.path());
  ASSERT_EQ(push.exit_code, 0) << push.Describe();
  EXPECT_NE(push.out.find("resolved common/types.proto -> common@v1.0.0 (registry index)"),
            std::string::npos)
      << push.out;
  // Another user locks the order module's directory: the pin is mounted.
  CliUser other(work_.Sub("other-home"), server_->url());
  CommandResult lock =
      other.Run({"lock", "-module", "order", "-dir", "./proto/order"}, work_.path());
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
  CommandResult c2 = user_->Run(
      {"push", "-module", "common", "-version", "v1.1.0", "-dir", "./proto/common2"}, work_.path());
  ASSERT_EQ(c2.exit_code, 0) << c2.Describe();
  CommandResult a = user_->Run({"push", "-module", "order", "-version", "v1.0.0", "-dir",
                                "./proto/order", "-dep", "common@v1.0.0", "--json"},
                               work_.path());
  CommandResult b = user_->Run({"push", "-module", "order", "-version", "v1.0.1", "-dir",
                                "./proto/order", "-dep", "common@v1.1.0", "--json"},
                               work_.path());
  ASSERT_EQ(a.exit_code, 0) << a.Describe();
  ASSERT_EQ(b.exit_code, 0) << b.Describe();
  auto ja = Json::Parse(a.out), jb = Json::Parse(b.out);
  ASSERT_TRUE(ja.ok() && jb.ok());
  EXPECT_NE(ja->GetString("digest"), jb->GetString("digest"));
  // Pushing v1.0.0 again on the other pin is a different content: refused.
  CommandResult again = user_->Run({"push", "-module", "order", "-version", "v1.0.0", "-dir",
                                    "./proto/order", "-dep", "common@v1.1.0"},
                                   work_.path());
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_NE(again.err.find("different content"), std::string::npos) << again.Describe();
}

// "Validate before you push": validate and compile -dir find the dependencies push would pin, for
// a user whose local store has never seen them.
TEST_F(ModuleNameImports, ValidateAndCompileDirResolveDependenciesAsPushDoes) {
  CliUser fresh(work_.Sub("fresh-home"), server_->url());
  CommandResult validate = fresh.Run({"validate", "-dir", "./proto/order"}, work_.path());
  ASSERT_EQ(validate.exit_code, 0) << validate.Describe();
  CommandResult compile = fresh.Run(
      {"compile", "-dir", "./proto/order", "-lang", "cpp", "-out", "./gen"}, work_.path());
  ASSERT_EQ(compile.exit_code, 0) << compile.Describe();
  auto generated = ReadFiles(work_.Sub("gen"));
  ASSERT_TRUE(generated.count("order.pb.h")) << compile.Describe();
  EXPECT_NE(generated.at("order.pb.h").find("common/types.pb.h"), std::string::npos);
  // The dependency's code comes too, at its mounted path, so the output builds on its own.
  EXPECT_TRUE(generated.count("common/types.pb.h")) << compile.Describe();
  CommandResult own_only = fresh.Run({"compile", "-dir", "./proto/order", "-lang", "cpp", "-out",
                                      "./gen-own", "--exclude-imports"},
                                     work_.path());
  ASSERT_EQ(own_only.exit_code, 0) << own_only.Describe();
  const auto own = ReadFiles(work_.Sub("gen-own"));
  EXPECT_TRUE(own.count("order.pb.h")) << own_only.Describe();
  EXPECT_FALSE(own.count("common/types.pb.h")) << "--exclude-imports generated a dependency";
  // A dependency spoke.yaml declares is honoured too, at the version it names.
  FileSet common2 = kCommon;
  common2["types.proto"] =
      "syntax = \"proto3\";\npackage common;\nmessage UUID {\n  string value = 1;\n}\n";
  WriteFiles(work_.Sub("proto/common2"), common2);
  CommandResult c2 = user_->Run(
      {"push", "-module", "common", "-version", "v2.0.0", "-dir", "./proto/common2"}, work_.path());
  ASSERT_EQ(c2.exit_code, 0) << c2.Describe();
  WriteFiles(work_.Sub("proto/order"),
             {{"spoke.yaml", "module: order\ndeps:\n  - common@v2.0.0\n"}});
  CommandResult refused = fresh.Run({"validate", "-dir", "./proto/order"}, work_.path());
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_NE(refused.out.find("order.proto:8:3: \"common.Timestamp\" is not defined"),
            std::string::npos)
      << refused.Describe();
}

TEST_F(ModuleNameImports, ValidateWorksOfflineFromTheLocalStore) {
  CommandResult online = user_->Run({"validate", "-dir", "./proto/order"}, work_.path());
  ASSERT_EQ(online.exit_code, 0) << online.Describe();
  server_->Stop();
  CommandResult offline = user_->Run({"validate", "-dir", "./proto/order"}, work_.path());
  ASSERT_EQ(offline.exit_code, 0) << offline.Describe();
  EXPECT_NE(offline.err.find("from the local store alone"), std::string::npos)
      << offline.Describe();
  CommandResult compile = user_->Run(
      {"compile", "-dir", "./proto/order", "-lang", "python", "-out", "./gen-py"}, work_.path());
  ASSERT_EQ(compile.exit_code, 0) << compile.Describe();
  EXPECT_TRUE(ReadFiles(work_.Sub("gen-py")).count("order_pb2.py")) << compile.Describe();
  // A user who never had common cannot resolve it offline, and is told where it looked.
  CliUser fresh(work_.Sub("fresh-home"), server_->url());
  CommandResult unknown = fresh.Run({"validate", "-dir", "./proto/order"}, work_.path());
  EXPECT_EQ(unknown.exit_code, 1) << unknown.Describe();
  EXPECT_NE(
      unknown.out.find("order.proto:4:1: import \"common/types.proto\" is provided by no file"),
      std::string::npos)
      << unknown.Describe();
}

// A module's own files are imported by their paths in the module; the original's spelling under
// the module's name is refused with the one that works.
TEST_F(ModuleNameImports, AnImportOfTheModulesOwnFileUnderItsNameIsRefusedClearly) {
  WriteFiles(
      work_.Sub("proto/shop"),
      {{"item.proto", "syntax = \"proto3\";\npackage shop;\nmessage Item {}\n"},
       {"cart.proto",
        "syntax = \"proto3\";\npackage shop;\nimport \"shop/item.proto\";\nmessage Cart {\n  "
        "repeated Item items = 1;\n}\n"}});
  CommandResult push = user_->Run(
      {"push", "-module", "shop", "-version", "v1.0.0", "-dir", "./proto/shop"}, work_.path());
  EXPECT_EQ(push.exit_code, 1) << push.Describe();
  EXPECT_NE(
      push.err.find(
          "cart.proto:3:1: import \"shop/item.proto\" names this module's own file item.proto"),
      std::string::npos)
      << push.Describe();
  EXPECT_NE(push.err.find("import \"item.proto\""), std::string::npos) << push.Describe();
  auto listed = HttpClient(server_->port())->Get("/modules/shop/versions");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->status, 404) << listed->body;
}

// A version uploaded through the REST API with the original's dependency strings is mounted as
// the CLI's push mounts it, so the server's compile check and later compiles find the file.
TEST_F(ModuleNameImports, ARestUploadMountsItsDeclaredDependency) {
  Json body = UploadBody("v1.0.0", kOrder);
  Json deps = Json::MakeArray();
  deps.Push("common@v1.0.0");
  body.Set("dependencies", deps);
  auto http = HttpClient(server_->port());
  auto created = http->Post("/modules/order/versions", body.Dump(), "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto version = http->Get("/modules/order/versions/v1.0.0");
  ASSERT_TRUE(version && version->status == 200);
  const Json parsed = ParseJson(version->body);
  const Json* pins = parsed.Get("dependencies");
  ASSERT_TRUE(pins && pins->is_array() && pins->as_array().size() == 1) << version->body;
  EXPECT_EQ(pins->as_array()[0].GetString("mount"), "common") << version->body;
  auto compiled =
      http->Post("/modules/order/versions/v1.0.0/compile/python", "{}", "application/json");
  ASSERT_TRUE(compiled);
  EXPECT_EQ(compiled->status, 201) << compiled->body;
  auto PathsOf = [](const std::string& answer_body) {
    std::set<std::string> paths;
    const Json reply = ParseJson(answer_body);
    for (const auto& file : reply.Get("files")->as_array()) paths.insert(file.GetString("path"));
    return paths;
  };
  // By default the dependency's code is generated too, at its mount; include_imports=false: not.
  EXPECT_TRUE(PathsOf(compiled->body).count("common/types_pb2.py")) << compiled->body;
  auto own = http->Post("/modules/order/versions/v1.0.0/compile/python?include_imports=false", "{}",
                        "application/json");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 201) << own->body;
  EXPECT_TRUE(PathsOf(own->body).count("order_pb2.py")) << own->body;
  EXPECT_FALSE(PathsOf(own->body).count("common/types_pb2.py")) << own->body;
  auto bad = http->Get("/modules/order/versions/v1.0.0/download/python?include_imports=yes");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_NE(bad->body.find("include_imports must be true or false"), std::string::npos)
      << bad->body;
}

}  // namespace
}  // namespace spoke::e2e
