// The compile route: a version's code is generated once per language and then served from the
// artifact cache under the same key; bad languages, versions and modules are 4xx JSON, and a
// generator whose plugin the server cannot find is 503 naming the package to install.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>

#include "archive_reader.h"
#include "generated_code_fixture.h"
#include "harness.h"

namespace spoke::e2e {
namespace {

using CompileRoutes = RegistryWithModules;

TEST_F(CompileRoutes, FirstCompileAnswers201AndTheSecondFindsTheSameArtifactCached) {
  CompileAnswer first = PostCompile(*http_, "shop", "v1.0.0", "cpp");
  ASSERT_EQ(first.status, 201) << first.raw;
  const Json& one = first.body;
  EXPECT_EQ(one.GetString("module"), "shop");
  EXPECT_EQ(one.GetString("version"), "v1.0.0");
  EXPECT_EQ(one.GetString("language"), "cpp");
  std::string key = one.GetString("key");
  ASSERT_TRUE(IsHex(key, 64)) << first.raw;
  EXPECT_EQ(one.GetString("ref"), "refs/artifacts/" + key.substr(0, 2) + "/" + key);
  EXPECT_TRUE(IsHex(one.GetString("commit"), 40)) << first.raw;
  ASSERT_TRUE(one.Get("cached") && one.Get("cached")->is_bool()) << first.raw;
  EXPECT_FALSE(one.Get("cached")->as_bool());
  auto sizes = FileSizes(one);
  EXPECT_EQ(PathsOf(sizes), kShopCppFiles);
  for (const auto& [path, size] : sizes) EXPECT_GT(size, 0) << path;

  CompileAnswer second = PostCompile(*http_, "shop", "v1.0.0", "cpp");
  ASSERT_EQ(second.status, 200) << second.raw;
  EXPECT_TRUE(second.body.Get("cached") && second.body.Get("cached")->as_bool()) << second.raw;
  EXPECT_EQ(second.body.GetString("key"), key);
  EXPECT_EQ(second.body.GetString("ref"), one.GetString("ref"));
  EXPECT_EQ(second.body.GetString("commit"), one.GetString("commit"));
  // The first compile staged its files on disk and measured them there; the hit read them back.
  EXPECT_EQ(FileSizes(second.body), sizes);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(Storage() + "/spoke-incoming", ec)) {
    ADD_FAILURE() << "a compile left " << entry.path();
  }

  // "latest" names the same version, so the same artifact.
  CompileAnswer latest = PostCompile(*http_, "shop", "latest", "cpp");
  ASSERT_EQ(latest.status, 200) << latest.raw;
  EXPECT_EQ(latest.body.GetString("key"), key);

  // The artifact is a ref of the registry's store, readable with stock git.
  EXPECT_NE(RefsOf(Storage()).find(one.GetString("ref") + " " + one.GetString("commit") + "\n"),
            std::string::npos)
      << RefsOf(Storage());
  CommandResult record =
      RunGit({"-C", Storage(), "show", one.GetString("commit") + ":artifact.json"});
  ASSERT_EQ(record.exit_code, 0) << record.Describe();
  auto parsed = Json::Parse(record.out);
  ASSERT_TRUE(parsed.ok()) << record.out;
  EXPECT_EQ(parsed->GetString("key"), key);
  EXPECT_EQ(parsed->GetString("language"), "cpp");
  GitFsck(Storage());
}

// What `curl -X POST URL` sends: no body, and neither Content-Length nor Transfer-Encoding, which
// HTTP/1.1 defines as an empty body. The answer must come at once, not after a read timeout.
TEST_F(CompileRoutes, APostWithoutContentLengthHasAnEmptyBody) {
  const std::string request =
      "POST /modules/shop/versions/v1.0.0/compile/cpp HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  for (const char* status : {"HTTP/1.1 201 ", "HTTP/1.1 200 "}) {
    SCOPED_TRACE(status);
    std::optional<std::string> answer =
        RawHttpExchange(server_->port(), request, std::chrono::seconds(30));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->rfind(status, 0), 0u) << answer->substr(0, 300);
    const size_t body = answer->find("\r\n\r\n");
    ASSERT_NE(body, std::string::npos) << *answer;
    auto json = Json::Parse(answer->substr(body + 4));
    ASSERT_TRUE(json.ok()) << *answer;
    EXPECT_EQ(json->GetString("language"), "cpp");
    EXPECT_TRUE(IsHex(json->GetString("key"), 64)) << *answer;
  }
}

TEST_F(CompileRoutes, EveryBuiltInLanguageCompilesUnderItsOwnKey) {
  std::set<std::string> keys;
  for (std::string language :
       {"cpp", "java", "kotlin", "python", "csharp", "objc", "php", "ruby"}) {
    SCOPED_TRACE(language);
    CompileAnswer answer = PostCompile(*http_, "shop", "v1.0.0", language);
    ASSERT_EQ(answer.status, 201) << answer.raw;
    EXPECT_EQ(answer.body.GetString("language"), language);
    EXPECT_FALSE(FileSizes(answer.body).empty()) << answer.raw;
    EXPECT_TRUE(keys.insert(answer.body.GetString("key")).second)
        << "two languages share the key " << answer.body.GetString("key");
  }
  CompileAnswer python = PostCompile(*http_, "shop", "v1.0.0", "python");
  ASSERT_EQ(python.status, 200) << python.raw;
  EXPECT_EQ(PathsOf(FileSizes(python.body)),
            (std::set<std::string>{"shop/money_pb2.py", "shop/money_pb2.pyi", "shop/order_pb2.py",
                                   "shop/order_pb2.pyi"}));
}

TEST_F(CompileRoutes, AVersionImportingWellKnownTypesCompiles) {
  CompileAnswer answer = PostCompile(*http_, "clock", "v2.1.0", "cpp");
  ASSERT_EQ(answer.status, 201) << answer.raw;
  // Code is generated for the version's own file only, never for the well-known types.
  EXPECT_EQ(PathsOf(FileSizes(answer.body)), (std::set<std::string>{"clock.pb.cc", "clock.pb.h"}));
  auto download = http_->Get("/modules/clock/versions/v2.1.0/download/cpp");
  ASSERT_TRUE(download);
  ASSERT_EQ(download->status, 200) << download->body;
  FileSet code = ReadArchive(download->body);
  EXPECT_NE(code["clock.pb.h"].find("#include <google/protobuf/timestamp.pb.h>"), std::string::npos)
      << code["clock.pb.h"];
  CompileAnswer python = PostCompile(*http_, "clock", "v2.1.0", "python");
  ASSERT_EQ(python.status, 201) << python.raw;
  EXPECT_EQ(PathsOf(FileSizes(python.body)),
            (std::set<std::string>{"clock_pb2.py", "clock_pb2.pyi"}));
}

TEST_F(CompileRoutes, UnknownLanguageIs404JsonNamingTheKnownLanguages) {
  std::string refs_before = RefsOf(Storage());
  for (std::string route : {"/modules/shop/versions/v1.0.0/compile/fortran",
                            "/modules/shop/versions/latest/compile/cobol-grpc"}) {
    SCOPED_TRACE(route);
    std::string message;
    EXPECT_EQ(ExpectJsonError(http_->Post(route.c_str(), "", "application/json"), 404, &message),
              "not_found");
    EXPECT_NE(message.find("unknown language"), std::string::npos) << message;
    for (const char* known : {"cpp", "java", "python", "go", "grpc-cpp"}) {
      EXPECT_NE(message.find(known), std::string::npos) << known << " missing from: " << message;
    }
  }
  std::string message;
  EXPECT_EQ(
      ExpectJsonError(http_->Get("/modules/shop/versions/v1.0.0/download/fortran"), 404, &message),
      "not_found");
  EXPECT_NE(message.find("known: cpp"), std::string::npos) << message;
  // Names the route's pattern does not even match are still answered with JSON, never 5xx.
  for (std::string route : {"/modules/shop/versions/v1.0.0/compile/CPP",
                            "/modules/shop/versions/v1.0.0/compile/c_plus_plus",
                            "/modules/shop/versions/v1.0.0/compile/"}) {
    SCOPED_TRACE(route);
    ExpectClientError(http_->Post(route.c_str(), "", "application/json"));
  }
  EXPECT_EQ(RefsOf(Storage()), refs_before) << "a refused compile changed the store";
}

TEST_F(CompileRoutes, UnknownVersionOrModuleIs404Json) {
  std::string refs_before = RefsOf(Storage());
  for (std::string base :
       {"/modules/shop/versions/v9.9.9", "/modules/shop/versions/v1.0.1-rc.1",
        "/modules/nosuchmodule/versions/v1.0.0", "/modules/nosuchmodule/versions/latest"}) {
    SCOPED_TRACE(base);
    std::string compile = base + "/compile/cpp";
    EXPECT_EQ(ExpectJsonError(http_->Post(compile.c_str(), "", "application/json"), 404),
              "not_found");
    std::string download = base + "/download/cpp";
    EXPECT_EQ(ExpectJsonError(http_->Get(download.c_str()), 404), "not_found");
    std::string descriptor = base + "/descriptor";
    EXPECT_EQ(ExpectJsonError(http_->Get(descriptor.c_str()), 404), "not_found");
  }
  EXPECT_EQ(RefsOf(Storage()), refs_before) << "a compile of nothing changed the store";
}

// Where `name` is on the test's PATH, or "" when it is not.
std::string FindOnTestPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
  }
  return "";
}

// spoke-server started through env(1) with PATH set to `path_dir` alone, so it finds exactly the
// plugins linked there. The ServerProcess of the harness cannot change PATH: the harness appends
// its variables after the inherited ones.
class ServerOnPath {
 public:
  ServerOnPath(const std::string& storage, const std::string& path_dir) {
    process_ = Process::Start({{"/usr/bin/env", "PATH=" + path_dir, SPOKE_SERVER_BIN, "-port", "0",
                                "--host", "127.0.0.1", "-storage-dir", storage, "-q"},
                               {},
                               ""});
    if (!process_) return;
    auto line = process_->WaitForLine(Process::Stream::kStdout, "spoke-server: serving ");
    const std::string marker = " on http://127.0.0.1:";
    size_t at = line ? line->rfind(marker) : std::string::npos;
    if (at == std::string::npos) {
      ADD_FAILURE() << "spoke-server did not report its port\n" << process_->Stderr();
      return;
    }
    port_ = std::atoi(line->c_str() + at + marker.size());
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

class CompilePlugins : public ::testing::Test {
 protected:
  // A server whose PATH holds only `plugins` (each linked from the test's PATH), with shop pushed.
  void StartWith(const std::vector<std::string>& plugins) {
    std::filesystem::create_directories(work_.Sub("bin"));
    for (const auto& plugin : plugins) {
      std::string found = FindOnTestPath(plugin);
      if (found.empty()) GTEST_SKIP() << plugin << " is not installed on this machine";
      std::filesystem::create_symlink(found, work_.Sub("bin/" + plugin));
    }
    server_ = std::make_unique<ServerOnPath>(work_.Sub("storage"), work_.Sub("bin"));
    ASSERT_GT(server_->port(), 0);
    http_ = HttpClient(server_->port());
    WriteFiles(work_.Sub("src"), kShopFiles);
    CliUser publisher(work_.Sub("home"), server_->url());
    CommandResult push =
        publisher.Run({"push", "-module", "shop", "-version", "v1.0.0", "-dir", work_.Sub("src")});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
  }

  TempDir work_;
  std::unique_ptr<ServerOnPath> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(CompilePlugins, AMissingPluginIs503NamingTheDebianPackageWhileBuiltInsStillCompile) {
  StartWith({});
  if (HasFatalFailure()) return;
  std::string refs_before = RefsOf(work_.Sub("storage"));
  for (auto [language, plugin, package] :
       {std::tuple{"grpc-cpp", "grpc_cpp_plugin", "protobuf-compiler-grpc"},
        std::tuple{"go", "protoc-gen-go", "protoc-gen-go"},
        std::tuple{"grpc-java", "protoc-gen-grpc-java", "protobuf-compiler-grpc-java-plugin"}}) {
    SCOPED_TRACE(language);
    std::string route = std::string("/modules/shop/versions/v1.0.0/compile/") + language;
    std::string message;
    EXPECT_EQ(ExpectJsonError(http_->Post(route.c_str(), "", "application/json"), 503, &message),
              "unavailable");
    EXPECT_NE(message.find(plugin), std::string::npos) << message;
    EXPECT_NE(message.find(std::string("apt-get install ") + package), std::string::npos)
        << message;
    std::string download = std::string("/modules/shop/versions/v1.0.0/download/") + language;
    EXPECT_EQ(ExpectJsonError(http_->Get(download.c_str()), 503), "unavailable");
  }
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before) << "a failed compile stored an artifact";
  CompileAnswer cpp = PostCompile(*http_, "shop", "v1.0.0", "cpp");
  EXPECT_EQ(cpp.status, 201) << cpp.raw;
}

TEST_F(CompilePlugins, APluginOnTheServersPathGeneratesCodeAndIsCachedLikeABuiltIn) {
  StartWith({"protoc-gen-go"});
  if (HasFatalFailure() || IsSkipped()) return;
  CompileAnswer first = PostCompile(*http_, "shop", "v1.0.0", "go");
  ASSERT_EQ(first.status, 201) << first.raw;
  EXPECT_EQ(
      PathsOf(FileSizes(first.body)),
      (std::set<std::string>{"example.com/shop/money.pb.go", "example.com/shop/order.pb.go"}));
  CompileAnswer second = PostCompile(*http_, "shop", "v1.0.0", "go");
  ASSERT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(second.body.GetString("key"), first.body.GetString("key"));
  // The gRPC half of Go lives in another plugin, which this server does not have.
  EXPECT_EQ(ExpectJsonError(http_->Post("/modules/shop/versions/v1.0.0/compile/go-grpc", "",
                                        "application/json"),
                            503),
            "unavailable");
}

// Every object in `store` (loose or packed), as `git cat-file --batch-all-objects` lists them.
std::string ObjectsOf(const std::string& store) {
  CommandResult all = RunGit({"-C", store, "cat-file", "--batch-all-objects", "--batch-check"});
  EXPECT_EQ(all.exit_code, 0) << all.Describe();
  return all.out;
}

TEST_F(CompilePlugins, AFailedCompileLeavesNoObjectsBehind) {
  // A plugin that reads its request and refuses it: a compile that fails once generation ran.
  std::filesystem::create_directories(work_.Sub("bin"));
  WriteFiles(work_.Sub("bin"), {{"protoc-gen-go",
                                 "#!/bin/sh\ncat >/dev/null\n"
                                 "echo 'this plugin refuses everything' >&2\n"
                                 "exit 1\n"}});
  std::filesystem::permissions(work_.Sub("bin/protoc-gen-go"), std::filesystem::perms::owner_all);
  StartWith({});
  if (HasFatalFailure()) return;
  const std::string storage = work_.Sub("storage");
  const std::string objects_before = ObjectsOf(storage), refs_before = RefsOf(storage);
  for (const char* route :
       {"/modules/shop/versions/v1.0.0/compile/go", "/modules/shop/versions/v1.0.0/download/go"}) {
    SCOPED_TRACE(route);
    auto answer = std::string(route).find("compile") != std::string::npos
                      ? http_->Post(route, "", "application/json")
                      : http_->Get(route);
    ASSERT_TRUE(answer);
    EXPECT_GE(answer->status, 400) << answer->body;
    EXPECT_NE(answer->body.find("this plugin refuses everything"), std::string::npos)
        << answer->body;
  }
  EXPECT_EQ(ObjectsOf(storage), objects_before) << "a failed compile left objects behind";
  EXPECT_EQ(RefsOf(storage), refs_before);
  EXPECT_TRUE(std::filesystem::is_empty(storage + "/spoke-incoming") ||
              !std::filesystem::exists(storage + "/spoke-incoming"))
      << "a failed compile left its quarantine";
  GitFsck(storage);
}

}  // namespace
}  // namespace spoke::e2e
