// spoke batch-push, end to end: modules found as top-level directories or spoke.yaml roots, pushed
// in the order their imports need with each other's just-pushed versions pinned, other imports
// resolved through the registry's index; a second run changes nothing; a cycle is reported with
// the cycle and nothing is pushed; --keep-going pushes what does not need a failed module.
#include <gtest/gtest.h>

#include <filesystem>

#include "deps_fixture.h"

namespace spoke::e2e {
namespace {

class BatchPush : public DependencyFixture {
 protected:
  CommandResult Run(const std::string& dir, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"batch-push", "-dir", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    return publisher_->Run(args);
  }

  // module -> status from batch-push --json, in the order reported.
  static std::vector<std::pair<std::string, std::string>> Reported(const std::string& out) {
    std::vector<std::pair<std::string, std::string>> statuses;
    Json report = ParseJson(out);
    const Json* modules = report.Get("modules");
    EXPECT_TRUE(modules && modules->is_array()) << out;
    if (!modules || !modules->is_array()) return statuses;
    for (const Json& m : modules->as_array())
      statuses.emplace_back(m.GetString("module"), m.GetString("status"));
    return statuses;
  }

  // The tree of the original scenario, one module per top-level directory.
  std::string ScenarioTree() {
    std::string dir = work_.Sub("tree");
    FileSet files = kCommonV1;
    files.insert(kOrderV1.begin(), kOrderV1.end());
    files.insert(kApp.begin(), kApp.end());
    WriteFiles(dir, files);
    return dir;
  }
};

using StatusList = std::vector<std::pair<std::string, std::string>>;

TEST_F(BatchPush, PushesTopLevelModulesInImportOrderPinningTheVersionsItPushes) {
  StartServer();
  std::string tree = ScenarioTree();
  CommandResult pushed = Run(tree, {"-version", "v1.0.0", "--json"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  EXPECT_EQ(Reported(pushed.out),
            (StatusList{{"common", "created"}, {"order", "created"}, {"app", "created"}}));

  Json common = GetJson("/modules/common/versions/v1.0.0");
  Json order = GetJson("/modules/order/versions/v1.0.0");
  const Json& order_pin = order.Get("dependencies")->as_array().at(0);
  EXPECT_EQ(order_pin.GetString("module"), "common");
  EXPECT_EQ(order_pin.GetString("commit"), common.GetString("commit"));
  Json app = GetJson("/modules/app/versions/v1.0.0");
  const Json& app_pin = app.Get("dependencies")->as_array().at(0);
  EXPECT_EQ(app_pin.GetString("module"), "order");
  EXPECT_EQ(app_pin.GetString("digest"), order.GetString("digest"));
  // The files keep their paths from the tree's root, so a recursive pull builds with protoc.
  std::string out = work_.Sub("out");
  ASSERT_EQ(
      reader_->Run({"pull", "-module", "app", "-version", "v1.0.0", "-recursive", "-dir", out})
          .exit_code,
      0);
  CommandResult protoc =
      RunCommand({{"protoc", "-I", out, "-o", "/dev/null", "app/app.proto"}, {}, out});
  EXPECT_EQ(protoc.exit_code, 0) << protoc.Describe();

  // Again: every module is already there with the same content, and no ref moves.
  std::string refs = RefsOf(work_.Sub("storage"));
  CommandResult again = Run(tree, {"--version", "v1.0.0"});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_TRUE(Contains(again.out, "[1/3] common@v1.0.0: already there, unchanged")) << again.out;
  EXPECT_TRUE(Contains(again.out, "0 pushed, 3 unchanged, 0 failed, 0 skipped (3 modules)"))
      << again.out;
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs);
}

TEST_F(BatchPush, SpokeYamlRootsAtAnyDepthWithTheirOwnVersionsAndTheIndexForTheRest) {
  StartServer();
  MustPush("money", "v1.0.0",
           {{"money/money.proto", "syntax = \"proto3\";\npackage money;\nmessage Amount {}\n"}});
  std::string tree = work_.Sub("tree");
  FileSet files;
  files["libs/common/spoke.yaml"] = "module: common\nversion: v2.0.0\n";
  files["libs/common/common/types.proto"] = kCommonV1.at("common/types.proto");
  files["services/order/spoke.yaml"] = "module: shop/order\n";
  files["services/order/order/order.proto"] =
      "syntax = \"proto3\";\npackage order;\nimport \"common/types.proto\";\nimport "
      "\"money/money.proto\";\n"
      "message Order { common.Id id = 1; money.Amount total = 2; }\n";
  WriteFiles(tree, files);

  // Without -recursive the spoke.yaml files two levels down are not module roots.
  CommandResult shallow = Run(tree, {"-version", "v1.0.0"});
  EXPECT_EQ(shallow.exit_code, 2) << shallow.Describe();
  EXPECT_TRUE(Contains(shallow.err, "spoke.yaml is below the top level; pass -recursive"))
      << shallow.Describe();

  CommandResult pushed = Run(tree, {"-recursive", "-version", "v1.0.0"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  EXPECT_TRUE(Contains(pushed.out, "[1/2] common@v2.0.0: pushed")) << pushed.out;
  EXPECT_TRUE(Contains(pushed.out, "[2/2] shop/order@v1.0.0: pushed")) << pushed.out;
  EXPECT_TRUE(Contains(pushed.out, "  resolved money/money.proto -> money@v1.0.0 (registry index)"))
      << pushed.out;
  Json order = GetJson("/modules/shop/order/versions/v1.0.0");
  std::map<std::string, std::string> pins;
  for (const Json& pin : order.Get("dependencies")->as_array())
    pins[pin.GetString("module")] = pin.GetString("version");
  EXPECT_EQ(pins, (std::map<std::string, std::string>{{"common", "v2.0.0"}, {"money", "v1.0.0"}}));
}

TEST_F(BatchPush, AnImportCycleIsReportedWithTheCycleAndNothingIsPushed) {
  StartServer();
  std::string tree = work_.Sub("tree");
  WriteFiles(tree, {{"a/a.proto", "syntax = \"proto3\";\nimport \"b/b.proto\";\nmessage A {}\n"},
                    {"b/b.proto", "syntax = \"proto3\";\nimport \"a/a.proto\";\nmessage B {}\n"},
                    {"c/c.proto", "syntax = \"proto3\";\nmessage C {}\n"}});
  std::string refs = RefsOf(work_.Sub("storage"));
  CommandResult pushed = Run(tree, {"-version", "v1.0.0"});
  EXPECT_EQ(pushed.exit_code, 1) << pushed.Describe();
  EXPECT_TRUE(
      Contains(pushed.err,
               "import cycle between modules: a -> b -> a (a/a.proto:2:1 imports \"b/b.proto\"; "
               "b/b.proto:2:1 imports \"a/a.proto\")"))
      << pushed.Describe();
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs);
}

TEST_F(BatchPush, AFailureStopsThePushUnlessKeepGoingPushesWhatDoesNotNeedIt) {
  StartServer();
  std::string tree = work_.Sub("tree");
  WriteFiles(tree, {{"bad/bad.proto", "syntax = \"proto3\";\nmessage Bad { NoSuchType x = 1; }\n"},
                    {"fine/fine.proto", "syntax = \"proto3\";\nmessage Fine {}\n"},
                    {"needsbad/n.proto",
                     "syntax = \"proto3\";\nimport \"bad/bad.proto\";\nmessage N {}\n"}});
  CommandResult stopped = Run(tree, {"-version", "v1.0.0", "--json"});
  EXPECT_EQ(stopped.exit_code, 1) << stopped.Describe();
  EXPECT_EQ(Reported(stopped.out),
            (StatusList{{"bad", "failed"}, {"fine", "skipped"}, {"needsbad", "skipped"}}));
  EXPECT_TRUE(Contains(ParseJson(stopped.out).Get("modules")->as_array()[0].GetString("error"),
                       "bad/bad.proto:2:"))
      << stopped.out;

  CommandResult kept = Run(tree, {"-version", "v1.0.0", "-k"});
  EXPECT_EQ(kept.exit_code, 1) << kept.Describe();
  EXPECT_TRUE(Contains(kept.out, "[2/3] fine@v1.0.0: pushed")) << kept.out;
  EXPECT_TRUE(Contains(kept.out, "[3/3] needsbad@v1.0.0: skipped: needs bad, which was not pushed"))
      << kept.out;
  EXPECT_TRUE(Contains(kept.err, "spoke: bad@v1.0.0: ")) << kept.Describe();
  EXPECT_EQ(RefsOf(work_.Sub("storage")).find("needsbad"), std::string::npos);
}

TEST_F(BatchPush, DryRunPrintsThePlanAndPushesNothingAndUsageErrorsExitTwo) {
  StartServer();
  std::string tree = ScenarioTree();
  std::string refs = RefsOf(work_.Sub("storage"));
  CommandResult plan = Run(tree, {"-version", "v1.0.0", "--dry-run"});
  ASSERT_EQ(plan.exit_code, 0) << plan.Describe();
  EXPECT_EQ(plan.out,
            "[1/3] common@v1.0.0: 1 file\n[2/3] order@v1.0.0: 1 file, needs common\n"
            "[3/3] app@v1.0.0: 1 file, needs order\n");
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs);

  // Usage errors: what the command was given is wrong, before anything is read or sent.
  EXPECT_EQ(Run(tree, {"-version", "1.0"}).exit_code, 2);
  EXPECT_EQ(Run(tree, {"-version", "v1.0.0", "--no-such-flag"}).exit_code, 2);
  CommandResult no_dir = Run(work_.Sub("absent"), {"-version", "v1.0.0"});
  EXPECT_EQ(no_dir.exit_code, 2) << no_dir.Describe();
  EXPECT_TRUE(Contains(no_dir.err, work_.Sub("absent") + " is not a directory"))
      << no_dir.Describe();
  std::filesystem::create_directories(work_.Sub("empty"));
  CommandResult no_module = Run(work_.Sub("empty"), {"-version", "v1.0.0"});
  EXPECT_EQ(no_module.exit_code, 2) << no_module.Describe();
  EXPECT_TRUE(Contains(no_module.err, "no .proto files found under")) << no_module.Describe();
  WriteFiles(work_.Sub("loose"), {{"loose.proto", "syntax = \"proto3\";\n"}});
  EXPECT_EQ(Run(work_.Sub("loose"), {"-version", "v1.0.0"}).exit_code, 2);
  // The tree is in no git work tree (see version_from_git_test.cc for those that are).
  CommandResult no_version = Run(tree);
  EXPECT_EQ(no_version.exit_code, 2);
  EXPECT_TRUE(Contains(no_version.err, "no version to push: pass -version"))
      << no_version.Describe();
  CommandResult help = publisher_->Run({"batch-push", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(Contains(help.out, "--keep-going")) << help.out;
}

}  // namespace
}  // namespace spoke::e2e
