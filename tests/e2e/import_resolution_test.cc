// Imports nobody declared, end to end: push resolves them through the registry's import index (the
// highest release of the one module providing the path) and pins what it found; an import several
// modules provide is refused naming them; well-known types need no module; the index routes answer
// and refuse bad input; `spoke lock` writes what a push would pin, and push honours the lock over
// newer releases and refuses one that disagrees with the registry.
#include <gtest/gtest.h>

#include <filesystem>

#include "deps_fixture.h"

namespace spoke::e2e {
namespace {

class ImportResolution : public DependencyFixture {
 protected:
  // `spoke lock` run by the publisher.
  CommandResult Lock(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"lock"};
    argv.insert(argv.end(), args.begin(), args.end());
    return publisher_->Run(argv);
  }

  // The one dependency the registry's manifest of module@version pins.
  Json OnlyPin(const std::string& module, const std::string& version) {
    Json v = GetJson("/modules/" + module + "/versions/" + version);
    const Json* pins = v.Get("dependencies");
    EXPECT_TRUE(pins && pins->is_array() && pins->as_array().size() == 1) << v.Dump(2);
    return pins && pins->is_array() && pins->as_array().size() == 1 ? pins->as_array()[0]
                                                                    : Json::MakeObject();
  }
};

TEST_F(ImportResolution, TheOriginalScenarioResolvesCommonThroughTheIndexAndPullBuildsWithProtoc) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  Json common = MustPush("common", "v1.2.0", kCommonV2);
  MustPush("common", "v2.0.0-rc.1", kCommonV2);

  // order declares nothing: common/types.proto comes from the highest release providing it.
  Json order = MustPush("order", "v1.0.0", kOrderV1);
  const Json* resolved = order.Get("resolved");
  ASSERT_TRUE(resolved && resolved->is_array() && resolved->as_array().size() == 1)
      << order.Dump(2);
  const Json& r = resolved->as_array()[0];
  EXPECT_EQ(r.GetString("import"), "common/types.proto");
  EXPECT_EQ(r.GetString("at"), "order/order.proto:3:1");
  EXPECT_EQ(r.GetString("module"), "common");
  EXPECT_EQ(r.GetString("version"), "v1.2.0");
  EXPECT_EQ(r.GetString("source"), "registry index");
  Json pin = OnlyPin("order", "v1.0.0");
  EXPECT_EQ(pin.GetString("module"), "common");
  EXPECT_EQ(pin.GetString("version"), "v1.2.0");
  EXPECT_EQ(pin.GetString("commit"), common.GetString("commit"));
  EXPECT_EQ(pin.GetString("digest"), common.GetString("digest"));

  // Without --json the CLI says what it resolved.
  std::string dir = work_.Sub("order-v11");
  WriteFiles(dir, kOrderV11);
  CommandResult text =
      publisher_->Run({"push", "-module", "order", "-version", "v1.1.0", "-dir", dir});
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_TRUE(Contains(text.out, "resolved common/types.proto -> common@v1.2.0 (registry index)"))
      << text.out;

  std::string out = work_.Sub("out");
  CommandResult pulled = PullRecursive(*reader_, out, {"-version", "v1.0.0"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.Describe();
  EXPECT_EQ(ReadFiles(out)["common/types.proto"], kCommonV2.at("common/types.proto"));
  std::filesystem::create_directories(work_.Sub("gen"));
  CommandResult protoc = RunCommand(
      {{"protoc", "-I", out, "--cpp_out=" + work_.Sub("gen"), out + "/order/order.proto"}, {}, ""});
  EXPECT_EQ(protoc.exit_code, 0) << protoc.Describe();
}

TEST_F(ImportResolution, AnImportTwoModulesProvideIsRefusedNamingBothUntilOneIsDeclared) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  MustPush("legacy", "v3.0.0", kCommonV2);
  std::string refs_before = RefsOf(work_.Sub("storage"));

  CommandResult pushed = Push("order", "v1.0.0", kOrderV1);
  EXPECT_EQ(pushed.exit_code, 1) << pushed.Describe();
  EXPECT_TRUE(
      Contains(pushed.err,
               "order/order.proto:3:1: import \"common/types.proto\" is provided by several "
               "modules (common@v1.0.0, legacy@v3.0.0)"))
      << pushed.Describe();
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before);

  Json order = MustPush("order", "v1.0.0", kOrderV1, {"legacy@v3.0.0"});
  EXPECT_EQ(order.Get("resolved")->as_array().size(), 0u) << order.Dump(2);
  EXPECT_EQ(OnlyPin("order", "v1.0.0").GetString("module"), "legacy");
}

TEST_F(ImportResolution, WellKnownTypesComeFromTheCompilerAndNeedNoModule) {
  StartServer();
  Json pushed = MustPush("clock", "v1.0.0",
                         {{"clock/clock.proto",
                           "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\n"
                           "message Tick { google.protobuf.Timestamp at = 1; }\n"}});
  EXPECT_EQ(pushed.Get("dependencies")->as_array().size(), 0u) << pushed.Dump(2);
  EXPECT_EQ(pushed.Get("resolved")->as_array().size(), 0u) << pushed.Dump(2);
}

TEST_F(ImportResolution, TheIndexRoutesAnswerProvidersAndResolutionsAndRefuseBadInput) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  MustPush("common", "v1.2.0", kCommonV2);
  Json providers = GetJson("/imports?path=common/types.proto");
  EXPECT_EQ(
      providers.Dump(),
      R"({"path":"common/types.proto","providers":[{"module":"common","versions":["v1.0.0","v1.2.0"]}]})");
  EXPECT_EQ(GetJson("/imports?path=nothing/here.proto").Dump(),
            R"({"path":"nothing/here.proto","providers":[]})");

  auto res =
      http_->Post("/imports/resolve", R"({"paths": ["common/types.proto", "nothing/here.proto"]})",
                  "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  Json answer = ParseJson(res->body);
  const auto& imports = answer.Get("imports")->as_array();
  ASSERT_EQ(imports.size(), 2u) << res->body;
  EXPECT_EQ(imports[0].GetString("outcome"), "resolved");
  EXPECT_EQ(imports[0].GetString("version"), "v1.2.0");
  EXPECT_EQ(imports[0].GetString("digest"),
            GetJson("/modules/common/versions/v1.2.0").GetString("digest"));
  EXPECT_EQ(imports[1].GetString("outcome"), "unresolved");

  ExpectJsonError(http_->Get("/imports"), 400);
  ExpectJsonError(http_->Get("/imports?path=../etc/passwd"), 400);
  ExpectJsonError(http_->Post("/imports/resolve", "{\"paths\": [\"a.txt\"]}", "application/json"),
                  400);
  ExpectJsonError(http_->Post("/imports/resolve", "not json", "application/json"), 400);
  std::string many = "{\"paths\": [";
  for (int i = 0; i <= 10000; ++i)
    many += std::string(i ? "," : "") + "\"p" + std::to_string(i) + ".proto\"";
  ExpectJsonError(http_->Post("/imports/resolve", many + "]}", "application/json"), 400);
}

TEST_F(ImportResolution, TheIndexSurvivesARestartAndKnowsVersionsPushedThroughRest) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  Json file = Json::MakeObject();
  file.Set("path", "extra/extra.proto");
  file.Set("content", "syntax = \"proto3\";\npackage extra;\nmessage E {}\n");
  Json files = Json::MakeArray();
  files.Push(file);
  Json body = Json::MakeObject();
  body.Set("version", "v1.0.0");
  body.Set("files", files);
  auto created = http_->Post("/modules/extra/versions", body.Dump(), "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(GetJson("/imports?path=extra/extra.proto").Get("providers")->as_array().size(), 1u);

  server_->Stop();
  StartServer();
  EXPECT_EQ(GetJson("/imports?path=extra/extra.proto").Get("providers")->as_array().size(), 1u);
  EXPECT_EQ(GetJson("/imports?path=common/types.proto").Get("providers")->as_array().size(), 1u);
}

TEST_F(ImportResolution, LockWritesWhatAPushWouldPinAndPushHonoursItOverNewerReleases) {
  StartServer();
  Json common = MustPush("common", "v1.0.0", kCommonV1);
  std::string dir = work_.Sub("order-src");
  FileSet files = kOrderV1;
  files["spoke.yaml"] = "module: order\n";
  WriteFiles(dir, files);
  CommandResult locked = Lock({"-dir", dir});
  ASSERT_EQ(locked.exit_code, 0) << locked.Describe();
  EXPECT_TRUE(Contains(locked.out, "resolved common/types.proto -> common@v1.0.0 (registry index)"))
      << locked.out;
  EXPECT_EQ(
      ReadFiles(dir)["spoke.lock"],
      LockText({{"common", {"v1.0.0", common.GetString("commit"), common.GetString("digest")}}}));

  // A newer release does not move a locked push...
  MustPush("common", "v1.1.0", kCommonV2);
  CommandResult pushed = publisher_->Run({"push", "-version", "v1.0.0", "--dir", dir, "--json"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  Json out = ParseJson(pushed.out);
  EXPECT_EQ(out.Get("resolved")->as_array()[0].GetString("source"), "spoke.lock") << pushed.out;
  EXPECT_EQ(OnlyPin("order", "v1.0.0").GetString("version"), "v1.0.0");
  // ...until the lock is updated.
  ASSERT_EQ(Lock({"-dir", dir}).exit_code, 0);
  EXPECT_EQ(ParseJson(ReadFiles(dir)["spoke.lock"]).Get("dependencies")->GetString("common"),
            "v1.1.0");
}

TEST_F(ImportResolution, PushRefusesALockWhoseDigestDiffersFromTheRegistry) {
  StartServer();
  Json common = MustPush("common", "v1.0.0", kCommonV1);
  std::string dir = work_.Sub("order-src");
  FileSet files = kOrderV1;
  files["spoke.lock"] = LockText(
      {{"common", {"v1.0.0", common.GetString("commit"), "sha256:" + std::string(64, 'f')}}});
  WriteFiles(dir, files);
  std::string refs_before = RefsOf(work_.Sub("storage"));
  CommandResult pushed =
      publisher_->Run({"push", "-module", "order", "-version", "v1.0.0", "-dir", dir});
  EXPECT_EQ(pushed.exit_code, 1) << pushed.Describe();
  EXPECT_TRUE(Contains(pushed.err, "refusing to overwrite")) << pushed.Describe();
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before);
  EXPECT_EQ(ReadFiles(dir)["spoke.lock"], files["spoke.lock"]) << "the lock was overwritten";
}

TEST_F(ImportResolution, LockOfAPublishedVersionIsWhatARecursivePullWritesAndIsHonouredOffline) {
  StartServer();
  MustPush("common", "v1.0.0", kCommonV1);
  MustPush("order", "v1.0.0", kOrderV1, {"common@v1.0.0"});
  std::string locked = work_.Sub("locked"), pulled = work_.Sub("pulled");
  CommandResult lock =
      reader_->Run({"lock", "-module", "order", "-version", "v1.0.0", "-dir", locked, "--json"});
  ASSERT_EQ(lock.exit_code, 0) << lock.Describe();
  EXPECT_EQ(ParseJson(lock.out).Get("locked")->as_array().size(), 2u) << lock.out;
  EXPECT_EQ(ReadFiles(locked).size(), 1u) << "lock wrote more than spoke.lock";
  ASSERT_EQ(PullRecursive(*reader_, pulled, {"-version", "v1.0.0"}).exit_code, 0);
  EXPECT_EQ(ReadFiles(locked)["spoke.lock"], ReadFiles(pulled)["spoke.lock"]);

  // A newer order and the registry gone: the lock still says v1.0.0, and the local store has it.
  MustPush("order", "v1.1.0", kOrderV11, {"common@v1.0.0"});
  server_->Kill();
  CommandResult offline = PullRecursive(*reader_, locked);
  ASSERT_EQ(offline.exit_code, 0) << offline.Describe();
  EXPECT_EQ(ReadFiles(locked)["order/order.proto"], kOrderV1.at("order/order.proto"));
}

TEST_F(ImportResolution, LockHasHelpAndRefusesBadFlags) {
  StartServer();
  CommandResult help = publisher_->Run({"lock", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(Contains(help.out, "spoke.lock")) << help.out;
  EXPECT_EQ(publisher_->Run({"lock", "-dep", "no-version"}).exit_code, 2);
  EXPECT_EQ(publisher_->Run({"lock", "-version", "v1.0.0"}).exit_code, 2);
  EXPECT_EQ(publisher_->Run({"lock", "-module", "order", "-version", "1.0"}).exit_code, 2);
  CommandResult missing =
      publisher_->Run({"lock", "-module", "order", "-version", "v9.9.9", "-dir", work_.Sub("x")});
  EXPECT_EQ(missing.exit_code, 1) << missing.Describe();
  EXPECT_FALSE(std::filesystem::exists(work_.Sub("x/spoke.lock")));
}

}  // namespace
}  // namespace spoke::e2e
