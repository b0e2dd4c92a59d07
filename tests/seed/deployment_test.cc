// The document's "Deployment Patterns" (lines 465-507), "Best Practices" (lines 509-573) and
// "Troubleshooting" (lines 575-614).
#include <gtest/gtest.h>
#include <algorithm>
#include <fstream>

#include <filesystem>

#include "e2e_util.h"
#include "seed_protos.h"
#include "seed_support.h"

namespace spoke::seed {
namespace {

using e2e::Contains;
using e2e::ReadFiles;
using e2e::WriteFiles;

class SeedDeployment : public SeedTest {};

// Line 471 (and 474, which starts Sprocket on the same storage). The port is 0 instead of 8080 so
// the kernel picks a free one; the storage dir ./local-storage is kept, relative to the
// developer's directory.
const DocLine kLocalRegistry{471, "spoke-server -port 8080 -storage-dir ./local-storage"};
// Lines 484 and 487. The port is 0 instead of 8080; the storage directory is under the test's
// temp dir instead of /var/spoke/storage.
const DocLine kProductionRegistry{484, "spoke-server -port 8080 -storage-dir /var/spoke/storage"};

// Lines 469-478 (Sprocket's line 474: DevelopmentEnvironmentSprocket). The developer runs a
// registry of their own on ./local-storage and pushes a pre-release of their service to it; the
// version is a tag in that git store.
TEST_F(SeedDeployment, DevelopmentEnvironment) {
  Host developer = NewHost("developer");
  DocServer registry;
  StartDocServer(developer, kLocalRegistry, "", {{"8080", "0"}}, &registry);
  ExpectServesHealth(registry.port, developer.Path("local-storage"));

  Host laptop = developer.WithRegistry(registry.url());
  WriteFiles(laptop.Path("myservice"), {{"myservice.proto", kSensorData}});
  const DocLine push{477, "spoke push -module myservice -version v0.1.0-dev"};
  CommandResult pushed = laptop.Run(push, "myservice");
  ASSERT_EQ(pushed.exit_code, 0) << Described(push, pushed);

  auto version = e2e::HttpClient(registry.port)->Get("/modules/myservice/versions/v0.1.0-dev");
  ASSERT_TRUE(version);
  EXPECT_EQ(version->status, 200) << version->body;
  EXPECT_TRUE(
      Contains(e2e::RefsOf(developer.Path("local-storage")), "refs/tags/myservice/v0.1.0-dev"));
  e2e::GitFsck(developer.Path("local-storage"));
  registry.Stop();
}

// Line 474: Sprocket beside the development registry (issue 17; see
// SeedComponents.SprocketCompilationService).
TEST_F(SeedDeployment, DevelopmentEnvironmentSprocket) {
  const DocLine sprocket_line{474, "sprocket -storage-dir ./local-storage -delay 5s"};
  ExpectVerbatim(sprocket_line);
  if (BuiltSprocket().empty()) GTEST_SKIP() << "sprocket: issue 17";
  Host developer = NewHost("developer");
  DocServer registry;
  StartDocServer(developer, kLocalRegistry, "", {{"8080", "0"}}, &registry);
  auto sprocket = developer.Start(sprocket_line);
  ASSERT_TRUE(sprocket);
  Host laptop = developer.WithRegistry(registry.url());
  WriteFiles(laptop.Path("myservice"), {{"myservice.proto", kSensorData}});
  ExpectSprocketCompiles(*sprocket, developer.Path("local-storage"), "myservice@v0.1.0-dev", [&] {
    const DocLine push{477, "spoke push -module myservice -version v0.1.0-dev"};
    CommandResult pushed = laptop.Run(push, "myservice");
    ASSERT_EQ(pushed.exit_code, 0) << Described(push, pushed);
  });
  registry.Stop();
}

// Lines 480-494 (systemctl's line 487: ProductionEnvironmentSystemdSprocket). A release pushed
// by a developer is pulled by a service on deployment; the registry's storage persists: the same
// line started again serves the version.
TEST_F(SeedDeployment, ProductionEnvironment) {
  Host ops = NewHost("ops");
  const std::string storage = ops.Path("var/spoke/storage");
  const Substitutions on_this_machine = {{"8080", "0"}, {"/var/spoke/storage", storage}};
  DocServer registry;
  StartDocServer(ops, kProductionRegistry, "", on_this_machine, &registry);
  ExpectServesHealth(registry.port, storage);

  Host developer = NewHost("developer").WithRegistry(registry.url());
  WriteFiles(developer.Path("myservice"), {{"myservice.proto", kSensorData}});
  const DocLine push{490, "spoke push -module myservice -version v1.0.0"};
  CommandResult pushed = developer.Run(push, "myservice");
  ASSERT_EQ(pushed.exit_code, 0) << Described(push, pushed);

  Host service = NewHost("myservice-deploy").WithRegistry(registry.url());
  const DocLine pull{493, "spoke pull -module myservice -version v1.0.0"};
  CommandResult pulled = service.Run(pull);
  ASSERT_EQ(pulled.exit_code, 0) << Described(pull, pulled);
  ExpectFilesAre(service.dir(), {{"myservice.proto", kSensorData}});
  registry.Stop();

  DocServer restarted;
  StartDocServer(ops, kProductionRegistry, "", on_this_machine, &restarted);
  auto version = e2e::HttpClient(restarted.port)->Get("/modules/myservice/versions/v1.0.0");
  ASSERT_TRUE(version);
  EXPECT_EQ(version->status, 200) << version->body;
  restarted.Stop();
}

// Line 487: Sprocket as a systemd service. Tests have no init system, so the test does what
// `systemctl start sprocket` does with the unit the repository ships (contrib/systemd/
// sprocket.service): it runs the unit's ExecStart, with the installed binary's path and
// /var/spoke/storage made this test's, and stops it with the unit's KillSignal.
TEST_F(SeedDeployment, ProductionEnvironmentSystemdSprocket) {
  ExpectVerbatim({487, "systemctl start sprocket"});
  std::ifstream unit_file(SPOKE_SOURCE_DIR "/contrib/systemd/sprocket.service");
  ASSERT_TRUE(unit_file) << "contrib/systemd/sprocket.service is missing";
  std::string exec_start, kill_signal;
  for (std::string line; std::getline(unit_file, line);) {
    if (line.rfind("ExecStart=", 0) == 0) exec_start = line.substr(10);
    if (line.rfind("KillSignal=", 0) == 0) kill_signal = line.substr(11);
  }
  EXPECT_EQ(kill_signal, "SIGTERM");
  ShellWords words = SplitShellWords(exec_start);
  ASSERT_TRUE(words.error.empty() && !words.words.empty()) << exec_start << ": " << words.error;
  ASSERT_EQ(words.words[0], "/usr/local/bin/sprocket") << exec_start;
  ASSERT_FALSE(BuiltSprocket().empty()) << "no sprocket built beside spoke-server";
  const std::string storage = work_.Sub("registry-storage");
  e2e::Process::Options options;
  options.argv = words.words;
  options.argv[0] = BuiltSprocket();
  for (auto& word : options.argv) {
    if (word == "/var/spoke/storage") word = storage;
  }
  ASSERT_NE(std::find(options.argv.begin(), options.argv.end(), storage), options.argv.end())
      << "the unit does not run sprocket on /var/spoke/storage: " << exec_start;
  auto sprocket = e2e::Process::Start(options);
  ASSERT_TRUE(sprocket);
  ExpectSprocketCompiles(*sprocket, storage, "events@v1.0.0", [&] {
    Publish("events", "v1.0.0", {{"events.proto", kEvents}});
  });
}

// Lines 496-507: the CI step. ${{ github.repository }} and ${{ github.ref_name }} are what GitHub
// would put there for a tag push of the acme/orders repository, "acme/orders" and "v1.4.0", and
// https://spoke.company.com is the test's registry. The runner's SPOKE_REGISTRY points nowhere, so
// the push can only reach the registry through -registry.
TEST_F(SeedDeployment, CiCdIntegration) {
  Host runner(work_.Sub("runner"), work_.Sub("runner.spoke-home"), "http://127.0.0.1:1");
  const std::string orders =
      "syntax = \"proto3\";\n\npackage acme.orders.v1;\n\n"
      "message Order {\n  string id = 1;\n  repeated string items = 2;\n}\n";
  WriteFiles(runner.Path("proto"), {{"orders.proto", orders}});
  const DocLine ci{502, R"(spoke push \
      -module ${{ github.repository }} \
      -version ${{ github.ref_name }} \
      -dir ./proto \
      -registry https://spoke.company.com)"};
  CommandResult pushed = runner.Run(ci, "",
                                    {{"${{ github.repository }}", "acme/orders"},
                                     {"${{ github.ref_name }}", "v1.4.0"},
                                     {"https://spoke.company.com", server_->url()}});
  ASSERT_EQ(pushed.exit_code, 0) << Described(ci, pushed);
  Json version = e2e::ParseJson(GetBody("/modules/acme/orders/versions/v1.4.0?include=content"));
  ASSERT_TRUE(version.Get("files") && version.Get("files")->is_array()) << version.Dump();
  ASSERT_EQ(version.Get("files")->as_array().size(), 1u) << version.Dump();
  EXPECT_EQ(version.Get("files")->as_array()[0].GetString("content"), orders);
}

// Lines 518-523: an explicit version, not the latest: common has a newer release, v1.3.0.
TEST_F(SeedDeployment, ExplicitDependencies) {
  Publish("common", "v1.2.0", kCommonV1);
  Publish("common", "v1.3.0",
          {{"types.proto", kCommonTypes + "\nmessage Money {\n  int64 units = 1;\n}\n"}});
  Host service = NewHost("service");
  const DocLine pull{522, "spoke pull -module common -version v1.2.0  # Not \"latest\""};
  CommandResult pulled = service.Run(pull);
  ASSERT_EQ(pulled.exit_code, 0) << Described(pull, pulled);
  ExpectFilesAre(service.dir(), {{"types.proto", kCommonTypes}});
}

// Lines 577-585: two agents' versions side by side; diff -r shows the schema change and nothing
// else (a pull leaves no bookkeeping file in the directory).
TEST_F(SeedDeployment, TroubleshootingIncompatibleSchemas) {
  Publish("myapi", "v1.0.0", {{"myapi.proto", kMyApiV1}});
  Publish("myapi", "v1.1.0", {{"myapi.proto", kMyApiV11}});
  Host operator_host = NewHost("operator");
  const DocLine pull_a{582, "spoke pull -module myapi -version v1.0.0 -dir ./agent-a-proto"};
  CommandResult pulled_a = operator_host.Run(pull_a);
  ASSERT_EQ(pulled_a.exit_code, 0) << Described(pull_a, pulled_a);
  const DocLine pull_b{583, "spoke pull -module myapi -version v1.1.0 -dir ./agent-b-proto"};
  CommandResult pulled_b = operator_host.Run(pull_b);
  ASSERT_EQ(pulled_b.exit_code, 0) << Described(pull_b, pulled_b);

  const DocLine diff{584, "diff -r ./agent-a-proto ./agent-b-proto"};
  CommandResult diffed = operator_host.Run(diff);
  EXPECT_EQ(diffed.exit_code, 1) << Described(diff, diffed);
  EXPECT_TRUE(
      Contains(diffed.out, "diff -r ./agent-a-proto/myapi.proto ./agent-b-proto/myapi.proto\n"))
      << Described(diff, diffed);
  EXPECT_TRUE(Contains(diffed.out, "> " + kMyApiNewField)) << Described(diff, diffed);
  EXPECT_FALSE(Contains(diffed.out, "Only in")) << Described(diff, diffed);
}

const std::string kProfile =
    "syntax = \"proto3\";\n\npackage company.userservice.v1;\n\n"
    "option go_package = \"example.com/company/userservice/v1;userservicev1\";\n\n"
    "message UserProfile {\n  string user_id = 1;\n  string display_name = 2;\n  Status status = "
    "3;\n}\n\n"
    "enum Status {\n  STATUS_UNKNOWN = 0;\n  STATUS_ACTIVE = 1;\n}\n";
const std::string kProfileService =
    "syntax = \"proto3\";\n\npackage company.userservice.v1;\n\n"
    "option go_package = \"example.com/company/userservice/v1;userservicev1\";\n\n"
    "import \"profile.proto\";\n\n"
    "message GetProfileRequest {\n  string user_id = 1;\n}\n\n"
    "service UserService {\n  rpc GetProfile(GetProfileRequest) returns (UserProfile);\n}\n";

// Lines 587-593: validate before pushing, then protoc with the Go plugin over ./proto/*.proto (a
// glob, so through /bin/sh; --go_out is a directory of the test instead of /tmp). A directory
// with an error fails validate with its file:line:col.
TEST_F(SeedDeployment, TroubleshootingCompilationFails) {
  const DocLine validate{591, "spoke validate -dir ./proto"};
  Host developer = NewHost("developer");
  WriteFiles(developer.Path("proto"),
             {{"profile.proto", kProfile}, {"service.proto", kProfileService}});
  CommandResult valid = developer.Run(validate);
  EXPECT_EQ(valid.exit_code, 0) << Described(validate, valid);

  Host mistaken = NewHost("mistaken");
  std::string wrong = kProfile;
  wrong.replace(wrong.find("Status status"), 6, "State");
  WriteFiles(mistaken.Path("proto"),
             {{"profile.proto", wrong}, {"service.proto", kProfileService}});
  CommandResult invalid = mistaken.Run(validate);
  EXPECT_EQ(invalid.exit_code, 1) << Described(validate, invalid);
  EXPECT_TRUE(Contains(invalid.out + invalid.err, "profile.proto:10:3:"))
      << Described(validate, invalid);

  if (!OnPath("protoc") || !OnPath("protoc-gen-go"))
    GTEST_SKIP() << "protoc and protoc-gen-go are needed on PATH for line 592";
  const std::string go_out = developer.Path("go-out");
  std::filesystem::create_directories(go_out);
  const DocLine protoc{592, "protoc --proto_path=./proto --go_out=/tmp ./proto/*.proto"};
  CommandResult generated = developer.RunInShell(protoc, "", {{"/tmp", go_out}});
  ASSERT_EQ(generated.exit_code, 0) << Described(protoc, generated);
  FileSet go = ReadFiles(go_out);
  EXPECT_TRUE(go.count("example.com/company/userservice/v1/profile.pb.go")) << generated.Describe();
  EXPECT_TRUE(go.count("example.com/company/userservice/v1/service.pb.go")) << generated.Describe();
}

// Lines 595-600: mymodule imports common/types.proto; the recursive pull brings it, mounted at
// common/, so the import is found.
TEST_F(SeedDeployment, TroubleshootingImportNotFound) {
  Publish("common", "v1.0.0", kCommonV1);
  const std::string mymodule =
      "syntax = \"proto3\";\n\npackage mymodule;\n\nimport \"common/types.proto\";\n\n"
      "message Thing {\n  common.UUID id = 1;\n  common.Timestamp updated_at = 2;\n}\n";
  Publish("mymodule", "v1.0.0", {{"mymodule.proto", mymodule}});
  Host service = NewHost("service");
  const DocLine pull{599, "spoke pull -module mymodule -version v1.0.0 -recursive"};
  CommandResult pulled = service.Run(pull);
  ASSERT_EQ(pulled.exit_code, 0) << Described(pull, pulled);
  FileSet tree = ReadFiles(service.dir());
  EXPECT_EQ(tree["mymodule.proto"], mymodule);
  EXPECT_EQ(tree["common/types.proto"], kCommonTypes) << Described(pull, pulled);
  ExpectProtocBuilds(service.dir(), "mymodule.proto");
}

}  // namespace
}  // namespace spoke::seed
