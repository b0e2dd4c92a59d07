// Sprocket, the background compiler, against a real registry on the same store: it compiles what
// is pushed without anyone asking, dependencies first, with the key a download looks up; a
// restart compiles nothing again; a failing compile is reported, recorded, and retried after a
// back-off rather than in a loop. Against the registry itself (-registry), the same through its
// compile route.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "deps_fixture.h"
#include "sprocket_fixture.h"

namespace spoke::e2e {
namespace {

// The lines of `text` that contain `needle`, in order.
std::vector<std::string> LinesWith(const std::string& text, const std::string& needle) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (Contains(line, needle)) lines.push_back(line);
  }
  return lines;
}

// The whole file at `path`, or "" (with a failure) when it cannot be read.
std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class SprocketTest : public DependencyFixture {
 protected:
  void SetUp() override {
    StartServer();
    if (HasFatalFailure()) return;
    storage_ = work_.Sub("storage");
  }

  // sprocket's command line on the registry's store (against the registry itself when
  // `through_registry_`), with `args` added. With `path_first`, that
  // directory goes before the test's PATH, through env(1): the harness's Env cannot replace PATH.
  std::vector<std::string> SprocketArgv(const std::vector<std::string>& args,
                                        const std::string& path_first) {
    std::vector<std::string> argv;
    if (!path_first.empty())
      argv = {"/usr/bin/env", "PATH=" + path_first + ":" + std::getenv("PATH")};
    argv.push_back(SPROCKET_BIN);
    if (through_registry_) {
      argv.insert(argv.end(), {"-registry", server_->url()});
    } else {
      argv.insert(argv.end(), {"-storage-dir", storage_});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // sprocket, started; nullptr (with a failure) when it does not start.
  std::unique_ptr<Process> StartSprocket(const std::vector<std::string>& args,
                                         const std::string& path_first = "") {
    auto sprocket = Process::Start({SprocketArgv(args, path_first), {}, ""});
    if (sprocket && !sprocket->WaitForLine(Process::Stream::kStdout, "sprocket: compiling ")) {
      ADD_FAILURE() << "sprocket did not start\n" << sprocket->Stderr();
      return nullptr;
    }
    return sprocket;
  }

  CommandResult RunSprocket(const std::vector<std::string>& args,
                            const std::string& path_first = "") {
    return RunCommand({SprocketArgv(args, path_first), {}, ""});
  }

  // The keys of every artifact in the store.
  std::vector<std::string> ArtifactKeys() {
    std::vector<std::string> keys;
    for (const std::string& line : LinesWith(RefsOf(storage_), "refs/artifacts/")) {
      std::string ref = line.substr(0, line.find(' '));
      keys.push_back(ref.substr(ref.rfind('/') + 1));
    }
    return keys;
  }

  // SIGTERM, and a clean exit.
  void Stop(Process& sprocket) {
    sprocket.Signal(SIGTERM);
    EXPECT_EQ(sprocket.WaitForExit(), 0) << sprocket.Stderr();
  }

  // A directory holding a protoc-gen-go that reads its request and refuses it, for `path_first`.
  std::string RefusingPluginDir(const std::string& says) {
    const std::string bin = work_.Sub("bin");
    WriteFiles(bin,
               {{"protoc-gen-go", "#!/bin/sh\ncat >/dev/null\necho '" + says + "' >&2\nexit 1\n"}});
    std::filesystem::permissions(bin + "/protoc-gen-go", std::filesystem::perms::owner_all);
    return bin;
  }

  std::string storage_;
  bool through_registry_ = false;
};

TEST_F(SprocketTest, CompilesWhatIsPendingAtStartDependenciesFirstAndTheDownloadIsACacheHit) {
  MustPush("zeta", "v1.0.0", kZeta);
  MustPush("alpha", "v1.0.0", kAlpha, {"zeta@v1.0.0"});
  auto sprocket = StartSprocket({"-languages", "cpp,python", "-delay", "10s"});
  ASSERT_TRUE(sprocket);
  // Pending work found at start-up does not wait for the delay.
  ASSERT_TRUE(sprocket->WaitForLine(Process::Stream::kStdout, "sprocket: pass done",
                                    std::chrono::seconds(8)))
      << sprocket->Stdout() << sprocket->Stderr();
  const std::vector<std::string> compiled = LinesWith(sprocket->Stdout(), "compiled ");
  ASSERT_EQ(compiled.size(), 4u) << sprocket->Stdout();
  EXPECT_TRUE(Contains(compiled[0], "compiled zeta@v1.0.0 cpp (")) << sprocket->Stdout();
  EXPECT_TRUE(Contains(compiled[1], "compiled zeta@v1.0.0 python (")) << sprocket->Stdout();
  EXPECT_TRUE(Contains(compiled[2], "compiled alpha@v1.0.0 cpp (")) << sprocket->Stdout();
  EXPECT_TRUE(Contains(compiled[3], "compiled alpha@v1.0.0 python (")) << sprocket->Stdout();
  EXPECT_TRUE(Contains(sprocket->Stdout(), "pass done: 4 compiled, 0 failed, 0 cached"))
      << sprocket->Stdout();
  EXPECT_EQ(sprocket->Stderr(), "");

  const std::vector<std::string> keys = ArtifactKeys();
  ASSERT_EQ(keys.size(), 4u);
  const std::string refs = RefsOf(storage_);
  for (const char* language : {"cpp", "python"}) {
    SCOPED_TRACE(language);
    const std::string route = std::string("/modules/alpha/versions/v1.0.0/download/") + language;
    auto download = http_->Get(route.c_str());
    ASSERT_TRUE(download);
    ASSERT_EQ(download->status, 200) << download->body;
    const std::string key = download->get_header_value("X-Spoke-Artifact-Key");
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end())
        << key << " is not a key sprocket wrote";
    const std::string compile = std::string("/modules/alpha/versions/v1.0.0/compile/") + language;
    auto compiled_again = http_->Post(compile.c_str(), "", "application/json");
    ASSERT_TRUE(compiled_again);
    EXPECT_EQ(compiled_again->status, 200) << compiled_again->body;
    Json answer = ParseJson(compiled_again->body);
    EXPECT_TRUE(At(answer, "cached").as_bool()) << compiled_again->body;
    EXPECT_EQ(answer.GetString("key"), key);
  }
  EXPECT_EQ(RefsOf(storage_), refs) << "the registry compiled what sprocket had compiled";
  Stop(*sprocket);
}

TEST_F(SprocketTest, ARestartCompilesNothingAgain) {
  MustPush("zeta", "v1.0.0", kZeta);
  MustPush("alpha", "v1.0.0", kAlpha, {"zeta@v1.0.0"});
  auto first = StartSprocket({"-languages", "cpp,python", "-delay", "10s"});
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->WaitForLine(Process::Stream::kStdout, "pass done: 4 compiled"))
      << first->Stdout();
  Stop(*first);
  const std::string refs = RefsOf(storage_);

  auto second = StartSprocket({"-languages", "cpp,python", "-delay", "10s"});
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->WaitForLine(Process::Stream::kStdout, "sprocket: pass done"))
      << second->Stdout();
  EXPECT_TRUE(Contains(second->Stdout(), "pass done: 0 compiled, 0 failed, 4 cached"))
      << second->Stdout();
  EXPECT_TRUE(LinesWith(second->Stdout(), "compiled ").empty()) << second->Stdout();
  Stop(*second);
  EXPECT_EQ(RefsOf(storage_), refs);

  CommandResult once = RunSprocket({"--once", "-languages", "cpp,python"});
  EXPECT_EQ(once.exit_code, 0) << once.Describe();
  EXPECT_TRUE(Contains(once.out, "pass done: 0 compiled, 0 failed, 4 cached")) << once.Describe();
}

TEST_F(SprocketTest, ABurstOfPushesIsCompiledInOnePassAfterTheDelay) {
  auto sprocket = StartSprocket({"-languages", "cpp,python", "-delay", "3s"});
  ASSERT_TRUE(sprocket);
  ASSERT_TRUE(sprocket->WaitForLine(Process::Stream::kStdout, "pass done: 0 compiled"))
      << sprocket->Stdout();
  const auto pushed = std::chrono::steady_clock::now();
  MustPush("zeta", "v1.0.0", kZeta);
  MustPush("alpha", "v1.0.0", kAlpha, {"zeta@v1.0.0"});
  const auto burst_over = std::chrono::steady_clock::now();
  ASSERT_TRUE(sprocket->WaitForLine(Process::Stream::kStdout, "compiled alpha@v1.0.0 python"))
      << sprocket->Stdout() << sprocket->Stderr();
  // Nothing was compiled in the middle of the burst: the pass began at least the delay after the
  // last push's tag was written, which was before the push returned.
  EXPECT_GE(std::chrono::steady_clock::now() - burst_over, std::chrono::seconds(2));
  ASSERT_TRUE(sprocket->WaitForLine(Process::Stream::kStdout, "pass done: 4 compiled"))
      << "the burst was not compiled in one pass\n"
      << sprocket->Stdout();
  EXPECT_LT(burst_over - pushed, std::chrono::seconds(3))
      << "the pushes were too slow to make one burst";
  EXPECT_EQ(ArtifactKeys().size(), 4u);
  Stop(*sprocket);
}

TEST_F(SprocketTest, AFailedCompileIsReportedRecordedAndNotRetriedBeforeItsBackOff) {
  MustPush("zeta", "v1.0.0", kZeta);
  const std::string env = RefusingPluginDir("this plugin refuses everything");
  CommandResult first = RunSprocket({"--once", "-languages", "cpp,go", "-delay", "1m"}, env);
  EXPECT_EQ(first.exit_code, 1) << first.Describe();
  EXPECT_TRUE(Contains(first.out, "compiled zeta@v1.0.0 cpp (")) << first.Describe();
  const std::vector<std::string> failures = LinesWith(first.err, "cannot compile zeta@v1.0.0 go");
  ASSERT_EQ(failures.size(), 1u) << first.Describe();
  EXPECT_TRUE(Contains(failures[0], "(attempt 1, next in 60 s)")) << failures[0];
  EXPECT_TRUE(Contains(failures[0], "this plugin refuses everything")) << failures[0];

  const std::string text = ReadText(storage_ + "/sprocket/failures.json");
  Json log = ParseJson(text);
  EXPECT_EQ(log.GetString("format"), "spoke-sprocket-failures/1");
  ASSERT_TRUE(log.Get("failures") && log.Get("failures")->as_array().size() == 1) << text;
  const Json& failure = log.Get("failures")->as_array()[0];
  EXPECT_EQ(failure.GetString("module"), "zeta");
  EXPECT_EQ(failure.GetString("version"), "v1.0.0");
  EXPECT_EQ(failure.GetString("language"), "go");
  EXPECT_EQ(failure.GetString("key").size(), 64u);
  EXPECT_TRUE(Contains(failure.GetString("message"), "this plugin refuses everything")) << text;
  EXPECT_EQ(At(failure, "attempts").as_int(), 1);
  EXPECT_EQ(At(failure, "next_attempt").as_int() - At(failure, "last_failed").as_int(), 60);

  // At once again (a cron run, a restart): the failure waits for its back-off.
  CommandResult second = RunSprocket({"--once", "-languages", "cpp,go", "-delay", "1m"}, env);
  EXPECT_EQ(second.exit_code, 0) << second.Describe();
  EXPECT_TRUE(LinesWith(second.out, "compiled ").empty()) << second.Describe();
  EXPECT_TRUE(Contains(second.err, "not retrying zeta@v1.0.0 go yet (failed 1 time"))
      << second.Describe();
  EXPECT_TRUE(Contains(second.out, "pass done: 0 compiled, 0 failed, 1 cached, 1 waiting to retry"))
      << second.Describe();
  EXPECT_EQ(ReadText(storage_ + "/sprocket/failures.json"), text)
      << "a deferred compile changed the record";

  // Another plugin is another key: tried at once, counted from one.
  RefusingPluginDir("this plugin refuses in another way");
  CommandResult third = RunSprocket({"--once", "-languages", "go", "-delay", "1m"}, env);
  EXPECT_EQ(third.exit_code, 1) << third.Describe();
  EXPECT_TRUE(Contains(third.err, "(attempt 1, next in 60 s)")) << third.Describe();
  EXPECT_TRUE(Contains(third.err, "this plugin refuses in another way")) << third.Describe();
}

TEST_F(SprocketTest, AFailingCompileIsRetriedWithADoublingBackOffNotInALoop) {
  MustPush("zeta", "v1.0.0", kZeta);
  const std::string env = RefusingPluginDir("this plugin refuses everything");
  // -delay 100ms: the back-off starts at its floor, one second, then two, then four.
  auto sprocket = StartSprocket({"-languages", "go", "-delay", "100ms"}, env);
  ASSERT_TRUE(sprocket);
  ASSERT_TRUE(sprocket->WaitForLine(Process::Stream::kStderr, "(attempt 1, "))
      << sprocket->Stderr();
  const auto first = std::chrono::steady_clock::now();
  ASSERT_TRUE(sprocket->WaitForLine(Process::Stream::kStderr, "(attempt 3, next in 4 s)"))
      << sprocket->Stderr();
  // Attempt 2 came at most a second after the first (the record keeps whole seconds), attempt 3
  // two seconds after the second.
  EXPECT_GE(std::chrono::steady_clock::now() - first, std::chrono::seconds(2));
  EXPECT_EQ(LinesWith(sprocket->Stderr(), "cannot compile zeta@v1.0.0 go").size(), 3u)
      << sprocket->Stderr();
  Stop(*sprocket);
  Json log = ParseJson(ReadText(storage_ + "/sprocket/failures.json"));
  ASSERT_TRUE(log.Get("failures") && log.Get("failures")->as_array().size() == 1) << log.Dump();
  EXPECT_EQ(At(log.Get("failures")->as_array()[0], "attempts").as_int(), 3);
}

TEST_F(SprocketTest, ASecondSprocketOnTheSameStoreIsRefused) {
  auto sprocket = StartSprocket({"-languages", "cpp"});
  ASSERT_TRUE(sprocket);
  CommandResult second = RunSprocket({"--once", "-languages", "cpp"});
  EXPECT_EQ(second.exit_code, 1) << second.Describe();
  EXPECT_TRUE(
      Contains(second.err, "another sprocket (pid " + std::to_string(sprocket->pid()) + ")"))
      << second.Describe();
  Stop(*sprocket);
}

TEST_F(SprocketTest, AgainstARegistryItCompilesThroughTheCompileRouteDependenciesFirst) {
  through_registry_ = true;
  MustPush("zeta", "v1.0.0", kZeta);
  MustPush("alpha", "v1.0.0", kAlpha, {"zeta@v1.0.0"});
  CommandResult first = RunSprocket({"--once", "-languages", "cpp,python"});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  EXPECT_TRUE(Contains(first.out, "for " + server_->url() + ",")) << first.out;
  const std::vector<std::string> compiled = LinesWith(first.out, "compiled ");
  ASSERT_EQ(compiled.size(), 4u) << first.out;
  EXPECT_TRUE(Contains(compiled[0], "compiled zeta@v1.0.0 cpp (")) << first.out;
  EXPECT_TRUE(Contains(compiled[1], "compiled zeta@v1.0.0 python (")) << first.out;
  EXPECT_TRUE(Contains(compiled[2], "compiled alpha@v1.0.0 cpp (")) << first.out;
  EXPECT_TRUE(Contains(compiled[3], "compiled alpha@v1.0.0 python (")) << first.out;
  EXPECT_FALSE(std::filesystem::exists(storage_ + "/sprocket"))
      << "a sprocket against a registry wrote into the registry's store";

  const std::vector<std::string> keys = ArtifactKeys();
  ASSERT_EQ(keys.size(), 4u);
  const std::string refs = RefsOf(storage_);
  auto download = http_->Get("/modules/alpha/versions/v1.0.0/download/python");
  ASSERT_TRUE(download);
  ASSERT_EQ(download->status, 200) << download->body;
  const std::string key = download->get_header_value("X-Spoke-Artifact-Key");
  EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
  EXPECT_EQ(RefsOf(storage_), refs) << "the download compiled again";

  CommandResult second = RunSprocket({"--once", "-languages", "cpp,python"});
  EXPECT_EQ(second.exit_code, 0) << second.Describe();
  EXPECT_TRUE(Contains(second.out, "pass done: 0 compiled, 0 failed, 4 cached")) << second.out;
}

TEST_F(SprocketTest, AgainstARegistryAPushIsCompiledWithoutAnyoneAsking) {
  through_registry_ = true;
  auto sprocket = StartSprocket({"-languages", "cpp", "-delay", "1s"});
  ASSERT_TRUE(sprocket);
  ASSERT_TRUE(sprocket->WaitForLine(Process::Stream::kStdout, "pass done: 0 compiled"))
      << sprocket->Stdout() << sprocket->Stderr();
  MustPush("zeta", "v1.0.0", kZeta);
  ASSERT_TRUE(sprocket->WaitForLine(Process::Stream::kStdout, "compiled zeta@v1.0.0 cpp ("))
      << sprocket->Stdout() << sprocket->Stderr();
  EXPECT_EQ(ArtifactKeys().size(), 1u);
  Stop(*sprocket);
}

TEST(SprocketFlags, BadFlagsAreUsageErrorsAndHelpAndVersionWork) {
  TempDir work;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-storage-dir", work.Sub("s"), "-delay", "10"},
           {"-storage-dir", work.Sub("s"), "-delay", "-5s"},
           {"-storage-dir", work.Sub("s"), "-languages", "cobol"},
           // Too large for a double: std::stod threw on it, and sprocket aborted (exit 134).
           {"-storage-dir", work.Sub("s"), "-delay", "1" + std::string(400, '0') + "s"},
           {"-delay", "5s"},
           {"-storage-dir", work.Sub("s"), "-registry", "http://127.0.0.1:1"}}) {
    std::vector<std::string> argv = {SPROCKET_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult result = RunCommand({argv, {}, ""});
    EXPECT_EQ(result.exit_code, 2) << result.Describe();
  }
  CommandResult help = RunCommand({{SPROCKET_BIN, "--help"}, {}, ""});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(Contains(help.out, "-storage-dir")) << help.out;
  CommandResult version = RunCommand({{SPROCKET_BIN, "-version"}, {}, ""});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(Contains(version.out, "spoke ")) << version.out;
  EXPECT_FALSE(std::filesystem::exists(work.Sub("s"))) << "a refused command created the store";
}

TEST(SprocketFlags, EachFlagWorksInBothSpellingsAndAllIsTheDefault) {
  TempDir work;
  const std::string store = work.Sub("s");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"-storage-dir", store, "-delay", "1s", "-languages", "cpp,python"},
           {"--storage-dir", store, "--delay", "1s", "--languages", "cpp,python"}}) {
    std::vector<std::string> argv = {SPROCKET_BIN, "--once"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult result = RunCommand({argv, {}, ""});
    EXPECT_EQ(result.exit_code, 0) << result.Describe();
    EXPECT_TRUE(Contains(result.out, "compiling cpp,python for " + store + ", 1000 ms"))
        << result.Describe();
  }
  // Without -languages, and with -languages all: every installed generator, cpp (built in) among
  // them.
  CommandResult by_default = RunCommand({{SPROCKET_BIN, "--once", "-storage-dir", store}, {}, ""});
  CommandResult all =
      RunCommand({{SPROCKET_BIN, "--once", "-storage-dir", store, "-languages", "all"}, {}, ""});
  EXPECT_EQ(by_default.exit_code, 0) << by_default.Describe();
  EXPECT_TRUE(Contains(by_default.out, "compiling cpp,java,")) << by_default.Describe();
  EXPECT_EQ(all.out, by_default.out);
  // Both spellings of -registry: an unreachable one is a failure (1), not a usage error.
  for (const char* flag : {"-registry", "--registry"}) {
    CommandResult result =
        RunCommand({{SPROCKET_BIN, "--once", flag, "http://127.0.0.1:1"}, {}, ""});
    EXPECT_EQ(result.exit_code, 1) << result.Describe();
  }
}

}  // namespace
}  // namespace spoke::e2e
