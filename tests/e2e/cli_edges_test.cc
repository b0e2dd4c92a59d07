// What a newcomer meets first: `spoke`, `spoke help` and `spoke --version`; a `spoke fetch` after
// `spoke clone -module` that keeps to the cloned module; and module directories holding another
// module (its own spoke.yaml or spoke.lock), whose files push leaves out and validate and compile
// only import.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

std::vector<std::string> Strings(const Json* list) {
  std::vector<std::string> out;
  if (list && list->is_array()) {
    for (const Json& item : list->as_array()) out.push_back(item.as_string());
  }
  return out;
}

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// --- help and version ---------------------------------------------------------------------------

TEST(CliHelp, BareSpokePrintsTheCommandListAndExitsTwo) {
  CommandResult bare = RunCli({});
  CommandResult help = RunCli({"--help"});
  ASSERT_EQ(help.exit_code, 0) << help.Describe();
  EXPECT_EQ(bare.exit_code, 2) << bare.Describe();
  EXPECT_EQ(bare.out, help.out);
  for (const char* command : {"push", "pull", "clone", "fetch", "compile", "validate", "help"}) {
    EXPECT_TRUE(Contains(bare.out, std::string("\n  ") + command + " ")) << command << "\n"
                                                                         << bare.Describe();
  }
  EXPECT_TRUE(Contains(bare.out, "Usage: spoke ")) << bare.Describe();
}

TEST(CliHelp, SpokeHelpPrintsWhatDashDashHelpPrintsAndExitsZero) {
  CommandResult help = RunCli({"help"});
  EXPECT_EQ(help.exit_code, 0) << help.Describe();
  EXPECT_EQ(help.out, RunCli({"--help"}).out);
  CommandResult push_help = RunCli({"help", "push"});
  EXPECT_EQ(push_help.exit_code, 0) << push_help.Describe();
  EXPECT_EQ(push_help.out, RunCli({"push", "--help"}).out);
  EXPECT_TRUE(Contains(push_help.out, "Usage: spoke push")) << push_help.Describe();
  EXPECT_TRUE(Contains(push_help.out, "--version")) << push_help.Describe();
  EXPECT_EQ(RunCli({"help", "compile"}).out, RunCli({"compile", "--help"}).out);
}

// A file system call that fails (here: a name longer than PATH_MAX) is a Status like any other;
// it used to be the throwing std::filesystem::exists, and spoke aborted (exit 134).
TEST(CliErrors, LintListRulesInADirectoryWhoseNameIsTooLongListsTheRulesInsteadOfAborting) {
  TempDir work;
  const std::string dir = work.Sub(std::string(5000, 'd'));
  CommandResult lint =
      RunCli({"lint", "--list-rules", "--dir", dir}, {{"SPOKE_HOME", work.Sub("home")}});
  EXPECT_EQ(lint.exit_code, 0) << lint.Describe();
  EXPECT_TRUE(Contains(lint.out, "FIELD_LOWER_SNAKE_CASE")) << lint.Describe();
}

TEST(CliHelp, HelpForACommandThatDoesNotExistIsAUsageError) {
  CommandResult help = RunCli({"help", "nosuchcommand"});
  EXPECT_EQ(help.exit_code, 2) << help.Describe();
  EXPECT_TRUE(Contains(help.err, "nosuchcommand")) << help.Describe();
}

TEST(CliHelp, VersionAtTheTopLevelPrintsTheVersionInEverySpelling) {
  for (const char* flag : {"--version", "-version", "--version-info", "-version-info"}) {
    SCOPED_TRACE(flag);
    CommandResult version = RunCli({flag});
    EXPECT_EQ(version.exit_code, 0) << version.Describe();
    EXPECT_EQ(version.out, "spoke 0.1.0\n");
  }
}

TEST(CliHelp, VersionAfterACommandIsStillThatCommandsVersion) {
  TempDir work;
  auto server = ServerProcess::Start({work.Sub("storage"), {}, {}});
  ASSERT_TRUE(server);
  WriteFiles(work.Sub("src"),
             {{"user.proto", "syntax = \"proto3\";\npackage user;\nmessage User {}\n"}});
  CliUser user(work.Sub("home"), server->url());
  CommandResult push = user.Run(
      {"push", "-module", "user", "-version", "v1.0.0", "-dir", work.Sub("src"), "--json"});
  EXPECT_EQ(JsonOut(push).GetString("version"), "v1.0.0");
  CommandResult pull =
      user.Run({"pull", "--module", "user", "--version", "v1.0.0", "--dir", work.Sub("out")});
  EXPECT_EQ(pull.exit_code, 0) << pull.Describe();
  EXPECT_EQ(ReadFiles(work.Sub("out")).size(), 1u);
}

// --- clone -module, then fetch -----------------------------------------------------------------

class CloneThenFetch : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    Publish("user", "v1.0.0");
    Publish("other", "v1.0.0");
  }

  void Publish(const std::string& module, const std::string& version) {
    const std::string dir = work_.Sub("src-" + module + "-" + version);
    WriteFiles(dir,
               {{module + ".proto", "syntax = \"proto3\";\npackage " + module + ";\nmessage M" +
                                        std::to_string(++published_) + " {}\n"}});
    CliUser publisher(work_.Sub("publisher-home"), server_->url());
    CommandResult push =
        publisher.Run({"push", "-module", module, "-version", version, "-dir", dir});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
  }

  CliUser Reader() const { return CliUser(work_.Sub("reader-home"), server_->url()); }
  bool ReaderHas(const std::string& ref) const {
    return Contains(RefsOf(work_.Sub("reader-home")), ref + " ");
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  int published_ = 0;
};

TEST_F(CloneThenFetch, FetchWithoutAModuleKeepsToTheModuleThatWasCloned) {
  CommandResult clone = Reader().Run({"clone", server_->url(), "-module", "user"});
  ASSERT_EQ(clone.exit_code, 0) << clone.Describe();
  ASSERT_TRUE(ReaderHas("refs/tags/user/v1.0.0"));
  ASSERT_FALSE(ReaderHas("refs/tags/other/v1.0.0"));
  Publish("user", "v1.1.0");
  Publish("other", "v1.1.0");

  CommandResult fetch = Reader().Run({"fetch", "--json"});
  Json out = JsonOut(fetch);
  std::set<std::string> names;
  if (const Json* refs = out.Get("refs"); refs && refs->is_array()) {
    for (const Json& ref : refs->as_array()) names.insert(ref.GetString("name"));
  }
  EXPECT_TRUE(names.count("refs/tags/user/v1.1.0")) << fetch.Describe();
  EXPECT_TRUE(ReaderHas("refs/tags/user/v1.1.0"));
  EXPECT_FALSE(ReaderHas("refs/tags/other/v1.0.0"));
  EXPECT_FALSE(ReaderHas("refs/heads/other/_history"));

  // The store says so where stock git can read it.
  CommandResult config =
      RunGit({"-C", work_.Sub("reader-home"), "config", "--get-all", "spoke.fetch"});
  EXPECT_EQ(config.out, "refs/heads/user/_history\nrefs/tags/user/\n") << config.Describe();

  // -module still fetches any module, and does not change what a bare fetch follows.
  CommandResult other = Reader().Run({"fetch", "-module", "other"});
  ASSERT_EQ(other.exit_code, 0) << other.Describe();
  EXPECT_TRUE(ReaderHas("refs/tags/other/v1.1.0"));
  Publish("other", "v1.2.0");
  ASSERT_EQ(Reader().Run({"fetch"}).exit_code, 0);
  EXPECT_FALSE(ReaderHas("refs/tags/other/v1.2.0"));
}

TEST_F(CloneThenFetch, CloningASecondModuleAddsItAndCloningEverythingFollowsEverything) {
  ASSERT_EQ(Reader().Run({"clone", server_->url(), "-module", "user"}).exit_code, 0);
  ASSERT_EQ(Reader().Run({"clone", server_->url(), "-module", "other"}).exit_code, 0);
  Publish("user", "v1.1.0");
  Publish("other", "v1.1.0");
  Publish("third", "v1.0.0");
  ASSERT_EQ(Reader().Run({"fetch"}).exit_code, 0);
  EXPECT_TRUE(ReaderHas("refs/tags/user/v1.1.0"));
  EXPECT_TRUE(ReaderHas("refs/tags/other/v1.1.0"));
  EXPECT_FALSE(ReaderHas("refs/tags/third/v1.0.0"));

  ASSERT_EQ(Reader().Run({"clone", server_->url()}).exit_code, 0);
  Publish("fourth", "v1.0.0");
  ASSERT_EQ(Reader().Run({"fetch"}).exit_code, 0);
  EXPECT_TRUE(ReaderHas("refs/tags/fourth/v1.0.0"));
  CommandResult config =
      RunGit({"-C", work_.Sub("reader-home"), "config", "--get-all", "spoke.fetch"});
  EXPECT_EQ(config.out, "refs/\n") << config.Describe();
}

TEST_F(CloneThenFetch, AStoreThatNeverClonedFetchesTheWholeRegistry) {
  ASSERT_EQ(Reader()
                .Run({"pull", "-module", "user", "-version", "v1.0.0", "-dir", work_.Sub("out")})
                .exit_code,
            0);
  ASSERT_EQ(Reader().Run({"fetch"}).exit_code, 0);
  EXPECT_TRUE(ReaderHas("refs/tags/other/v1.0.0"));
}

// --- directories that hold another module -------------------------------------------------------

class NestedModules : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
  }

  CliUser User() const { return CliUser(work_.Sub("home"), server_->url()); }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  // The module's own files, and two subdirectories that are another module's: one with its own
  // spoke.yaml, one a dependency tree a recursive pull left (its spoke.lock). The module's own
  // directory holds a spoke.yaml and a spoke.lock too: they are its own.
  FileSet tree_ = {
      {"spoke.yaml", "module: user\nversion: v1.0.0\n"},
      {"spoke.lock", "{\"format\": 1, \"dependencies\": {}, \"pins\": {}}\n"},
      {"user.proto", "syntax = \"proto3\";\npackage user;\nmessage User {}\n"},
      {"api/extra.proto", "syntax = \"proto3\";\npackage user.api;\nmessage Extra {}\n"},
      {"common/spoke.yaml", "module: common\nversion: v1.0.0\n"},
      {"common/types.proto", "syntax = \"proto3\";\npackage common;\nmessage Uuid {}\n"},
      {"common/deeper/more.proto",
       "syntax = \"proto3\";\npackage common.deeper;\nmessage More {}\n"},
      {"vendor/spoke.lock", "{\"format\": 1, \"dependencies\": {}, \"pins\": {}}\n"},
      {"vendor/billing/billing.proto", "syntax = \"proto3\";\npackage billing;\nmessage Bill {}\n"},
  };
};

TEST_F(NestedModules, PushLeavesOutSubdirectoriesWithTheirOwnSpokeYamlOrSpokeLockAndSaysSo) {
  const std::string dir = work_.Sub("proto");
  WriteFiles(dir, tree_);
  CommandResult push = User().Run({"push", "-dir", dir, "--json"});
  Json out = JsonOut(push);
  EXPECT_EQ(Strings(out.Get("files")), (std::vector<std::string>{"api/extra.proto", "user.proto"}));
  const Json* skipped = out.Get("skipped");
  ASSERT_TRUE(skipped && skipped->is_array() && skipped->as_array().size() == 2) << push.Describe();
  EXPECT_EQ(skipped->as_array()[0].GetString("dir"), "common");
  EXPECT_EQ(skipped->as_array()[0].GetString("holds"), "spoke.yaml");
  EXPECT_EQ(skipped->as_array()[1].GetString("dir"), "vendor");
  EXPECT_EQ(skipped->as_array()[1].GetString("holds"), "spoke.lock");
  EXPECT_TRUE(Contains(push.err, "skipping " + dir + "/common: it holds its own spoke.yaml"))
      << push.Describe();
  EXPECT_TRUE(Contains(push.err, "skipping " + dir + "/vendor: it holds its own spoke.lock"))
      << push.Describe();

  CommandResult pull =
      User().Run({"pull", "-module", "user", "-version", "v1.0.0", "-dir", work_.Sub("out")});
  ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
  EXPECT_EQ(ReadFiles(work_.Sub("out")), (FileSet{{"user.proto", tree_["user.proto"]},
                                                  {"api/extra.proto", tree_["api/extra.proto"]}}));
}

TEST_F(NestedModules, PushNamesEveryFileItTakesUnlessQuiet) {
  const std::string dir = work_.Sub("proto");
  WriteFiles(dir, tree_);
  CommandResult push = User().Run({"push", "-dir", dir});
  ASSERT_EQ(push.exit_code, 0) << push.Describe();
  EXPECT_TRUE(Contains(push.out, "\n  api/extra.proto\n  user.proto\n")) << push.Describe();
  EXPECT_FALSE(Contains(push.out, "types.proto")) << push.Describe();
  CommandResult quiet = User().Run({"-q", "push", "-dir", dir});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.Describe();
  EXPECT_FALSE(Contains(quiet.out, "  user.proto")) << quiet.Describe();
  EXPECT_TRUE(Contains(quiet.err, "skipping " + dir + "/common")) << quiet.Describe();
}

TEST_F(NestedModules, ADirectoryWhoseProtoFilesAllBelongToNestedModulesNamesThem) {
  const std::string dir = work_.Sub("schemas");
  WriteFiles(dir, {{"common/spoke.yaml", "module: common\n"},
                   {"common/types.proto", tree_["common/types.proto"]}});
  CommandResult push = User().Run({"push", "-module", "all", "-version", "v1.0.0", "-dir", dir});
  EXPECT_EQ(push.exit_code, 1) << push.Describe();
  EXPECT_TRUE(Contains(push.err, "common: spoke.yaml")) << push.Describe();
  EXPECT_TRUE(Contains(push.err, "batch-push")) << push.Describe();
}

TEST_F(NestedModules, ValidateImportsANestedModulesFilesButChecksOnlyTheModulesOwn) {
  const std::string dir = work_.Sub("proto");
  FileSet tree = tree_;
  tree["user.proto"] =
      "syntax = \"proto3\";\npackage user;\nimport \"common/types.proto\";\nmessage User { "
      "common.Uuid id = 1; }\n";
  // Broken, but another module's and imported by nothing: not this module's to report.
  tree["vendor/billing/broken.proto"] = "syntax = \"proto3\";\nmessage {\n";
  WriteFiles(dir, tree);
  CommandResult validate = User().Run({"validate", "-dir", dir, "-recursive"});
  EXPECT_EQ(validate.exit_code, 0) << validate.Describe();

  // The module's own broken file is reported.
  WriteFiles(dir, {{"api/broken.proto", "syntax = \"proto3\";\nmessage {\n"}});
  CommandResult broken = User().Run({"validate", "-dir", dir, "-recursive"});
  EXPECT_EQ(broken.exit_code, 1) << broken.Describe();
  EXPECT_TRUE(Contains(broken.out + broken.err, "api/broken.proto:2")) << broken.Describe();
}

TEST_F(NestedModules, CompileGeneratesOnlyTheModulesOwnFilesAndResolvesImportsFromNestedOnes) {
  const std::string dir = work_.Sub("proto");
  FileSet tree = tree_;
  tree["user.proto"] =
      "syntax = \"proto3\";\npackage user;\nimport \"common/types.proto\";\nmessage User { "
      "common.Uuid id = 1; }\n";
  WriteFiles(dir, tree);
  CommandResult compile =
      User().Run({"compile", "-dir", dir, "-lang", "cpp", "-out", work_.Sub("gen"), "-recursive"});
  ASSERT_EQ(compile.exit_code, 0) << compile.Describe();
  std::set<std::string> generated;
  for (const auto& [path, content] : ReadFiles(work_.Sub("gen"))) generated.insert(path);
  EXPECT_EQ(generated, (std::set<std::string>{"api/extra.pb.cc", "api/extra.pb.h", "user.pb.cc",
                                              "user.pb.h"}));
}

}  // namespace
}  // namespace spoke::e2e
