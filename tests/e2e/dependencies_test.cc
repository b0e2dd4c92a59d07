// Dependencies between modules, end to end: push pins each dependency (from --dep or spoke.yaml)
// and is refused when an import is provided by nothing; recursive pull writes the whole tree
// (which stock protoc then compiles) plus spoke.lock, works offline, and refuses to overwrite
// anything a lock disagrees with; two paths pinning two versions of one module are a version
// conflict; and the registry answers what a version depends on and what depends on a module.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "deps_fixture.h"

namespace spoke::e2e {
namespace {

FileSet UsesCommon(const std::string& module) {
  return {{module + "/" + module + ".proto", "syntax = \"proto3\";\npackage " + module +
                                                 ";\nimport \"common/types.proto\";\n\n"
                                                 "message Thing {\n  common.Id id = 1;\n}\n"}};
}
const FileSet kTop = {
    {"top/top.proto",
     "syntax = \"proto3\";\npackage top;\nimport \"a/a.proto\";\nimport \"b/b.proto\";\n\n"
     "message Both {\n  a.Thing a = 1;\n  b.Thing b = 2;\n}\n"}};

class Dependencies : public DependencyFixture {};

TEST_F(Dependencies, PushPinsEachDependencyAtItsExactVersionCommitAndDigest) {
  StartServer();
  Json common = MustPush("common", "v1.0.0", kCommonV1);
  Json order = MustPush("order", "v1.0.0", kOrderV1, {"common@v1.0.0"});
  const Json* listed = order.Get("dependencies");
  ASSERT_TRUE(listed && listed->is_array()) << order.Dump(2);
  ASSERT_EQ(listed->as_array().size(), 1u) << order.Dump(2);
  EXPECT_EQ(listed->as_array()[0].as_string(), "common@v1.0.0");

  // The registry's manifest pins the exact version, commit and digest.
  Json version = GetJson("/modules/order/versions/v1.0.0");
  const Json* pins = version.Get("dependencies");
  ASSERT_TRUE(pins && pins->is_array() && pins->as_array().size() == 1) << version.Dump(2);
  const Json& pin = pins->as_array()[0];
  EXPECT_EQ(pin.GetString("module"), "common");
  EXPECT_EQ(pin.GetString("version"), "v1.0.0");
  EXPECT_EQ(pin.GetString("commit"), common.GetString("commit"));
  EXPECT_EQ(pin.GetString("digest"), common.GetString("digest"));
  EXPECT_FALSE(common.GetString("commit").empty());
  EXPECT_FALSE(common.GetString("digest").empty());
}

TEST_F(Dependencies, SpokeYamlSuppliesTheModuleNameAndItsDependencies) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  std::string dir = work_.Sub("yaml-order");
  FileSet files = kOrderV1;
  files["spoke.yaml"] = "# the order module\nmodule: order\ndeps:\n  - common@v1.0.0\n";
  WriteFiles(dir, files);
  CommandResult pushed = publisher_->Run({"push", "-version", "v1.0.0", "-dir", dir, "--json"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  Json out = ParseJson(pushed.out);
  EXPECT_EQ(out.GetString("module"), "order");
  const Json* listed = out.Get("dependencies");
  ASSERT_TRUE(listed && listed->is_array() && listed->as_array().size() == 1) << pushed.out;
  EXPECT_EQ(listed->as_array()[0].as_string(), "common@v1.0.0");
  // spoke.yaml is configuration, not part of the module.
  Json version = GetJson("/modules/order/versions/v1.0.0");
  const Json* manifest_files = version.Get("files");
  ASSERT_TRUE(manifest_files && manifest_files->is_array()) << version.Dump(2);
  ASSERT_EQ(manifest_files->as_array().size(), 1u) << version.Dump(2);
  EXPECT_EQ(manifest_files->as_array()[0].GetString("path"), "order/order.proto");
}

TEST_F(Dependencies, PushOfAnImportNothingProvidesIsRefusedNamingFileLineAndColumn) {
  StartServer();
  std::string refs_before = RefsOf(work_.Sub("storage"));

  // No module provides common/types.proto yet.
  CommandResult pushed = Push("order", "v1.0.0", kOrderV1);
  EXPECT_EQ(pushed.exit_code, 1) << pushed.Describe();
  EXPECT_TRUE(Contains(pushed.err, "order/order.proto:3:1")) << pushed.Describe();
  EXPECT_TRUE(Contains(pushed.err, "common/types.proto")) << pushed.Describe();
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before)
      << "a refused push changed the registry's refs";

  // REST pins only the dependencies it is given (no import index): without them, a 400 naming
  // file:line:col...
  MustPush("common", "v1.0.0", kCommonV1);
  refs_before = RefsOf(work_.Sub("storage"));
  Json file = Json::MakeObject();
  file.Set("path", "order/order.proto");
  file.Set("content", kOrderV1.at("order/order.proto"));
  Json files = Json::MakeArray();
  files.Push(file);
  Json body = Json::MakeObject();
  body.Set("version", "v1.0.0");
  body.Set("files", files);
  std::string message;
  ExpectJsonError(http_->Post("/modules/order/versions", body.Dump(), "application/json"), 400,
                  &message);
  EXPECT_TRUE(Contains(message, "order/order.proto:3:1")) << message;
  EXPECT_TRUE(Contains(message, "common/types.proto")) << message;
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before);

  // ...and are accepted once they name the dependency.
  Json dep = Json::MakeObject();
  dep.Set("module", "common");
  dep.Set("version", "v1.0.0");
  Json deps = Json::MakeArray();
  deps.Push(dep);
  body.Set("dependencies", deps);
  auto accepted = http_->Post("/modules/order/versions", body.Dump(), "application/json");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 201) << accepted->body;
}

TEST_F(Dependencies, RecursivePullWritesATreeStockProtocCompilesAndALockAndWorksOffline) {
  StartServer();
  Json common = MustPush("common", "v1.0.0", kCommonV1);
  Json order = MustPush("order", "v1.0.0", kOrderV1, {"common@v1.0.0"});
  std::string out = work_.Sub("out");
  CommandResult pulled = PullRecursive(*reader_, out, {"-version", "v1.0.0"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.Describe();

  FileSet written = ReadFiles(out);
  ASSERT_EQ(written.count("spoke.lock"), 1u);
  std::string lock_text = written["spoke.lock"];
  written.erase("spoke.lock");
  FileSet expected = kOrderV1;
  expected.insert(kCommonV1.begin(), kCommonV1.end());
  EXPECT_EQ(written, expected);

  Json lock = ParseJson(lock_text);
  EXPECT_EQ(At(lock, "format").as_int(), 1) << lock_text;
  Json versions = At(lock, "dependencies");
  EXPECT_EQ(versions.GetString("common"), "v1.0.0") << lock_text;
  EXPECT_EQ(versions.GetString("order"), "v1.0.0") << lock_text;
  Json pins = At(lock, "pins");
  EXPECT_EQ(At(pins, "common").GetString("commit"), common.GetString("commit")) << lock_text;
  EXPECT_EQ(At(pins, "common").GetString("digest"), common.GetString("digest")) << lock_text;
  EXPECT_EQ(At(pins, "order").GetString("commit"), order.GetString("commit")) << lock_text;
  EXPECT_EQ(At(pins, "order").GetString("digest"), order.GetString("digest")) << lock_text;

  // Stock protoc builds the tree laid out by import path.
  std::filesystem::create_directories(work_.Sub("gen"));
  CommandResult protoc = RunCommand(
      {{"protoc", "-I", out, "--cpp_out=" + work_.Sub("gen"), out + "/order/order.proto"}, {}, ""});
  ASSERT_EQ(protoc.exit_code, 0) << protoc.Describe();
  EXPECT_TRUE(std::filesystem::exists(work_.Sub("gen/order/order.pb.h")));

  // With the registry gone, the versions in the local store are enough.
  server_->Kill();
  std::string offline = work_.Sub("offline");
  CommandResult again = PullRecursive(*reader_, offline, {"-version", "v1.0.0"});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  FileSet offline_written = ReadFiles(offline);
  EXPECT_EQ(offline_written["spoke.lock"], lock_text);
  offline_written.erase("spoke.lock");
  EXPECT_EQ(offline_written, expected);
  // And so is the lock for "latest": it names the root's version.
  CommandResult latest = PullRecursive(*reader_, out);
  ASSERT_EQ(latest.exit_code, 0) << latest.Describe();
  EXPECT_EQ(ReadFiles(out)["spoke.lock"], lock_text);
}

TEST_F(Dependencies, LatestWithALockPullsTheLockedVersionOfTheRoot) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  MustPush("order", "v1.0.0", kOrderV1, {"common@v1.0.0"});
  MustPush("order", "v1.1.0", kOrderV11, {"common@v1.0.0"});

  std::string locked = work_.Sub("locked");
  ASSERT_EQ(PullRecursive(*reader_, locked, {"-version", "v1.0.0"}).exit_code, 0);
  CommandResult latest = PullRecursive(*reader_, locked);
  ASSERT_EQ(latest.exit_code, 0) << latest.Describe();
  FileSet files = ReadFiles(locked);
  EXPECT_EQ(files["order/order.proto"], kOrderV1.at("order/order.proto"));
  EXPECT_EQ(At(ParseJson(files["spoke.lock"]), "dependencies").GetString("order"), "v1.0.0");

  // Without a lock, latest is the highest release.
  std::string fresh = work_.Sub("fresh");
  CommandResult unlocked = PullRecursive(*reader_, fresh);
  ASSERT_EQ(unlocked.exit_code, 0) << unlocked.Describe();
  files = ReadFiles(fresh);
  EXPECT_EQ(files["order/order.proto"], kOrderV11.at("order/order.proto"));
  EXPECT_EQ(At(ParseJson(files["spoke.lock"]), "dependencies").GetString("order"), "v1.1.0");
}

TEST_F(Dependencies, AskingForAnotherVersionOfTheLockedRootMovesTheLockToItsPins) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  MustPush("common", "v2.0.0", kCommonV2);
  MustPush("order", "v1.0.0", kOrderV1, {"common@v1.0.0"});
  MustPush("order", "v1.1.0", kOrderV11, {"common@v2.0.0"});

  std::string dir = work_.Sub("moving");
  ASSERT_EQ(PullRecursive(*reader_, dir, {"-version", "v1.0.0"}).exit_code, 0);
  CommandResult moved = PullRecursive(*reader_, dir, {"-version", "v1.1.0"});
  ASSERT_EQ(moved.exit_code, 0) << moved.Describe();
  EXPECT_TRUE(Contains(moved.out, "spoke.lock: order v1.0.0 -> v1.1.0")) << moved.Describe();
  EXPECT_TRUE(Contains(moved.out, "spoke.lock: common v1.0.0 -> v2.0.0")) << moved.Describe();
  FileSet files = ReadFiles(dir);
  EXPECT_EQ(files["order/order.proto"], kOrderV11.at("order/order.proto"));
  EXPECT_EQ(files["common/types.proto"], kCommonV2.at("common/types.proto"));
  Json deps = At(ParseJson(files["spoke.lock"]), "dependencies");
  EXPECT_EQ(deps.GetString("order"), "v1.1.0");
  EXPECT_EQ(deps.GetString("common"), "v2.0.0");
}

TEST_F(Dependencies, PullRefusesALockThatDisagreesWithTheRegistryAndWritesNothing) {
  StartServer();
  Json common = MustPush("common", "v1.0.0", kCommonV1);
  Json order = MustPush("order", "v1.0.0", kOrderV1, {"common@v1.0.0"});
  Json common2 = MustPush("common", "v2.0.0", kCommonV2);
  const Pin order_pin{"v1.0.0", order.GetString("commit"), order.GetString("digest")};
  const Pin common_pin{"v1.0.0", common.GetString("commit"), common.GetString("digest")};
  const std::string other_digest = "sha256:" + std::string(64, '0');
  const std::string other_commit = std::string(common_pin.commit.size(), '0');

  struct Case {
    std::string name;
    Pin common;
    std::string expected_message;
  };
  for (const Case& c : {
           Case{"digest", {"v1.0.0", common_pin.commit, other_digest}, "refusing to overwrite"},
           Case{"commit", {"v1.0.0", other_commit, common_pin.digest}, "refusing to overwrite"},
           Case{"version",
                {"v2.0.0", common2.GetString("commit"), common2.GetString("digest")},
                "spoke lock"},
       }) {
    SCOPED_TRACE("the lock's " + c.name + " differs");
    std::string dir = work_.Sub("tampered-" + c.name);
    std::string lock = LockText({{"common", c.common}, {"order", order_pin}});
    WriteFiles(dir, {{"spoke.lock", lock}});
    CommandResult pulled = PullRecursive(*reader_, dir, {"-version", "v1.0.0"});
    EXPECT_EQ(pulled.exit_code, 1) << pulled.Describe();
    EXPECT_TRUE(Contains(pulled.err, c.expected_message)) << pulled.Describe();
    EXPECT_TRUE(Contains(pulled.err, "common")) << pulled.Describe();
    EXPECT_EQ(ReadFiles(dir), (FileSet{{"spoke.lock", lock}})) << "a refused pull wrote something";
  }

  // A lock that agrees is honoured.
  std::string dir = work_.Sub("agreeing");
  std::string lock = LockText({{"common", common_pin}, {"order", order_pin}});
  WriteFiles(dir, {{"spoke.lock", lock}});
  CommandResult pulled = PullRecursive(*reader_, dir);
  ASSERT_EQ(pulled.exit_code, 0) << pulled.Describe();
  EXPECT_EQ(ReadFiles(dir)["common/types.proto"], kCommonV1.at("common/types.proto"));
}

TEST_F(Dependencies, PushDependingOnTwoVersionsOfOneModuleIsAVersionConflictNamingBothPaths) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  MustPush("common", "v2.0.0", kCommonV2);
  MustPush("a", "v1.0.0", UsesCommon("a"), {"common@v1.0.0"});
  MustPush("b", "v1.0.0", UsesCommon("b"), {"common@v2.0.0"});
  std::string refs_before = RefsOf(work_.Sub("storage"));

  CommandResult pushed = Push("top", "v1.0.0", kTop, {"a@v1.0.0", "b@v1.0.0"});
  EXPECT_EQ(pushed.exit_code, 1) << pushed.Describe();
  EXPECT_TRUE(Contains(pushed.err, "version conflict for module common")) << pushed.Describe();
  EXPECT_TRUE(Contains(pushed.err, "top@v1.0.0 -> a@v1.0.0 -> common@v1.0.0")) << pushed.Describe();
  EXPECT_TRUE(Contains(pushed.err, "top@v1.0.0 -> b@v1.0.0 -> common@v2.0.0")) << pushed.Describe();
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before)
      << "a conflicting push changed the registry's refs";
}

TEST_F(Dependencies, RecursivePullOfAConflictingGraphFailsNamingBothPaths) {
  // Without the registry's compile check the conflicting version gets in; the pull still refuses.
  StartServer({"--validate", "none"});
  MustPush("common", "v1.0.0", kCommonV1);
  MustPush("common", "v2.0.0", kCommonV2);
  MustPush("a", "v1.0.0", UsesCommon("a"), {"common@v1.0.0"});
  MustPush("b", "v1.0.0", UsesCommon("b"), {"common@v2.0.0"});
  // The CLI itself refuses a conflicting push, so this one comes through REST.
  Json file = Json::MakeObject();
  file.Set("path", "top/top.proto");
  file.Set("content", kTop.at("top/top.proto"));
  Json files = Json::MakeArray();
  files.Push(file);
  Json deps = Json::MakeArray();
  for (const char* dep : {"a", "b"}) {
    Json pin = Json::MakeObject();
    pin.Set("module", dep);
    pin.Set("version", "v1.0.0");
    deps.Push(pin);
  }
  Json body = Json::MakeObject();
  body.Set("version", "v1.0.0");
  body.Set("files", files);
  body.Set("dependencies", deps);
  auto created = http_->Post("/modules/top/versions", body.Dump(), "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;

  std::string out = work_.Sub("out");
  CommandResult pulled =
      reader_->Run({"pull", "-module", "top", "-version", "v1.0.0", "-recursive", "-dir", out});
  EXPECT_EQ(pulled.exit_code, 1) << pulled.Describe();
  EXPECT_TRUE(Contains(pulled.err, "version conflict for module common")) << pulled.Describe();
  EXPECT_TRUE(Contains(pulled.err, "top@v1.0.0 -> a@v1.0.0 -> common@v1.0.0")) << pulled.Describe();
  EXPECT_TRUE(Contains(pulled.err, "top@v1.0.0 -> b@v1.0.0 -> common@v2.0.0")) << pulled.Describe();
  EXPECT_FALSE(std::filesystem::exists(out + "/spoke.lock"));
  EXPECT_FALSE(std::filesystem::exists(out + "/top/top.proto"));
}

TEST_F(Dependencies, RegistryAnswersDirectAndTransitiveDependenciesAndDependents) {
  StartServer();
  Json common = MustPush("common", "v1.0.0", kCommonV1);
  Json order = MustPush("order", "v1.0.0", kOrderV1, {"common@v1.0.0"});
  MustPush("app", "v1.0.0", kApp, {"order@v1.0.0"});

  Json direct = GetJson("/modules/order/versions/v1.0.0/dependencies");
  const Json* list = direct.Get("dependencies");
  ASSERT_TRUE(list && list->is_array() && list->as_array().size() == 1) << direct.Dump(2);
  const Json& dep = list->as_array()[0];
  EXPECT_EQ(dep.GetString("module"), "common");
  EXPECT_EQ(dep.GetString("version"), "v1.0.0");
  EXPECT_EQ(dep.GetString("commit"), common.GetString("commit"));
  EXPECT_EQ(dep.GetString("digest"), common.GetString("digest"));

  Json transitive = GetJson("/modules/app/versions/v1.0.0/dependencies?transitive=true");
  list = transitive.Get("dependencies");
  ASSERT_TRUE(list && list->is_array() && list->as_array().size() == 2) << transitive.Dump(2);
  std::map<std::string, Json> by_module;
  for (const Json& entry : list->as_array()) by_module[entry.GetString("module")] = entry;
  ASSERT_EQ(by_module.count("order"), 1u) << transitive.Dump(2);
  ASSERT_EQ(by_module.count("common"), 1u) << transitive.Dump(2);
  EXPECT_EQ(by_module["order"].GetString("path"), "app@v1.0.0 -> order@v1.0.0");
  EXPECT_EQ(by_module["order"].GetString("commit"), order.GetString("commit"));
  EXPECT_EQ(by_module["common"].GetString("path"), "app@v1.0.0 -> order@v1.0.0 -> common@v1.0.0");
  EXPECT_EQ(by_module["common"].GetString("digest"), common.GetString("digest"));
  // The direct answer has no paths.
  EXPECT_EQ(GetJson("/modules/app/versions/v1.0.0/dependencies").Dump().find("\"path\""),
            std::string::npos);

  Json dependents = GetJson("/modules/common/dependents");
  list = dependents.Get("dependents");
  ASSERT_TRUE(list && list->is_array() && list->as_array().size() == 1) << dependents.Dump(2);
  EXPECT_EQ(list->as_array()[0].GetString("module"), "order");
  EXPECT_EQ(list->as_array()[0].GetString("version"), "v1.0.0");
  EXPECT_EQ(list->as_array()[0].GetString("depends_on"), "v1.0.0");
}

}  // namespace
}  // namespace spoke::e2e
