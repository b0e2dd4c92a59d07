// The install as a user gets it: `cmake --install <this build> --prefix <temporary dir>`, then the
// installed spoke-server, spoke and sprocket, run with a PATH that holds none of the build tree,
// push, pull and compile a module through each other. Also where every installed file lands.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

// The programs see only the system's directories on PATH (the harness's Env cannot replace PATH,
// so env(1) does).
constexpr char kSystemPath[] = "PATH=/usr/bin:/bin";

bool Executable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR) != 0;
}

// Every file under `dir` named `name`, as paths.
std::vector<std::string> FilesNamed(const std::string& dir, const std::string& name) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().filename() == name) found.push_back(entry.path().string());
  }
  return found;
}

class Installed : public ::testing::Test {
 protected:
  // One install for every case of the suite.
  static void SetUpTestSuite() {
    prefix_dir_ = new TempDir();
    install_ = new CommandResult(RunCommand(
        {{SPOKE_CMAKE, "--install", SPOKE_BUILD_DIR, "--prefix", prefix_dir_->path()}, {}, ""},
        std::chrono::seconds(240)));
  }
  static void TearDownTestSuite() {
    delete install_;
    delete prefix_dir_;
  }

  void SetUp() override { ASSERT_EQ(install_->exit_code, 0) << install_->Describe(); }

  static std::string prefix() { return prefix_dir_->path(); }

  // An installed program (bin/<name>) with `args`, under the system PATH and `env`.
  static Process::Options InstalledProgram(const std::string& name,
                                           const std::vector<std::string>& args,
                                           const Env& env = {}) {
    std::vector<std::string> argv = {"/usr/bin/env", kSystemPath, prefix() + "/bin/" + name};
    argv.insert(argv.end(), args.begin(), args.end());
    return {argv, env, ""};
  }

  static TempDir* prefix_dir_;
  static CommandResult* install_;
};

TempDir* Installed::prefix_dir_ = nullptr;
CommandResult* Installed::install_ = nullptr;

TEST_F(Installed, EveryFileLandsWhereTheProgramsAndSystemdLookForIt) {
  for (const char* program : {"bin/spoke", "bin/spoke-server", "bin/sprocket",
                              "libexec/spoke/spoke-core", "share/spoke/hooks/pre-commit"}) {
    EXPECT_TRUE(Executable(prefix() + "/" + program)) << program;
  }
  // The HTTP transport is linked into the programs: no module to load beside them.
  EXPECT_TRUE(FilesNamed(prefix(), "spoke-http.so").empty());
  for (const char* doc : {"README.md", "architecture.md", "api.md", "protocol.md", "storage.md"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(prefix() + "/share/doc/spoke/" + doc)) << doc;
  }
  // The units start this install's programs, not /usr/local/bin's.
  auto unit = [&](const std::string& name) {
    std::ifstream in(prefix() + "/lib/systemd/system/" + name);
    EXPECT_TRUE(in) << name;
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_NE(unit("spoke-server.service").find("\nExecStart=" + prefix() + "/bin/spoke-server "),
            std::string::npos)
      << unit("spoke-server.service");
  EXPECT_NE(unit("sprocket.service").find("\nExecStart=" + prefix() + "/bin/sprocket "),
            std::string::npos)
      << unit("sprocket.service");
}

TEST_F(Installed, TheInstalledClientPushesPullsAndCompilesAgainstTheInstalledServer) {
  TempDir work;
  auto server = Process::Start(InstalledProgram(
      "spoke-server",
      {"-port", "0", "--host", "127.0.0.1", "-storage-dir", work.Sub("registry"), "-q"}));
  ASSERT_TRUE(server);
  auto serving = server->WaitForLine(Process::Stream::kStdout, "spoke-server: serving ");
  ASSERT_TRUE(serving) << server->Stderr();
  const std::string url = serving->substr(serving->rfind(" ") + 1);
  ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << *serving;

  CommandResult help = RunCommand(InstalledProgram("spoke", {"--help"}));
  EXPECT_EQ(help.exit_code, 0) << help.Describe();
  EXPECT_NE(help.out.find("push"), std::string::npos) << help.Describe();
  EXPECT_NE(help.out.find("compile"), std::string::npos) << help.Describe();

  const FileSet files = {
      {"shop/order.proto",
       "syntax = \"proto3\";\npackage shop;\n\nimport \"shop/item.proto\";\n\n"
       "message Order {\n  repeated Item items = 1;\n}\n"},
      {"shop/item.proto",
       "syntax = \"proto3\";\npackage shop;\n\nmessage Item {\n  string sku = 1;\n}\n"},
  };
  WriteFiles(work.Sub("src"), files);
  const Env author = {{"SPOKE_HOME", work.Sub("author")}, {"SPOKE_REGISTRY", url}};
  CommandResult push = RunCommand(InstalledProgram(
      "spoke", {"push", "-module", "shop", "-version", "v1.0.0", "-dir", work.Sub("src")}, author));
  ASSERT_EQ(push.exit_code, 0) << push.Describe();

  const Env reader = {{"SPOKE_HOME", work.Sub("reader")}, {"SPOKE_REGISTRY", url}};
  CommandResult pull = RunCommand(InstalledProgram(
      "spoke", {"pull", "-module", "shop", "-version", "v1.0.0", "-dir", work.Sub("pulled")},
      reader));
  ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
  EXPECT_EQ(ReadFiles(work.Sub("pulled")), files);

  // Compiled by spoke-core (libexec/spoke/), then served again by the front end alone.
  auto compile = [&](const std::string& out) {
    return RunCommand(InstalledProgram("spoke",
                                       {"compile", "-dir", work.Sub("pulled"), "-lang", "cpp",
                                        "--recursive", "-out", work.Sub(out), "--json"},
                                       reader));
  };
  Json cold = JsonOut(compile("gen"));
  EXPECT_EQ(cold.Get("generator_runs") ? cold.Get("generator_runs")->as_int() : -1, 1)
      << cold.Dump(2);
  FileSet generated = ReadFiles(work.Sub("gen"));
  EXPECT_EQ(generated.count("shop/order.pb.h"), 1u);
  EXPECT_EQ(generated.count("shop/item.pb.cc"), 1u);
  Json hit = JsonOut(compile("gen-again"));
  EXPECT_EQ(hit.Get("generator_runs") ? hit.Get("generator_runs")->as_int() : -1, 0) << hit.Dump(2);
  EXPECT_EQ(ReadFiles(work.Sub("gen-again")), generated);

  // sprocket against the registry, over HTTP: the version gets its cpp artifact.
  CommandResult sprocket =
      RunCommand(InstalledProgram("sprocket", {"-registry", url, "--once", "-languages", "cpp"}));
  EXPECT_EQ(sprocket.exit_code, 0) << sprocket.Describe();
  EXPECT_NE(sprocket.out.find("pass done: 1 compiled, 0 failed"), std::string::npos)
      << sprocket.Describe();

  server->Signal(SIGTERM);
  EXPECT_EQ(server->WaitForExit(), 0) << server->Stderr();
  GitFsck(work.Sub("registry"));
}

}  // namespace
}  // namespace spoke::e2e
