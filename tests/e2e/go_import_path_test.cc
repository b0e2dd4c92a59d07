// Go code for .proto files without `option go_package`, as the original Spoke's document compiles
// them (`spoke compile -lang go -dir ./proto -out ./pkg/events`): each such file gets the default
// import path <prefix>/<its directory>, the prefix coming from --go-package-prefix or the module's
// name, through the CLI (-dir and -module) and the REST routes alike; the prefix is part of the
// artifact key; a plugin that refuses its input is a 422 / exit 1 carrying the plugin's words. The
// generated code is built and vetted with the Go toolchain where Debian's is installed.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "e2e_util.h"
#include "generated_code_fixture.h"
#include "harness.h"

namespace spoke::e2e {
namespace {

// A root file importing one in a subdirectory, with a service for the gRPC plugin; neither sets
// go_package.
const FileSet kEventFiles = {
    {"events.proto",
     "syntax = \"proto3\";\npackage events;\n\nimport \"types/ids.proto\";\n\n"
     "message UserAction {\n  types.UserId user = 1;\n  string action_type = 2;\n}\n"
     "message Ack {}\n"
     "service Events {\n  rpc Send(UserAction) returns (Ack);\n}\n"},
    {"types/ids.proto",
     "syntax = \"proto3\";\npackage types;\n\nmessage UserId {\n  string value = 1;\n}\n"},
};

// A go_package protoc-gen-go cannot use: an import path that could be a package name.
const FileSet kBadGoPackageFiles = {
    {"bad.proto",
     "syntax = \"proto3\";\npackage bad;\noption go_package = \"foo;\";\n\nmessage Bad {}\n"},
};

bool OnPath(const std::string& program) {
  return RunCommand({{"/bin/sh", "-c", "command -v " + program}, {}, ""}).exit_code == 0;
}

// Debian's Go toolchain and its packaged google.golang.org/protobuf, for building what is generated
// in GOPATH mode (no network, no module download).
bool HaveGoToolchain() {
  return OnPath("go") &&
         std::filesystem::exists("/usr/share/gocode/src/google.golang.org/protobuf");
}

// The key of the only artifact a one-language `--json` compile printed.
std::string KeyOf(const Json& out) {
  const Json* artifacts = out.Get("artifacts");
  if (!artifacts || !artifacts->is_array() || artifacts->as_array().size() != 1) {
    ADD_FAILURE() << "expected one artifact in " << out.Dump(2);
    return "";
  }
  return artifacts->as_array()[0].GetString("key");
}

class GoWithoutGoPackage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OnPath("protoc-gen-go"))
      GTEST_SKIP() << "protoc-gen-go is not installed (apt-get install protoc-gen-go)";
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    user_ = std::make_unique<CliUser>(work_.Sub("home"), server_->url());
    WriteFiles(work_.Sub("proto"), kEventFiles);
  }

  void TearDown() override {
    if (server_) GitFsck(work_.Sub("storage"));
  }

  void Push(const std::string& module, const FileSet& files) {
    WriteFiles(work_.Sub("push-" + module), files);
    CommandResult push = user_->Run(
        {"push", "-module", module, "-version", "v1.0.0", "-dir", work_.Sub("push-" + module)});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
  }

  // `spoke compile -lang <lang> -dir <dir> -out <out> --json --recursive` plus `extra`.
  CommandResult CompileDir(const std::string& dir, const std::string& out,
                           std::vector<std::string> extra = {}, const std::string& lang = "go") {
    std::vector<std::string> args{"compile", "-lang", lang,     "-dir",       dir,
                                  "-out",    out,     "--json", "--recursive"};
    args.insert(args.end(), extra.begin(), extra.end());
    return user_->Run(args);
  }

  // Vets the generated packages under <gopath>/src/<prefix> and runs a program that round-trips a
  // message across the two packages; skipped without the Go toolchain.
  void ExpectGoBuildsAndRoundTrips(const std::string& gopath, const std::string& prefix) {
    if (!HaveGoToolchain()) {
      std::printf(
          "note: no Go toolchain (golang-go, golang-google-protobuf-dev): not building the Go "
          "code\n");
      return;
    }
    const std::string main_go =
        "package main\n"
        "import (\n  \"fmt\"\n  \"google.golang.org/protobuf/proto\"\n"
        "  events \"" +
        prefix + "\"\n  \"" + prefix +
        "/types\"\n)\n"
        "func main() {\n"
        "  a := &events.UserAction{User: &types.UserId{Value: \"u-1\"}, ActionType: \"click\"}\n"
        "  b, err := proto.Marshal(a)\n  if err != nil { panic(err) }\n"
        "  back := &events.UserAction{}\n"
        "  if err := proto.Unmarshal(b, back); err != nil { panic(err) }\n"
        "  fmt.Println(back.User.Value, back.ActionType)\n}\n";
    WriteFiles(gopath + "/src/spokecheck", {{"main.go", main_go}});
    const Env env = {{"GO111MODULE", "off"},
                     {"GOFLAGS", ""},
                     {"GOPATH", gopath + ":/usr/share/gocode"},
                     {"GOCACHE", work_.Sub("gocache")}};
    CommandResult vet = RunCommand({{"go", "vet", prefix + "/..."}, env, gopath});
    EXPECT_EQ(vet.exit_code, 0) << vet.Describe();
    CommandResult ran = RunCommand({{"go", "run", "spokecheck"}, env, gopath});
    EXPECT_EQ(ran.exit_code, 0) << ran.Describe();
    EXPECT_EQ(ran.out, "u-1 click\n");
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  std::unique_ptr<CliUser> user_;
};

TEST_F(GoWithoutGoPackage,
       ADirCompileGivesEachFileItsDirectoryUnderTheDirectorysNameAndTheCodeBuilds) {
  const std::string gopath = work_.Sub("gopath");
  Json first = JsonOut(CompileDir(work_.Sub("proto"), gopath + "/src"));
  // "proto" alone would be taken for a package name by protoc-gen-go: it goes under example/.
  FileSet generated = ReadFiles(gopath + "/src");
  EXPECT_EQ(PathsOf(generated),
            (std::set<std::string>{"example/proto/events.pb.go", "example/proto/types/ids.pb.go"}));
  const std::string events = generated["example/proto/events.pb.go"];
  EXPECT_TRUE(Contains(events, "package proto\n")) << events.substr(0, 600);
  EXPECT_TRUE(Contains(events, "types \"example/proto/types\"")) << events.substr(0, 600);
  EXPECT_TRUE(Contains(generated["example/proto/types/ids.pb.go"], "package types\n"));
  ExpectGoBuildsAndRoundTrips(gopath, "example/proto");

  // The same command again is served by the `spoke` front end alone (no spoke-core beside it),
  // from the checkout cache: it computes the key the prefix is part of as spoke-core does.
  const std::string alone = work_.Sub("alone");
  std::filesystem::create_directories(alone);
  std::filesystem::copy_file(SPOKE_BIN, alone + "/spoke");
  CommandResult hit =
      RunCommand({{alone + "/spoke", "compile", "-lang", "go", "-dir", work_.Sub("proto"), "-out",
                   work_.Sub("again"), "--json", "--recursive"},
                  user_->env(),
                  ""});
  Json second = JsonOut(hit);
  EXPECT_EQ(KeyOf(second), KeyOf(first));
  EXPECT_EQ(second.Get("generator_runs") ? second.Get("generator_runs")->as_int() : -1, 0)
      << second.Dump(2);
  ExpectSameFiles(ReadFiles(work_.Sub("again")), generated);
}

TEST_F(GoWithoutGoPackage, TheModuleSpokeYamlNamesIsThePrefixAndGoGrpcTakesItToo) {
  Json by_dir_name = JsonOut(CompileDir(work_.Sub("proto"), work_.Sub("by-dir-name")));
  WriteFiles(work_.Sub("proto"), {{"spoke.yaml", "module: events\n"}});
  Json by_module = JsonOut(CompileDir(work_.Sub("proto"), work_.Sub("by-module")));
  EXPECT_EQ(
      PathsOf(ReadFiles(work_.Sub("by-module"))),
      (std::set<std::string>{"example/events/events.pb.go", "example/events/types/ids.pb.go"}));
  EXPECT_NE(KeyOf(by_module), KeyOf(by_dir_name)) << "two prefixes shared an artifact";

  if (!OnPath("protoc-gen-go-grpc")) GTEST_SKIP() << "protoc-gen-go-grpc is not installed";
  Json grpc = JsonOut(CompileDir(work_.Sub("proto"), work_.Sub("grpc"), {}, "go-grpc"));
  FileSet services = ReadFiles(work_.Sub("grpc"));
  EXPECT_EQ(PathsOf(services), (std::set<std::string>{"example/events/events_grpc.pb.go"}));
  EXPECT_TRUE(Contains(services["example/events/events_grpc.pb.go"], "package events\n"));
}

TEST_F(GoWithoutGoPackage, APrefixGivenChangesTheImportPathsAndTheKeyWhichExplainKeyShows) {
  const std::string gopath = work_.Sub("gopath");
  Json by_default = JsonOut(CompileDir(work_.Sub("proto"), work_.Sub("default")));
  // Both spellings of the flag.
  Json given = JsonOut(CompileDir(work_.Sub("proto"), gopath + "/src",
                                  {"--go-package-prefix", "example.com/acme/gen"}));
  Json single_dash = JsonOut(CompileDir(work_.Sub("proto"), work_.Sub("single-dash"),
                                        {"-go-package-prefix", "example.com/acme/gen"}));
  EXPECT_NE(KeyOf(given), KeyOf(by_default));
  EXPECT_EQ(KeyOf(single_dash), KeyOf(given));
  FileSet generated = ReadFiles(gopath + "/src");
  EXPECT_EQ(PathsOf(generated), (std::set<std::string>{"example.com/acme/gen/events.pb.go",
                                                       "example.com/acme/gen/types/ids.pb.go"}));
  EXPECT_TRUE(Contains(generated["example.com/acme/gen/events.pb.go"],
                       "types \"example.com/acme/gen/types\""));
  EXPECT_TRUE(Contains(generated["example.com/acme/gen/events.pb.go"], "package gen\n"));
  ExpectGoBuildsAndRoundTrips(gopath, "example.com/acme/gen");

  CommandResult explain =
      user_->Run({"compile", "-lang", "go", "-dir", work_.Sub("proto"), "-out", work_.Sub("unused"),
                  "--recursive", "--explain-key", "--go-package-prefix", "example.com/acme/gen"});
  ASSERT_EQ(explain.exit_code, 0) << explain.Describe();
  EXPECT_TRUE(Contains(explain.out, "# go: key " + KeyOf(given) + "\n")) << explain.out;
  EXPECT_TRUE(
      Contains(explain.out, "\nparameter \ngo_package_prefix example.com/acme/gen\nsource "))
      << explain.out;
  // A language that places no code by Go import path keeps one key whatever the prefix.
  CommandResult cpp =
      user_->Run({"compile", "-lang", "cpp", "-dir", work_.Sub("proto"), "-out",
                  work_.Sub("unused"), "--explain-key", "--go-package-prefix", "example.com/x"});
  ASSERT_EQ(cpp.exit_code, 0) << cpp.Describe();
  EXPECT_FALSE(Contains(cpp.out, "go_package_prefix")) << cpp.out;

  for (const char* bad : {"a//b", "/abs", "has space", "trailing.", "comma,x"}) {
    SCOPED_TRACE(std::string("--go-package-prefix \"") + bad + "\"");
    CommandResult refused =
        CompileDir(work_.Sub("proto"), work_.Sub("refused"), {"--go-package-prefix", bad});
    EXPECT_EQ(refused.exit_code, 2) << refused.Describe();
    EXPECT_TRUE(Contains(refused.err, "is not a Go import path")) << refused.Describe();
  }
  EXPECT_FALSE(std::filesystem::exists(work_.Sub("refused")));
}

TEST_F(GoWithoutGoPackage, AModuleCompilesByCliAndRestUnderTheModulesNameWithTheSameKeys) {
  Push("events", kEventFiles);
  if (HasFatalFailure()) return;
  CompileAnswer rest = PostCompile(*http_, "events", "v1.0.0", "go");
  ASSERT_EQ(rest.status, 201) << rest.raw;
  EXPECT_EQ(
      PathsOf(FileSizes(rest.body)),
      (std::set<std::string>{"example/events/events.pb.go", "example/events/types/ids.pb.go"}));

  Json cli = JsonOut(user_->Run({"compile", "-module", "events", "-version", "v1.0.0", "-lang",
                                 "go", "-out", work_.Sub("cli"), "--json"}));
  EXPECT_EQ(KeyOf(cli), rest.body.GetString("key"));
  EXPECT_EQ(cli.GetString("source"), "by the registry");
  EXPECT_EQ(
      PathsOf(ReadFiles(work_.Sub("cli"))),
      (std::set<std::string>{"example/events/events.pb.go", "example/events/types/ids.pb.go"}));

  // A prefix of the caller's: a new artifact, the same one by either road.
  auto given =
      http_->Post("/modules/events/versions/v1.0.0/compile/go?go_package_prefix=example.com%2Fev",
                  "", "application/json");
  ASSERT_TRUE(given);
  ASSERT_EQ(given->status, 201) << given->body;
  Json given_body = ParseJson(given->body);
  EXPECT_NE(given_body.GetString("key"), rest.body.GetString("key"));
  EXPECT_EQ(
      PathsOf(FileSizes(given_body)),
      (std::set<std::string>{"example.com/ev/events.pb.go", "example.com/ev/types/ids.pb.go"}));
  Json cli_given = JsonOut(
      user_->Run({"compile", "-module", "events", "-version", "v1.0.0", "-lang", "go", "-out",
                  work_.Sub("cli-given"), "--json", "--go-package-prefix", "example.com/ev"}));
  EXPECT_EQ(KeyOf(cli_given), given_body.GetString("key"));
  auto download =
      http_->Get("/modules/events/versions/v1.0.0/download/go?go_package_prefix=example.com/ev");
  ASSERT_TRUE(download);
  EXPECT_EQ(download->status, 200);
  EXPECT_EQ(download->get_header_value("X-Spoke-Artifact-Key"), given_body.GetString("key"));

  // Compiled locally (no registry) it is still the same key and the same bytes.
  Json offline = JsonOut(user_->Run({"compile", "-module", "events", "-version", "v1.0.0", "-lang",
                                     "go", "-out", work_.Sub("offline"), "--json", "--offline",
                                     "--go-package-prefix", "example.com/ev"}));
  EXPECT_EQ(KeyOf(offline), given_body.GetString("key"));
  ExpectSameFiles(ReadFiles(work_.Sub("offline")), ReadFiles(work_.Sub("cli-given")));

  std::string message;
  EXPECT_EQ(ExpectJsonError(
                http_->Post("/modules/events/versions/v1.0.0/compile/go?go_package_prefix=a%2F%2Fb",
                            "", "application/json"),
                400, &message),
            "invalid_argument");
  EXPECT_TRUE(Contains(message, "is not a Go import path")) << message;
}

TEST_F(GoWithoutGoPackage, APluginRefusingItsInputIs422AndExit1WithThePluginsMessage) {
  Push("badgo", kBadGoPackageFiles);
  if (HasFatalFailure()) return;
  const std::string refs_before = RefsOf(work_.Sub("storage"));
  std::string message;
  EXPECT_EQ(ExpectJsonError(
                http_->Post("/modules/badgo/versions/v1.0.0/compile/go", "", "application/json"),
                422, &message),
            "failed_precondition");
  EXPECT_TRUE(Contains(message, "invalid Go import path \"foo\" for \"bad.proto\"")) << message;
  EXPECT_EQ(
      ExpectJsonError(http_->Get("/modules/badgo/versions/v1.0.0/download/go"), 422, &message),
      "failed_precondition");
  EXPECT_TRUE(Contains(message, "invalid Go import path")) << message;
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before) << "a refused compile stored an artifact";

  CommandResult module = user_->Run({"compile", "-module", "badgo", "-version", "v1.0.0", "-lang",
                                     "go", "-out", work_.Sub("module-out")});
  EXPECT_EQ(module.exit_code, 1) << module.Describe();
  EXPECT_TRUE(Contains(module.err, "invalid Go import path \"foo\"")) << module.Describe();

  WriteFiles(work_.Sub("bad"), kBadGoPackageFiles);
  CommandResult dir = user_->Run(
      {"compile", "-dir", work_.Sub("bad"), "-lang", "go", "-out", work_.Sub("dir-out")});
  EXPECT_EQ(dir.exit_code, 1) << dir.Describe();
  EXPECT_TRUE(Contains(dir.err, "invalid Go import path \"foo\"")) << dir.Describe();
  EXPECT_TRUE(ReadFiles(work_.Sub("dir-out")).empty());
}

}  // namespace
}  // namespace spoke::e2e
