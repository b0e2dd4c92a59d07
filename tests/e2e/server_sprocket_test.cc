// spoke-server --compile-languages: Sprocket inside the registry. It compiles what is pushed
// without anyone asking, dependencies first, so a download is a cache hit; a restart compiles
// nothing again; a failing compile is listed as failed, with its message, in the version's GET;
// and it never compiles for a store a standalone sprocket serves, nor the other way round.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <sstream>

#include "deps_fixture.h"
#include "sprocket_fixture.h"

namespace spoke::e2e {
namespace {

// alpha's next version: other sources, so another artifact key.
const FileSet kAlphaNext = {
    {"alpha/order.proto",
     "syntax = \"proto3\";\npackage alpha;\nimport \"zeta/money.proto\";\n\n"
     "message Order {\n  zeta.Money total = 1;\n  string note = 2;\n}\n"}};

std::vector<std::string> LinesWith(const std::string& text, const std::string& needle) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (Contains(line, needle)) lines.push_back(line);
  }
  return lines;
}

class ServerSprocketTest : public DependencyFixture {
 protected:
  // The registry's store.
  std::string Storage() { return work_.Sub("storage"); }

  // The artifact refs of the registry's store ("<ref> <id>" lines).
  std::vector<std::string> ArtifactRefs() {
    return LinesWith(RefsOf(Storage()), "refs/artifacts/");
  }

  // The "artifacts" of a version's GET, by language: its status (and message for a failure).
  std::map<std::string, Json> Artifacts(const std::string& module, const std::string& version) {
    Json body = GetJson("/modules/" + module + "/versions/" + version);
    std::map<std::string, Json> by_language;
    const Json* list = body.Get("artifacts");
    EXPECT_TRUE(list && list->is_array()) << body.Dump();
    if (!list || !list->is_array()) return by_language;
    for (const Json& entry : list->as_array()) by_language[entry.GetString("language")] = entry;
    return by_language;
  }

  // Restarts the registry on the same store with `args`.
  void Restart(const std::vector<std::string>& args) {
    server_->Stop();
    server_.reset();
    StartServer(args);
  }

  // A directory holding a protoc-gen-go that reads its request and refuses it.
  std::string RefusingPluginDir(const std::string& says) {
    const std::string bin = work_.Sub("bin");
    WriteFiles(bin,
               {{"protoc-gen-go", "#!/bin/sh\ncat >/dev/null\necho '" + says + "' >&2\nexit 1\n"}});
    std::filesystem::permissions(bin + "/protoc-gen-go", std::filesystem::perms::owner_all);
    return bin;
  }
};

TEST_F(ServerSprocketTest, ItCompilesPushedVersionsDependenciesFirstAndADownloadIsACacheHit) {
  StartServer();
  MustPush("zeta", "v1.0.0", kZeta);
  MustPush("alpha", "v1.0.0", kAlpha, {"zeta@v1.0.0"});
  // No compiler anywhere: nothing is listed, as nothing was downloaded.
  auto before = http_->Get("/modules/alpha/versions/v1.0.0");
  ASSERT_TRUE(before);
  EXPECT_EQ(ParseJson(before->body).Get("artifacts")->as_array().size(), 0u) << before->body;
  const std::string etag_before = before->get_header_value("ETag");

  // Both versions were pushed before the compiler started: the first pass orders them.
  Restart({"-compile-languages", "cpp", "--compile-delay", "100ms"});
  ASSERT_TRUE(server_->process().WaitForLine(Process::Stream::kStdout, "compile pass done"))
      << server_->process().Stdout() << server_->process().Stderr();
  std::vector<std::string> compiled = LinesWith(server_->process().Stdout(), "compiled ");
  ASSERT_EQ(compiled.size(), 2u) << server_->process().Stdout();
  EXPECT_TRUE(Contains(compiled[0], "compiled zeta@v1.0.0 cpp (")) << compiled[0];
  EXPECT_TRUE(Contains(compiled[1], "compiled alpha@v1.0.0 cpp (")) << compiled[1];

  // A push while it runs is compiled without anyone asking.
  MustPush("alpha", "v1.1.0", kAlphaNext, {"zeta@v1.0.0"});
  ASSERT_TRUE(
      server_->process().WaitForLine(Process::Stream::kStdout, "compiled alpha@v1.1.0 cpp ("))
      << server_->process().Stdout() << server_->process().Stderr();
  EXPECT_EQ(ArtifactRefs().size(), 3u) << RefsOf(Storage());

  std::map<std::string, Json> artifacts = Artifacts("alpha", "v1.0.0");
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(artifacts["cpp"].GetString("status"), "ready");
  // The states are part of the answer: its ETag changed with them.
  httplib::Headers if_none_match = {{"If-None-Match", etag_before}};
  auto after = http_->Get("/modules/alpha/versions/v1.0.0", if_none_match);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200) << "the ETag did not change with the artifacts' states";
  EXPECT_NE(after->get_header_value("ETag"), etag_before);

  // The download finds what the server compiled: no new artifact.
  const std::string refs = RefsOf(Storage());
  auto download = http_->Get("/modules/alpha/versions/v1.1.0/download/cpp");
  ASSERT_TRUE(download);
  ASSERT_EQ(download->status, 200) << download->body;
  const std::string key = download->get_header_value("X-Spoke-Artifact-Key");
  EXPECT_TRUE(!key.empty() && Contains(refs, "/" + key + " "))
      << key << " was not compiled beforehand";
  EXPECT_EQ(RefsOf(Storage()), refs) << "the download compiled again";
}

TEST_F(ServerSprocketTest, ARestartCompilesNothingAgain) {
  StartServer({"--compile-languages", "cpp,python", "-compile-delay", "100ms"});
  MustPush("zeta", "v1.0.0", kZeta);
  MustPush("alpha", "v1.0.0", kAlpha, {"zeta@v1.0.0"});
  ASSERT_TRUE(
      server_->process().WaitForLine(Process::Stream::kStdout, "compiled alpha@v1.0.0 python ("))
      << server_->process().Stdout() << server_->process().Stderr();
  const std::vector<std::string> refs = ArtifactRefs();
  ASSERT_EQ(refs.size(), 4u);

  Restart({"--compile-languages", "cpp,python", "-compile-delay", "100ms"});
  ASSERT_TRUE(server_->process().WaitForLine(Process::Stream::kStdout, "compile pass done"))
      << server_->process().Stdout();
  EXPECT_TRUE(
      Contains(server_->process().Stdout(), "compile pass done: 0 compiled, 0 failed, 4 cached"))
      << server_->process().Stdout();
  EXPECT_TRUE(LinesWith(server_->process().Stdout(), "compiled ").empty())
      << server_->process().Stdout();
  EXPECT_EQ(ArtifactRefs(), refs);
  for (const auto& [language, entry] : Artifacts("alpha", "v1.0.0")) {
    EXPECT_EQ(entry.GetString("status"), "ready") << language;
  }
}

TEST_F(ServerSprocketTest, AFailingCompileIsListedAsFailedWithItsMessage) {
  // The server's PATH starts with a refusing protoc-gen-go, through env(1): the harness's Env
  // cannot replace PATH.
  const std::string bin = RefusingPluginDir("this plugin refuses everything");
  auto server = Process::Start(
      {{"/usr/bin/env", "PATH=" + bin + ":" + std::getenv("PATH"), SPOKE_SERVER_BIN, "-port", "0",
        "-storage-dir", Storage(), "-q", "--compile-languages", "cpp,go", "--compile-delay", "1m"},
       {},
       ""});
  ASSERT_TRUE(server);
  auto line = server->WaitForLine(Process::Stream::kStdout, "spoke-server: serving ");
  ASSERT_TRUE(line) << server->Stderr();
  const int port = std::atoi(line->c_str() + line->rfind(':') + 1);
  http_ = HttpClient(port);
  publisher_ = std::make_unique<CliUser>(work_.Sub("publisher-home"),
                                         "http://127.0.0.1:" + std::to_string(port));
  MustPush("zeta", "v1.0.0", kZeta);
  // -delay 1m: the push is compiled no sooner than a minute on its own; a restart compiles what
  // is pending at once.
  server->Signal(SIGTERM);
  ASSERT_EQ(server->WaitForExit(), 0) << server->Stderr();
  server = Process::Start(
      {{"/usr/bin/env", "PATH=" + bin + ":" + std::getenv("PATH"), SPOKE_SERVER_BIN, "-port", "0",
        "-storage-dir", Storage(), "-q", "--compile-languages", "cpp,go", "--compile-delay", "1m"},
       {},
       ""});
  ASSERT_TRUE(server);
  line = server->WaitForLine(Process::Stream::kStdout, "spoke-server: serving ");
  ASSERT_TRUE(line) << server->Stderr();
  http_ = HttpClient(std::atoi(line->c_str() + line->rfind(':') + 1));
  ASSERT_TRUE(server->WaitForLine(Process::Stream::kStdout, "compile pass done"))
      << server->Stdout() << server->Stderr();
  // Its own pipe: read apart from stdout, so waited for, not looked at.
  EXPECT_TRUE(
      server->WaitForLine(Process::Stream::kStderr, "cannot compile zeta@v1.0.0 go (attempt 1)"))
      << server->Stderr();

  std::map<std::string, Json> artifacts = Artifacts("zeta", "v1.0.0");
  ASSERT_EQ(artifacts.size(), 2u);
  EXPECT_EQ(artifacts["cpp"].GetString("status"), "ready");
  const Json& go = artifacts["go"];
  EXPECT_EQ(go.GetString("status"), "failed") << go.Dump();
  EXPECT_TRUE(Contains(go.GetString("message"), "this plugin refuses everything")) << go.Dump();
  EXPECT_EQ(At(go, "attempts").as_int(), 1);
  EXPECT_FALSE(go.GetString("next_attempt").empty()) << go.Dump();
  server->Signal(SIGTERM);
  EXPECT_EQ(server->WaitForExit(), 0) << server->Stderr();
  server_.reset();
}

TEST_F(ServerSprocketTest, AStandaloneSprocketAndACompilingServerRefuseEachOther) {
  StartServer({"--compile-languages", "cpp"});
  CommandResult sprocket =
      RunCommand({{SPROCKET_BIN, "-storage-dir", Storage(), "--once"}, {}, ""});
  EXPECT_EQ(sprocket.exit_code, 1) << sprocket.Describe();
  EXPECT_TRUE(Contains(sprocket.err, "spoke-server (pid " +
                                         std::to_string(server_->process().pid()) +
                                         ", run with --compile-languages) is compiling"))
      << sprocket.Describe();

  // The other way round, on a store of its own: a sprocket holds it first.
  const std::string other = work_.Sub("other-storage");
  auto standalone =
      Process::Start({{SPROCKET_BIN, "--storage-dir", other, "-languages", "python"}, {}, ""});
  ASSERT_TRUE(standalone);
  ASSERT_TRUE(standalone->WaitForLine(Process::Stream::kStdout, "sprocket: compiling "));
  CommandResult refused = RunCommand(
      {{SPOKE_SERVER_BIN, "-port", "0", "-storage-dir", other, "--compile-languages", "cpp"},
       {},
       ""});
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "--compile-languages: another sprocket (pid " +
                                        std::to_string(standalone->pid()) + ") is compiling"))
      << refused.Describe();

  // A plain server on that store lists the standalone sprocket's languages.
  auto plain = ServerProcess::Start({other, {}, {}});
  ASSERT_TRUE(plain);
  auto client = HttpClient(plain->port());
  CliUser pusher(work_.Sub("pusher-home"), plain->url());
  WriteFiles(work_.Sub("src/zeta2"), kZeta);
  CommandResult pushed =
      pusher.Run({"push", "-module", "zeta", "-version", "v1.0.0", "-dir", work_.Sub("src/zeta2")});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  auto version = client->Get("/modules/zeta/versions/v1.0.0");
  ASSERT_TRUE(version);
  Json artifacts = *ParseJson(version->body).Get("artifacts");
  ASSERT_EQ(artifacts.as_array().size(), 1u) << version->body;
  EXPECT_EQ(artifacts.as_array()[0].GetString("language"), "python");
  const std::string status = artifacts.as_array()[0].GetString("status");
  EXPECT_TRUE(status == "pending" || status == "ready") << version->body;
  standalone->Signal(SIGTERM);
  EXPECT_EQ(standalone->WaitForExit(), 0) << standalone->Stderr();
  plain->Stop();
}

TEST_F(ServerSprocketTest, CompileLanguagesOnAReadOnlyServerOrUnknownOnesAreUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--read-only", "--compile-languages", "cpp"},
        std::vector<std::string>{"-compile-languages", "cobol"},
        std::vector<std::string>{"--compile-languages", "cpp", "-compile-delay", "soon"}}) {
    std::vector<std::string> argv = {SPOKE_SERVER_BIN, "-port", "0", "-storage-dir", Storage()};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult result = RunCommand({argv, {}, ""});
    EXPECT_EQ(result.exit_code, 2) << result.Describe();
  }
  CommandResult read_only = RunCommand(
      {{SPOKE_SERVER_BIN, "-storage-dir", Storage(), "--read-only", "--compile-languages", "all"},
       {},
       ""});
  EXPECT_TRUE(Contains(read_only.err, "a --read-only mirror does not compile"))
      << read_only.Describe();
}

}  // namespace
}  // namespace spoke::e2e
