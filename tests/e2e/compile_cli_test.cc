// `spoke compile`: for a registry version it takes the registry's artifact (fetched into the local
// store with the sync protocol) and keeps working from the local store when the registry is gone;
// for a local directory it goes through the local store's artifact cache, whose key it can
// explain. Artifacts travel with clone, so a mirror never compiles what its registry did.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "archive_reader.h"
#include "generated_code_fixture.h"
#include "harness.h"
#include "spoke/artifact_cache.h"
#include "spoke/manifest.h"

namespace spoke::e2e {
namespace {

// The only artifact of a one-language compile's JSON.
Json OnlyArtifact(const Json& out) {
  const Json* artifacts = out.Get("artifacts");
  if (!artifacts || !artifacts->is_array() || artifacts->as_array().size() != 1) {
    ADD_FAILURE() << "expected one artifact in " << out.Dump(2);
    return Json::MakeObject();
  }
  return artifacts->as_array()[0];
}

std::set<std::string> FileList(const Json& artifact) {
  std::set<std::string> files;
  if (const Json* list = artifact.Get("files"); list && list->is_array()) {
    for (const Json& file : list->as_array()) files.insert(file.as_string());
  }
  return files;
}

bool Cached(const Json& artifact) {
  const Json* cached = artifact.Get("cached");
  EXPECT_TRUE(cached && cached->is_bool()) << artifact.Dump();
  return cached && cached->as_bool();
}

class CompileModule : public RegistryWithModules {
 protected:
  void TearDown() override {
    if (server_) GitFsck(Storage());
  }

  CliUser User(const std::string& name) const {
    return CliUser(work_.Sub(name + "-home"), server_->url());
  }

  CommandResult Compile(const CliUser& user, const std::string& lang, const std::string& out,
                        std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"compile", "-module", "shop", "-version",     "v1.0.0",
                                  "-lang",   lang,      "-out", work_.Sub(out), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return user.Run(args);
  }

  // The registry's archive of shop@v1.0.0 in `language`, unpacked.
  FileSet RegistryFiles(const std::string& language) {
    std::string route = "/modules/shop/versions/v1.0.0/download/" + language;
    auto got = http_->Get(route.c_str());
    if (!got || got->status != 200) {
      ADD_FAILURE() << "cannot download " << route;
      return {};
    }
    return ReadArchive(got->body);
  }
};

TEST_F(CompileModule, WithTheRegistryUpTheFilesAreTheRegistrysArtifactByteForByte) {
  CliUser first = User("first");
  Json out = JsonOut(Compile(first, "cpp", "out"));
  EXPECT_EQ(out.GetString("source"), "by the registry");
  EXPECT_EQ(out.Get("generator_runs") ? out.Get("generator_runs")->as_int() : -1, 0);
  Json artifact = OnlyArtifact(out);
  EXPECT_EQ(artifact.GetString("language"), "cpp");
  EXPECT_EQ(FileList(artifact), kShopCppFiles);
  // The registry compiled it for this client: it was not cached anywhere before.
  EXPECT_FALSE(Cached(artifact)) << out.Dump(2);

  // The registry kept what it compiled, under the key the client reports.
  CompileAnswer registry = PostCompile(*http_, "shop", "v1.0.0", "cpp");
  ASSERT_EQ(registry.status, 200) << registry.raw;
  std::string key = registry.body.GetString("key");
  EXPECT_EQ(artifact.GetString("key"), key);

  FileSet written = ReadFiles(work_.Sub("out"));
  EXPECT_EQ(PathsOf(written), kShopCppFiles);
  ExpectSameFiles(written, RegistryFiles("cpp"));
  // The artifact came into the client's store as the registry's ref and commit.
  EXPECT_NE(RefsOf(first.home()).find(ArtifactRef(key) + " " + registry.body.GetString("commit")),
            std::string::npos)
      << RefsOf(first.home());
  GitFsck(first.home());
}

TEST_F(CompileModule, ASecondClientGetsTheArtifactTheRegistryAlreadyHad) {
  Json first = JsonOut(Compile(User("first"), "cpp", "first-out"));
  Json second = JsonOut(Compile(User("second"), "cpp", "second-out"));
  EXPECT_EQ(second.GetString("source"), "by the registry");
  EXPECT_EQ(second.Get("generator_runs") ? second.Get("generator_runs")->as_int() : -1, 0);
  Json artifact = OnlyArtifact(second);
  EXPECT_TRUE(Cached(artifact)) << second.Dump(2);
  EXPECT_EQ(artifact.GetString("key"), OnlyArtifact(first).GetString("key"));
  ExpectSameFiles(ReadFiles(work_.Sub("second-out")), ReadFiles(work_.Sub("first-out")));
}

TEST_F(CompileModule, WithoutAVersionTheRegistrysLatestIsCompiled) {
  FileSet v2 = kShopFiles;
  v2["shop/refund.proto"] = "syntax = \"proto3\";\npackage shop;\n\nmessage Refund {\n}\n";
  WriteFiles(work_.Sub("src-v2"), v2);
  CommandResult push =
      User("publisher")
          .Run({"push", "-module", "shop", "-version", "v1.1.0", "-dir", work_.Sub("src-v2")});
  ASSERT_EQ(push.exit_code, 0) << push.Describe();

  CliUser first = User("first");
  Json out = JsonOut(first.Run(
      {"compile", "-module", "shop", "-lang", "cpp", "-out", work_.Sub("out"), "--json"}));
  EXPECT_EQ(out.GetString("source"), "by the registry");
  CompileAnswer registry = PostCompile(*http_, "shop", "v1.1.0", "cpp");
  ASSERT_EQ(registry.status, 200) << registry.raw;
  EXPECT_EQ(OnlyArtifact(out).GetString("key"), registry.body.GetString("key"));
  EXPECT_EQ(ReadFiles(work_.Sub("out")).count("shop/refund.pb.h"), 1u);
}

TEST_F(CompileModule, SeveralLanguagesAreWrittenOneDirectoryEach) {
  Json out = JsonOut(Compile(User("first"), "cpp,python", "out"));
  EXPECT_EQ(out.GetString("source"), "by the registry");
  const Json* artifacts = out.Get("artifacts");
  ASSERT_TRUE(artifacts && artifacts->is_array()) << out.Dump(2);
  std::set<std::string> languages;
  for (const Json& artifact : artifacts->as_array())
    languages.insert(artifact.GetString("language"));
  EXPECT_EQ(languages, (std::set<std::string>{"cpp", "python"}));
  ExpectSameFiles(ReadFiles(work_.Sub("out/cpp")), RegistryFiles("cpp"));
  ExpectSameFiles(ReadFiles(work_.Sub("out/python")), RegistryFiles("python"));
  EXPECT_EQ(ReadFiles(work_.Sub("out")).size(),
            ReadFiles(work_.Sub("out/cpp")).size() + ReadFiles(work_.Sub("out/python")).size())
      << "files were written outside the language directories";
}

TEST_F(CompileModule, AfterTheRegistryDiedTheFirstClientStillWritesTheSameFiles) {
  CliUser first = User("first");
  Json before = JsonOut(Compile(first, "cpp", "before"));
  std::string key = OnlyArtifact(before).GetString("key");
  server_->Kill();

  CommandResult again = Compile(first, "cpp", "after");
  Json out = JsonOut(again);
  ExpectSameFiles(ReadFiles(work_.Sub("after")), ReadFiles(work_.Sub("before")));
  EXPECT_EQ(out.GetString("source"), "locally");
  EXPECT_NE(again.err.find("unreachable"), std::string::npos) << again.Describe();
  EXPECT_NE(again.err.find("compiling locally"), std::string::npos) << again.Describe();
  // The registry's artifact is in the local store under the same key, so nothing is generated.
  EXPECT_EQ(out.Get("generator_runs") ? out.Get("generator_runs")->as_int() : -1, 0) << out.Dump(2);
  Json artifact = OnlyArtifact(out);
  EXPECT_EQ(artifact.GetString("key"), key);
  EXPECT_TRUE(Cached(artifact));

  // --offline never asks the registry, and finds the same.
  Json offline = JsonOut(Compile(first, "cpp", "offline", {"--offline"}));
  EXPECT_EQ(offline.GetString("source"), "locally");
  ExpectSameFiles(ReadFiles(work_.Sub("offline")), ReadFiles(work_.Sub("before")));
}

TEST_F(CompileModule, WithTheRegistryDownAFreshClientFailsSayingItIsUnreachable) {
  server_->Kill();
  CommandResult compile = Compile(User("fresh"), "cpp", "out");
  EXPECT_EQ(compile.exit_code, 1) << compile.Describe();
  EXPECT_NE(compile.err.find("unreachable"), std::string::npos) << compile.Describe();
  EXPECT_TRUE(ReadFiles(work_.Sub("out")).empty());
}

TEST_F(CompileModule, CompilingLocallyGivesTheRegistrysKeyAndBytes) {
  CliUser local = User("local");
  CommandResult pull =
      local.Run({"pull", "-module", "shop", "-version", "v1.0.0", "-dir", work_.Sub("src")});
  ASSERT_EQ(pull.exit_code, 0) << pull.Describe();
  Json out = JsonOut(Compile(local, "cpp", "out", {"--offline"}));
  EXPECT_EQ(out.GetString("source"), "locally");
  EXPECT_EQ(out.Get("generator_runs") ? out.Get("generator_runs")->as_int() : -1, 1);
  Json artifact = OnlyArtifact(out);
  EXPECT_FALSE(Cached(artifact));

  CompileAnswer registry = PostCompile(*http_, "shop", "v1.0.0", "cpp");
  ASSERT_EQ(registry.status, 201) << "--offline asked the registry: " << registry.raw;
  EXPECT_EQ(artifact.GetString("key"), registry.body.GetString("key"));
  ExpectSameFiles(ReadFiles(work_.Sub("out")), RegistryFiles("cpp"));
}

TEST_F(CompileModule, ArtifactsTravelWithCloneSoTheMirrorNeverCompilesThem) {
  Json compiled = JsonOut(Compile(User("first"), "cpp", "out"));
  std::string key = OnlyArtifact(compiled).GetString("key");
  ASSERT_TRUE(IsHex(key, 64)) << compiled.Dump(2);

  CommandResult clone =
      RunCli({"clone", server_->url(), work_.Sub("mirror")}, {{"SPOKE_HOME", work_.Sub("unused")}});
  ASSERT_EQ(clone.exit_code, 0) << clone.Describe();
  CommandResult refs = RunGit({"-C", work_.Sub("mirror"), "show-ref"});
  ASSERT_EQ(refs.exit_code, 0) << refs.Describe();
  EXPECT_NE(refs.out.find(" " + ArtifactRef(key) + "\n"), std::string::npos) << refs.out;
  EXPECT_NE(refs.out.find(" refs/tags/shop/v1.0.0\n"), std::string::npos) << refs.out;
  GitFsck(work_.Sub("mirror"));

  // With the registry gone, the mirror used as a local store serves the artifact: no generator.
  server_->Kill();
  CliUser mirror(work_.Sub("mirror"), server_->url());
  Json offline = JsonOut(Compile(mirror, "cpp", "from-mirror", {"--offline"}));
  EXPECT_EQ(offline.Get("generator_runs") ? offline.Get("generator_runs")->as_int() : -1, 0)
      << offline.Dump(2);
  EXPECT_EQ(OnlyArtifact(offline).GetString("key"), key);
  ExpectSameFiles(ReadFiles(work_.Sub("from-mirror")), ReadFiles(work_.Sub("out")));
  GitFsck(work_.Sub("mirror"));
}

// `spoke compile -dir` never needs a registry: the one configured here is a closed port.
class CompileDir : public ::testing::Test {
 protected:
  void SetUp() override { WriteFiles(work_.Sub("src"), files_); }

  CommandResult Compile(const std::string& out, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"compile", "-dir", work_.Sub("src"), "-lang",
                                  "cpp",     "-out", work_.Sub(out)};
    args.insert(args.end(), extra.begin(), extra.end());
    return user_.Run(args);
  }

  TempDir work_;
  CliUser user_{work_.Sub("home"), "http://127.0.0.1:1"};
  FileSet files_ = {
      {"api.proto",
       "syntax = \"proto3\";\npackage api;\n\nimport \"types/id.proto\";\n\n"
       "message Thing {\n  types.Id id = 1;\n}\n"},
      {"types/id.proto",
       "syntax = \"proto3\";\npackage types;\n\nmessage Id {\n  string v = 1;\n}\n"},
  };
};

TEST_F(CompileDir, TheSecondRunGeneratesNothingAndWritesTheSameFiles) {
  Json first = JsonOut(Compile("first", {"--json"}));
  EXPECT_EQ(first.GetString("source"), "locally");
  EXPECT_EQ(first.Get("generator_runs") ? first.Get("generator_runs")->as_int() : -1, 1);
  EXPECT_FALSE(Cached(OnlyArtifact(first)));
  // Without --recursive only the top directory's files are generated; imports still resolve.
  EXPECT_EQ(PathsOf(ReadFiles(work_.Sub("first"))),
            (std::set<std::string>{"api.pb.cc", "api.pb.h"}));

  Json second = JsonOut(Compile("second", {"--json"}));
  EXPECT_EQ(second.Get("generator_runs") ? second.Get("generator_runs")->as_int() : -1, 0)
      << second.Dump(2);
  EXPECT_TRUE(Cached(OnlyArtifact(second)));
  EXPECT_EQ(OnlyArtifact(second).GetString("key"), OnlyArtifact(first).GetString("key"));
  ExpectSameFiles(ReadFiles(work_.Sub("second")), ReadFiles(work_.Sub("first")));
  GitFsck(work_.Sub("home"));
}

// Moves the stamp of every source-id index under `home` `seconds` later (fixing its checksum), as
// if the compile that wrote it had begun that long after the sources were last written: what a
// test cannot wait for. Format: include/spoke/source_id_cache.h.
void AgeSourceIdIndexes(const std::string& home, int seconds) {
  for (const auto& index : std::filesystem::directory_iterator(home + "/checkouts/sources")) {
    std::ifstream in(index.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t header_end = text.find('\n'), space = text.rfind(' ', header_end);
    const long long stamp = std::stoll(text.substr(space + 1, header_end - space - 1));
    const std::string body = text.substr(0, space + 1) +
                             std::to_string(stamp + seconds * 1'000'000'000LL) +
                             text.substr(header_end, text.rfind("end ") - header_end);
    // The index's checksum is SHA-256 hex, which the manifest's file list already computes.
    const std::string hex = DescribeFiles({{"index", body}}).at(0).sha256;
    std::ofstream(index.path(), std::ios::binary | std::ios::trunc)
        << body << "end " << hex << "\n";
  }
}

// The sources' ids are remembered by stat data (checkouts/sources/), so a hit need not read them.
// A rewrite that keeps a source's size, inode and even its mtime still moves its ctime: a new key,
// never the old artifact.
TEST_F(CompileDir, ASourceRewrittenWithItsOldSizeAndMtimeStillGivesANewKey) {
  Json first = JsonOut(Compile("first", {"--json"}));
  AgeSourceIdIndexes(work_.Sub("home"), 10);
  const std::string path = work_.Sub("src/api.proto");
  struct stat before;
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  std::string rewritten = files_.at("api.proto");
  rewritten[rewritten.find("Thing")] = 'Z';  // message Zhing: one byte, same size
  {
    std::ofstream(path, std::ios::binary | std::ios::in | std::ios::out) << rewritten;
  }  // in place
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  struct stat after;
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  ASSERT_EQ(after.st_size, before.st_size);
  ASSERT_EQ(after.st_ino, before.st_ino);
  ASSERT_TRUE(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
              after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);

  Json second = JsonOut(Compile("second", {"--json"}));
  EXPECT_EQ(second.Get("generator_runs") ? second.Get("generator_runs")->as_int() : -1, 1)
      << second.Dump(2);
  EXPECT_NE(OnlyArtifact(second).GetString("key"), OnlyArtifact(first).GetString("key"));
  EXPECT_NE(ReadFiles(work_.Sub("second")).at("api.pb.h").find("class Zhing"), std::string::npos);

  // And back: the first key again, served from the cache.
  WriteFiles(work_.Sub("src"), {{"api.proto", files_.at("api.proto")}});
  Json third = JsonOut(Compile("third", {"--json"}));
  EXPECT_EQ(OnlyArtifact(third).GetString("key"), OnlyArtifact(first).GetString("key"));
  EXPECT_EQ(third.Get("generator_runs") ? third.Get("generator_runs")->as_int() : -1, 0)
      << third.Dump(2);
  ExpectSameFiles(ReadFiles(work_.Sub("third")), ReadFiles(work_.Sub("first")));
}

// The checkout cache (plain files beside the store, hard-linked to the first output) serves the
// next hit; whatever happens to the outputs, a hit still writes the artifact's bytes.
TEST_F(CompileDir, AnOutputEditedInPlaceDoesNotChangeWhatTheNextHitWrites) {
  JsonOut(Compile("first", {"--json"}));
  const FileSet original = ReadFiles(work_.Sub("first"));
  // Written in place, as an editor or a formatter may: the file may be shared with the cache.
  {
    std::ofstream edit(work_.Sub("first/api.pb.h"), std::ios::binary | std::ios::app);
    edit << "// edited\n";
  }
  Json second = JsonOut(Compile("second", {"--json"}));
  EXPECT_EQ(second.Get("generator_runs") ? second.Get("generator_runs")->as_int() : -1, 0)
      << second.Dump(2);
  EXPECT_TRUE(Cached(OnlyArtifact(second)));
  ExpectSameFiles(ReadFiles(work_.Sub("second")), original);
  // That hit came from the store (the cached copy no longer matched) and replaced the cached copy
  // with links to its own output. A hit from the checkout cache copies: its files are its own.
  EXPECT_EQ(std::filesystem::hard_link_count(work_.Sub("second/api.pb.h")), 2u);
  Json copied = JsonOut(Compile("copied", {"--json"}));
  EXPECT_TRUE(Cached(OnlyArtifact(copied)));
  ExpectSameFiles(ReadFiles(work_.Sub("copied")), original);
  EXPECT_EQ(std::filesystem::hard_link_count(work_.Sub("copied/api.pb.h")), 1u);

  // Without the checkout cache at all, the store serves the hit, and the cache is made again.
  std::filesystem::remove_all(work_.Sub("home/checkouts"));
  Json third = JsonOut(Compile("third", {"--json"}));
  EXPECT_EQ(third.Get("generator_runs") ? third.Get("generator_runs")->as_int() : -1, 0)
      << third.Dump(2);
  ExpectSameFiles(ReadFiles(work_.Sub("third")), original);
  EXPECT_TRUE(std::filesystem::is_directory(work_.Sub("home/checkouts")));
  GitFsck(work_.Sub("home"));
}

TEST_F(CompileDir, LinkPlacesHardLinksThatALaterCompileIntoTheSameDirectoryReplaces) {
  JsonOut(Compile("first", {"--json"}));
  const FileSet original = ReadFiles(work_.Sub("first"));
  Json linked = JsonOut(Compile("shared", {"--json", "--link"}));
  EXPECT_TRUE(Cached(OnlyArtifact(linked)));
  ExpectSameFiles(ReadFiles(work_.Sub("shared")), original);
  EXPECT_GE(std::filesystem::hard_link_count(work_.Sub("shared/api.pb.h")), 2u);

  // A changed source, compiled into the same directory: a miss whose files replace the links
  // rather than write through them into the cached artifact.
  WriteFiles(work_.Sub("src"), {{"api.proto", files_.at("api.proto") + "\nmessage Extra {\n}\n"}});
  Json changed = JsonOut(Compile("shared", {"--json"}));
  EXPECT_EQ(changed.Get("generator_runs") ? changed.Get("generator_runs")->as_int() : -1, 1);
  EXPECT_NE(ReadFiles(work_.Sub("shared")).at("api.pb.h"), original.at("api.pb.h"));

  WriteFiles(work_.Sub("src"), files_);
  Json back = JsonOut(Compile("back", {"--json"}));
  EXPECT_EQ(back.Get("generator_runs") ? back.Get("generator_runs")->as_int() : -1, 0)
      << back.Dump(2);
  ExpectSameFiles(ReadFiles(work_.Sub("back")), original);
}

// The checkout cache is bounded by SPOKE_CHECKOUT_CACHE_MAX (default 5G); entries past it go
// least recently used first, and the object store still serves their keys.
TEST_F(CompileDir, TheCheckoutCacheKeepsToItsBound) {
  auto listings = [&] {
    size_t count = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(work_.Sub("home/checkouts"), ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().extension() == ".files") ++count;
    }
    return count;
  };
  Env small = user_.env();
  small.push_back({"SPOKE_CHECKOUT_CACHE_MAX", "1K"});  // less than either artifact
  auto compile = [&](const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> args{"compile", "-dir", work_.Sub("src"), "-lang",
                                  "cpp",     "-out", work_.Sub(out),   "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args, small, "");
  };
  JsonOut(compile("flat", {}));
  EXPECT_EQ(listings(), 1u);
  JsonOut(compile("deep", {"--recursive"}));
  EXPECT_EQ(listings(), 1u) << "the older entry outlived the bound";
  Json again = JsonOut(compile("flat-again", {}));
  EXPECT_EQ(again.Get("generator_runs") ? again.Get("generator_runs")->as_int() : -1, 0)
      << again.Dump(2);
  ExpectSameFiles(ReadFiles(work_.Sub("flat-again")), ReadFiles(work_.Sub("flat")));

  for (const char* bad : {"5X", "G", "-1", "16777216T", "99999999999999999999"}) {
    Env wrong = user_.env();
    wrong.push_back({"SPOKE_CHECKOUT_CACHE_MAX", bad});
    CommandResult refused =
        RunCli({"compile", "-dir", work_.Sub("src"), "-lang", "cpp", "-out", work_.Sub("never")},
               wrong, "");
    EXPECT_EQ(refused.exit_code, 2) << bad << "\n" << refused.Describe();
    EXPECT_NE(refused.err.find("SPOKE_CHECKOUT_CACHE_MAX"), std::string::npos)
        << refused.Describe();
  }
  EXPECT_TRUE(ReadFiles(work_.Sub("never")).empty());
}

// `spoke` is a front end: it serves a checkout-cache hit on its own and hands every other command
// to spoke-core, which `cmake --install` puts in <prefix>/libexec/spoke/ (the client's one other
// file: the HTTP transport is linked into spoke-core). A copy of the front end alone still serves
// a hit; what it cannot serve fails naming the missing program and where it looked. With
// spoke-core in ../libexec/spoke/ from it, as installed, everything runs, a registry command too.
TEST_F(CompileDir, TheFrontEndServesAHitAloneAndFindsSpokeCoreWhereInstallPutsIt) {
  ASSERT_EQ(Compile("first").exit_code, 0);
  const std::string prefix = work_.Sub("prefix");
  std::filesystem::create_directories(prefix + "/bin");
  std::filesystem::copy_file(SPOKE_BIN, prefix + "/bin/spoke");
  auto run_alone = [&](std::vector<std::string> args) {
    args.insert(args.begin(), prefix + "/bin/spoke");
    return RunCommand({args, user_.env(), ""});
  };

  CommandResult hit = run_alone(
      {"compile", "-dir", work_.Sub("src"), "-lang", "cpp", "-out", work_.Sub("second"), "--json"});
  ASSERT_EQ(hit.exit_code, 0) << hit.Describe();
  Json served = JsonOut(hit);
  EXPECT_EQ(served.Get("generator_runs") ? served.Get("generator_runs")->as_int() : -1, 0)
      << served.Dump(2);
  EXPECT_TRUE(Cached(OnlyArtifact(served)));
  ExpectSameFiles(ReadFiles(work_.Sub("second")), ReadFiles(work_.Sub("first")));

  CommandResult miss =
      run_alone({"compile", "-dir", work_.Sub("src"), "-lang", "python", "-out", work_.Sub("py")});
  EXPECT_EQ(miss.exit_code, 1) << miss.Describe();
  EXPECT_NE(miss.err.find("cannot find spoke-core"), std::string::npos) << miss.Describe();
  EXPECT_NE(miss.err.find(prefix + "/bin/spoke-core"), std::string::npos) << miss.Describe();
  EXPECT_NE(miss.err.find(prefix + "/libexec/spoke/spoke-core"), std::string::npos)
      << miss.Describe();

  std::filesystem::create_directories(prefix + "/libexec/spoke");
  std::filesystem::copy_file(SPOKE_CORE_BIN, prefix + "/libexec/spoke/spoke-core");
  CommandResult local =
      run_alone({"compile", "-dir", work_.Sub("src"), "-lang", "python", "-out", work_.Sub("py")});
  EXPECT_EQ(local.exit_code, 0) << local.Describe();
  EXPECT_FALSE(ReadFiles(work_.Sub("py")).empty());
  // The registry of this fixture listens nowhere: the command gets as far as asking it (through
  // the transport linked into spoke-core), then shows the local store.
  CommandResult remote = run_alone({"versions", "-module", "shop"});
  EXPECT_EQ(remote.exit_code, 0) << remote.Describe();
  EXPECT_NE(remote.err.find("registry http://127.0.0.1:1 is unreachable"), std::string::npos)
      << remote.Describe();
  GitFsck(work_.Sub("home"));
}

// The front end hands spoke-core a larger malloc cache (glibc.malloc.tcache_count), added to the
// user's GLIBC_TUNABLES and never over a value the user gave. Seen from a stand-in spoke-core that
// prints its environment's GLIBC_TUNABLES.
TEST_F(CompileDir, TheFrontEndTunesMallocForSpokeCoreUnlessTheUserDid) {
  const std::string exec_path = work_.Sub("exec-path");
  std::filesystem::create_directories(exec_path);
  {
    std::ofstream core(exec_path + "/spoke-core");
    core << "#!/bin/sh\nprintf '%s\\n' \"$GLIBC_TUNABLES\"\n";
  }
  std::filesystem::permissions(exec_path + "/spoke-core", std::filesystem::perms::owner_all);
  auto tunables_seen = [&](const char* given) {
    Env env = user_.env();
    env.emplace_back("SPOKE_EXEC_PATH", exec_path);
    if (given) env.emplace_back("GLIBC_TUNABLES", given);
    CommandResult run = RunCommand({{SPOKE_BIN, "version"}, env, ""});
    EXPECT_EQ(run.exit_code, 0) << run.Describe();
    return run.out;
  };
  EXPECT_EQ(tunables_seen(nullptr), "glibc.malloc.tcache_count=500\n");
  EXPECT_EQ(tunables_seen("glibc.malloc.arena_max=2"),
            "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=500\n");
  EXPECT_EQ(tunables_seen("glibc.malloc.tcache_count=7"), "glibc.malloc.tcache_count=7\n");
}

TEST_F(CompileDir, RecursiveGeneratesForSubdirectoriesUnderAnotherKey) {
  Json flat = JsonOut(Compile("flat", {"--json"}));
  Json deep = JsonOut(Compile("deep", {"--json", "--recursive"}));
  EXPECT_EQ(PathsOf(ReadFiles(work_.Sub("deep"))),
            (std::set<std::string>{"api.pb.cc", "api.pb.h", "types/id.pb.cc", "types/id.pb.h"}));
  EXPECT_NE(OnlyArtifact(deep).GetString("key"), OnlyArtifact(flat).GetString("key"));
  // A directory with nothing at its top needs --recursive, and says so.
  WriteFiles(work_.Sub("nested/types"), {{"id.proto", files_.at("types/id.proto")}});
  CommandResult nested = user_.Run(
      {"compile", "-dir", work_.Sub("nested"), "-lang", "cpp", "-out", work_.Sub("nested-out")});
  EXPECT_EQ(nested.exit_code, 1) << nested.Describe();
  EXPECT_NE(nested.err.find("--recursive"), std::string::npos) << nested.Describe();
}

// The "<tag> <value>" lines of an --explain-key output, in order.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_F(CompileDir, ExplainKeyPrintsTheHashedInputsInOrder) {
  CommandResult explain = Compile("explained", {"--explain-key"});
  ASSERT_EQ(explain.exit_code, 0) << explain.Describe();
  EXPECT_TRUE(ReadFiles(work_.Sub("explained")).empty()) << "--explain-key wrote files";
  Json compiled = JsonOut(Compile("out", {"--json"}));
  std::string key = OnlyArtifact(compiled).GetString("key");

  std::string api_blob = RunGit({"hash-object", work_.Sub("src/api.proto")}).out;
  std::string id_blob = RunGit({"hash-object", work_.Sub("src/types/id.proto")}).out;
  ASSERT_FALSE(api_blob.empty());
  ASSERT_FALSE(id_blob.empty());
  api_blob.pop_back();  // '\n'
  id_blob.pop_back();
  std::vector<std::string> lines = Lines(explain.out);
  ASSERT_GE(lines.size(), 9u) << explain.out;
  EXPECT_EQ(lines[0], "# cpp: key " + key) << "the explained key is not the key used";
  EXPECT_EQ(lines[1], "format spoke-artifact-key/1");
  EXPECT_EQ(lines[2], "language cpp");
  EXPECT_EQ(lines[3].rfind("generator libprotoc ", 0), 0u) << lines[3];
  EXPECT_EQ(lines[4], "parameter ");
  EXPECT_EQ(lines[5], "source api.proto");
  EXPECT_EQ(lines[6], "blob " + api_blob);
  EXPECT_EQ(lines[7], "source types/id.proto");
  EXPECT_EQ(lines[8], "blob " + id_blob);
  EXPECT_NE(explain.out.find("\ntarget api.proto\n"), std::string::npos) << explain.out;
  EXPECT_EQ(explain.out.find("target types/id.proto"), std::string::npos)
      << "a file below the top is a target without --recursive\n"
      << explain.out;

  // An edit to an imported file changes its blob line and the key: the miss is explained.
  WriteFiles(work_.Sub("src"), {{"types/id.proto", files_.at("types/id.proto") + "// edited\n"}});
  CommandResult edited = Compile("explained", {"--explain-key"});
  ASSERT_EQ(edited.exit_code, 0) << edited.Describe();
  std::vector<std::string> after = Lines(edited.out);
  ASSERT_EQ(after.size(), lines.size()) << edited.out;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (i == 8) {
      EXPECT_NE(after[i], lines[i]);
    } else {
      EXPECT_EQ(after[i], lines[i]) << "line " << i;
    }
  }
  EXPECT_NE(after[0], lines[0]);
  Json recompiled = JsonOut(Compile("edited-out", {"--json"}));
  EXPECT_EQ(recompiled.Get("generator_runs") ? recompiled.Get("generator_runs")->as_int() : -1, 1);
}

TEST_F(CompileDir, ASyntaxErrorExits1NamingFileLineAndColumn) {
  WriteFiles(
      work_.Sub("src"),
      {{"broken.proto", "syntax = \"proto3\";\n\nmessage Broken {\n  string name = ;\n}\n"}});
  CommandResult compile = Compile("out", {"--json"});
  EXPECT_EQ(compile.exit_code, 1) << compile.Describe();
  // Lines and columns count from 1, as editors do: the ';' where the number should be.
  EXPECT_NE(compile.err.find(" broken.proto:4:17: "), std::string::npos) << compile.Describe();
  EXPECT_TRUE(ReadFiles(work_.Sub("out")).empty());
  EXPECT_EQ(RefsOf(work_.Sub("home")).find("refs/artifacts/"), std::string::npos)
      << "a failed compile stored an artifact";
}

TEST_F(CompileDir, AnUnknownLanguageIsAUsageErrorExiting2) {
  for (std::string lang : {"fortran", "cpp,fortran", "cpp,", ""}) {
    SCOPED_TRACE("-lang \"" + lang + "\"");
    CommandResult compile = user_.Run(
        {"compile", "-dir", work_.Sub("src"), "-lang", lang, "-out", work_.Sub("out-" + lang)});
    EXPECT_EQ(compile.exit_code, 2) << compile.Describe();
    EXPECT_TRUE(ReadFiles(work_.Sub("out-" + lang)).empty());
  }
  CommandResult fortran = user_.Run(
      {"compile", "-dir", work_.Sub("src"), "-lang", "fortran", "-out", work_.Sub("out")});
  EXPECT_NE(fortran.err.find("unknown language \"fortran\""), std::string::npos)
      << fortran.Describe();
  EXPECT_NE(fortran.err.find("known: cpp"), std::string::npos) << fortran.Describe();
  CommandResult both = user_.Run({"compile", "-dir", work_.Sub("src"), "-module", "shop", "-lang",
                                  "cpp", "-out", work_.Sub("out")});
  EXPECT_EQ(both.exit_code, 2) << both.Describe();
}

}  // namespace
}  // namespace spoke::e2e
