// Store: opening, publishing and reading versions, immutability, ref compare-and-swap, and
// concurrent writers in one process and across two Store objects (as two processes would).
#include "spoke/store.h"

#include <git2.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace spoke {
namespace {

using testing::AllRefs;
using testing::Git;
using testing::GitFsckStrict;
using testing::IsObjectId;
using testing::MakeRequest;
using testing::OneFile;
using testing::TempDir;

std::unique_ptr<Store> MustOpen(const std::string& path) {
  auto store = Store::Open(path, /*create=*/true);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MustOpen(dir_.Sub("store"));
    ASSERT_NE(store_, nullptr);
  }

  PutResult MustPut(const NewVersion& request) {
    auto put = store_->PutVersion(request);
    EXPECT_TRUE(put.ok()) << request.module << "@" << request.version << ": "
                          << put.status().ToString();
    return put.ok() ? *put : PutResult{};
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

// --- Opening ---------------------------------------------------------------------------------

TEST_F(StoreTest, OpenWithCreateMakesABareRepositoryThatStockGitReads) {
  std::string path = dir_.Sub("store");
  EXPECT_EQ(store_->path(), path);
  git_repository* repo = nullptr;
  ASSERT_EQ(git_repository_open_bare(&repo, path.c_str()), 0);
  EXPECT_EQ(git_repository_is_bare(repo), 1);
  git_repository_free(repo);
  auto is_bare = Git(path, "rev-parse --is-bare-repository");
  EXPECT_EQ(is_bare.exit_code, 0) << is_bare.output;
  EXPECT_EQ(is_bare.output, "true\n");
  EXPECT_TRUE(GitFsckStrict(path));
}

TEST_F(StoreTest, OpenWithCreateMakesMissingParentDirectories) {
  std::string path = dir_.Sub("deep/er/store");
  auto store = Store::Open(path, true);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(path) / "HEAD"));
}

TEST_F(StoreTest, ReopeningAnExistingStoreKeepsItsVersions) {
  MustPut(MakeRequest("user", "v1.0.0", OneFile("one")));
  store_.reset();
  auto reopened = Store::Open(dir_.Sub("store"), /*create=*/false);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto versions = (*reopened)->ListVersions("user");
  SPOKE_ASSERT_OK(versions);
  EXPECT_EQ(*versions, std::vector<std::string>{"v1.0.0"});
}

TEST_F(StoreTest, OpenWithoutCreateOfAMissingDirectoryIsNotFound) {
  auto store = Store::Open(dir_.Sub("absent"), /*create=*/false);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("absent")));
}

TEST_F(StoreTest, OpenOfANonEmptyDirectoryThatIsNotARepositoryFails) {
  std::string path = dir_.Sub("notes");
  std::filesystem::create_directories(path);
  std::ofstream(path + "/readme.txt") << "my notes\n";
  auto store = Store::Open(path, /*create=*/true);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kInvalidArgument) << store.status().ToString();
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  // Nothing was written into it.
  EXPECT_FALSE(std::filesystem::exists(path + "/HEAD"));
  EXPECT_FALSE(std::filesystem::exists(path + "/objects"));
}

TEST_F(StoreTest, OpenOfADirectoryThatOnlyLooksLikeARepositoryIsInvalidArgument) {
  std::string path = dir_.Sub("fake");
  std::filesystem::create_directories(path + "/objects");
  std::ofstream(path + "/HEAD") << "not a ref\n";
  for (bool create : {true, false}) {
    auto store = Store::Open(path, create);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), Status::Code::kInvalidArgument) << store.status().ToString();
  }
}

TEST_F(StoreTest, OpenOfARegularFileFails) {
  std::string path = dir_.Sub("file");
  std::ofstream(path) << "x";
  auto store = Store::Open(path, /*create=*/true);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(StoreTest, OpenWithCreateOfAnEmptyExistingDirectoryCreatesTheStoreThere) {
  std::string path = dir_.Sub("empty");
  std::filesystem::create_directories(path);
  auto store = Store::Open(path, /*create=*/true);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(path + "/HEAD"));
}

// --- Publishing and reading ------------------------------------------------------------------

TEST_F(StoreTest, APublishedVersionReadsBackCompletely) {
  FileSet files = {{"user.proto", "syntax = \"proto3\";\nmessage User { string id = 1; }\n"},
                   {"v1/rpc/service.proto", "syntax = \"proto3\";\nservice Users {}\n"},
                   {"empty.proto", ""}};
  PutResult put = MustPut(MakeRequest("payments/ledger", "v1.0.0", files, "The ledger"));
  EXPECT_TRUE(put.created);
  const VersionInfo& info = put.version;
  EXPECT_EQ(info.module, "payments/ledger");
  EXPECT_EQ(info.version, "v1.0.0");
  EXPECT_TRUE(IsObjectId(info.tag_id)) << info.tag_id;
  EXPECT_TRUE(IsObjectId(info.commit_id)) << info.commit_id;
  EXPECT_GT(info.created, 0);
  EXPECT_EQ(info.manifest.module, "payments/ledger");
  EXPECT_EQ(info.manifest.version, "v1.0.0");
  EXPECT_EQ(info.manifest.description, "The ledger");
  EXPECT_EQ(info.manifest.digest, ComputeDigest(DescribeFiles(files)));
  ASSERT_EQ(info.manifest.files.size(), 3u);
  EXPECT_EQ(info.manifest.files[0].path, "empty.proto");
  EXPECT_EQ(info.manifest.files[2].path, "v1/rpc/service.proto");
  EXPECT_EQ(info.manifest.files[2].size, files["v1/rpc/service.proto"].size());

  auto got = store_->GetVersion("payments/ledger", "v1.0.0");
  SPOKE_ASSERT_OK(got);
  EXPECT_EQ(got->tag_id, info.tag_id);
  EXPECT_EQ(got->commit_id, info.commit_id);
  EXPECT_EQ(got->manifest.Serialize(), info.manifest.Serialize());

  auto read = store_->ReadFiles(*got);
  SPOKE_ASSERT_OK(read);
  EXPECT_EQ(*read, files);  // the manifest is not among the files

  auto one = store_->ReadFile(*got, "v1/rpc/service.proto");
  SPOKE_ASSERT_OK(one);
  EXPECT_EQ(one->first, files["v1/rpc/service.proto"]);
  git_oid expected_blob;
  const std::string& content = files["v1/rpc/service.proto"];
  ASSERT_EQ(git_odb_hash(&expected_blob, content.data(), content.size(), GIT_OBJECT_BLOB), 0);
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof(hex), &expected_blob);
  EXPECT_EQ(one->second, hex);
  EXPECT_TRUE(store_->HasObject(one->second));

  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

TEST_F(StoreTest, ReadFileRefusesMissingFilesTheManifestAndBadPaths) {
  PutResult put = MustPut(MakeRequest("user", "v1.0.0", OneFile("x")));
  auto missing = store_->ReadFile(put.version, "other.proto");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  auto dir = store_->ReadFile(put.version, "api.proto/x.proto");
  EXPECT_EQ(dir.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(store_->ReadFile(put.version, kManifestPath).ok());
  EXPECT_EQ(store_->ReadFile(put.version, "../api.proto").status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(StoreTest, ListingsLogAndModuleInfoDescribeWhatWasPublished) {
  PutResult first = MustPut(MakeRequest("user", "v1.0.0", OneFile("1"), "Users"));
  PutResult second = MustPut(MakeRequest("user", "v1.1.0", OneFile("2"), "Users"));
  MustPut(MakeRequest("billing", "v0.1.0", OneFile("b")));

  auto modules = store_->ListModules();
  SPOKE_ASSERT_OK(modules);
  EXPECT_EQ(*modules, (std::vector<std::string>{"billing", "user"}));

  auto versions = store_->ListVersions("user");
  SPOKE_ASSERT_OK(versions);
  EXPECT_EQ(*versions, (std::vector<std::string>{"v1.0.0", "v1.1.0"}));

  auto module = store_->GetModule("user");
  SPOKE_ASSERT_OK(module);
  EXPECT_EQ(module->name, "user");
  EXPECT_EQ(module->description, "Users");
  EXPECT_EQ(module->branch_tip, second.version.commit_id);
  EXPECT_GT(module->created, 0);

  auto log = store_->Log("user");
  SPOKE_ASSERT_OK(log);
  ASSERT_EQ(log->size(), 2u);              // the module's root record is not a version
  EXPECT_EQ((*log)[0].version, "v1.1.0");  // newest first
  EXPECT_EQ((*log)[0].commit_id, second.version.commit_id);
  EXPECT_EQ((*log)[0].tag_id, second.version.tag_id);
  EXPECT_EQ((*log)[1].version, "v1.0.0");
  EXPECT_EQ((*log)[1].commit_id, first.version.commit_id);
  EXPECT_EQ((*log)[1].manifest.digest, first.version.manifest.digest);

  // The refs are laid out as documented.
  auto tag = store_->ResolveRef(VersionTagRef("user", "v1.0.0"));
  SPOKE_ASSERT_OK(tag);
  EXPECT_EQ(*tag, first.version.tag_id);
  auto branch = store_->ResolveRef(ModuleBranchRef("user"));
  SPOKE_ASSERT_OK(branch);
  EXPECT_EQ(*branch, second.version.commit_id);
  auto absent = store_->ResolveRef("refs/tags/user/v9.9.9");
  SPOKE_ASSERT_OK(absent);
  EXPECT_EQ(*absent, "");

  auto refs = store_->ListRefs("refs/tags/user/");
  SPOKE_ASSERT_OK(refs);
  ASSERT_EQ(refs->size(), 2u);
  EXPECT_EQ((*refs)[0].name, "refs/tags/user/v1.0.0");
  EXPECT_EQ((*refs)[0].target, first.version.tag_id);
  EXPECT_EQ((*refs)[0].peeled, first.version.commit_id);
  EXPECT_EQ(AllRefs(*store_).size(), 5u);  // 3 tags + 2 branches
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

TEST_F(StoreTest, RefNamesFollowTheDocumentedLayout) {
  EXPECT_EQ(VersionTagRef("a/b", "v1.0.0"), "refs/tags/a/b/v1.0.0");
  EXPECT_EQ(ModuleBranchRef("a/b"), "refs/heads/a/b/_history");
  std::string module, version;
  ASSERT_TRUE(ParseVersionTagRef("refs/tags/a/b/v1.0.0-rc.1", &module, &version));
  EXPECT_EQ(module, "a/b");
  EXPECT_EQ(version, "v1.0.0-rc.1");
  ASSERT_TRUE(ParseModuleBranchRef("refs/heads/a/b/_history", &module));
  EXPECT_EQ(module, "a/b");
  EXPECT_FALSE(ParseVersionTagRef("refs/tags/v1.0.0", &module, &version));
  EXPECT_FALSE(ParseVersionTagRef("refs/heads/a/v1.0.0", &module, &version));
  EXPECT_FALSE(ParseVersionTagRef("refs/tags/A/v1.0.0", &module, &version));
  EXPECT_FALSE(ParseModuleBranchRef("refs/heads/main", &module));
  EXPECT_FALSE(ParseModuleBranchRef("refs/heads/_history", &module));
  EXPECT_FALSE(ParseModuleBranchRef("refs/tags/a/_history", &module));
}

TEST_F(StoreTest, ReadsOfAbsentThingsAreNotFound) {
  EXPECT_EQ(store_->GetVersion("user", "v1.0.0").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->GetVersion("user", "latest").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->GetModule("user").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->Log("user").status().code(), Status::Code::kNotFound);
  auto versions = store_->ListVersions("user");
  SPOKE_ASSERT_OK(versions);
  EXPECT_TRUE(versions->empty());
  auto modules = store_->ListModules();
  SPOKE_ASSERT_OK(modules);
  EXPECT_TRUE(modules->empty());
  EXPECT_FALSE(store_->HasObject(std::string(40, '0')));
  EXPECT_FALSE(store_->HasObject("not an id"));
}

TEST_F(StoreTest, ReadsWithInvalidNamesAreInvalidArgument) {
  EXPECT_EQ(store_->GetVersion("User", "v1.0.0").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->GetVersion("user", "1.0.0").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->GetModule("a//b").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->ListVersions("../x").status().code(), Status::Code::kInvalidArgument);
}

TEST_F(StoreTest, LatestIsTheHighestReleaseIgnoringPreReleases) {
  for (const std::string& v : std::vector<std::string>{"v1.0.0", "v1.2.0", "v2.0.0-rc.1", "v1.10.0",
                                                       "v1.9.0", "v3.0.0-alpha"}) {
    MustPut(MakeRequest("user", v, OneFile(v)));
  }
  auto latest = store_->GetVersion("user", "latest");
  SPOKE_ASSERT_OK(latest);
  EXPECT_EQ(latest->version, "v1.10.0");
  auto versions = store_->ListVersions("user");
  SPOKE_ASSERT_OK(versions);
  EXPECT_EQ(*versions, (std::vector<std::string>{"v1.0.0", "v1.2.0", "v1.9.0", "v1.10.0",
                                                 "v2.0.0-rc.1", "v3.0.0-alpha"}));
}

TEST_F(StoreTest, LatestOfAModuleWithOnlyPreReleasesIsNotFound) {
  MustPut(MakeRequest("user", "v1.0.0-rc.1", OneFile("rc")));
  EXPECT_EQ(store_->GetVersion("user", "latest").status().code(), Status::Code::kNotFound);
  SPOKE_EXPECT_OK(store_->GetVersion("user", "v1.0.0-rc.1"));
}

TEST_F(StoreTest, CreateModuleMakesAModuleWithoutVersions) {
  auto created = store_->CreateModule("user", "Users");
  SPOKE_ASSERT_OK(created);
  EXPECT_EQ(created->description, "Users");
  auto modules = store_->ListModules();
  SPOKE_ASSERT_OK(modules);
  EXPECT_EQ(*modules, std::vector<std::string>{"user"});
  auto log = store_->Log("user");
  SPOKE_ASSERT_OK(log);
  EXPECT_TRUE(log->empty());
  EXPECT_EQ(store_->CreateModule("user", "again").status().code(), Status::Code::kAlreadyExists);
  // A version then builds on the module's root.
  PutResult put = MustPut(MakeRequest("user", "v1.0.0", OneFile("x")));
  auto module = store_->GetModule("user");
  SPOKE_ASSERT_OK(module);
  EXPECT_EQ(module->created, created->created);
  EXPECT_EQ(module->branch_tip, put.version.commit_id);
}

// --- Immutability ----------------------------------------------------------------------------

TEST_F(StoreTest, PublishingTheSameContentAgainChangesNothing) {
  PutResult first = MustPut(MakeRequest("user", "v1.0.0", OneFile("x"), "first words"));
  auto refs = AllRefs(*store_);
  // The digest covers the files only, so a different description is still the same content.
  PutResult again = MustPut(MakeRequest("user", "v1.0.0", OneFile("x"), "other words"));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.version.tag_id, first.version.tag_id);
  EXPECT_EQ(again.version.commit_id, first.version.commit_id);
  EXPECT_EQ(AllRefs(*store_), refs);
}

TEST_F(StoreTest, PublishingDifferentContentUnderAnExistingVersionIsAlreadyExists) {
  PutResult first = MustPut(MakeRequest("user", "v1.0.0", OneFile("x")));
  auto refs = AllRefs(*store_);
  auto put = store_->PutVersion(MakeRequest("user", "v1.0.0", OneFile("y")));
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), Status::Code::kAlreadyExists) << put.status().ToString();
  EXPECT_NE(put.status().message().find("user@v1.0.0"), std::string::npos)
      << put.status().message();
  EXPECT_EQ(AllRefs(*store_), refs);
  auto files = store_->ReadFiles(first.version);
  SPOKE_ASSERT_OK(files);
  EXPECT_EQ(*files, OneFile("x"));
}

TEST_F(StoreTest, BuildMetadataMakesADistinctVersionName) {
  MustPut(MakeRequest("user", "v1.0.0+a", OneFile("a")));
  PutResult b = MustPut(MakeRequest("user", "v1.0.0+b", OneFile("b")));
  EXPECT_TRUE(b.created);
  auto versions = store_->ListVersions("user");
  SPOKE_ASSERT_OK(versions);
  EXPECT_EQ(*versions, (std::vector<std::string>{"v1.0.0+a", "v1.0.0+b"}));
}

TEST_F(StoreTest, InvalidRequestsAreRefusedBeforeAnyRefChanges) {
  std::vector<NewVersion> bad = {
      MakeRequest("User", "v1.0.0", OneFile("x")),
      MakeRequest("user", "1.0.0", OneFile("x")),
      MakeRequest("user", "latest", OneFile("x")),
      MakeRequest("user", "v1.0.0", {}),
      MakeRequest("user", "v1.0.0", {{"../x.proto", "x"}}),
      MakeRequest("user", "v1.0.0", {{"notes.txt", "x"}}),
      MakeRequest("user", "v1.0.0", {{kManifestPath, "{}"}}),
      MakeRequest("user", "v1.0.0", OneFile("x"), std::string(4097, 'd')),
  };
  for (const auto& request : bad) {
    auto put = store_->PutVersion(request);
    EXPECT_EQ(put.status().code(), Status::Code::kInvalidArgument)
        << request.module << "@" << request.version << ": " << put.status().ToString();
  }
  EXPECT_TRUE(AllRefs(*store_).empty());
}

TEST_F(StoreTest, APathThatIsBothAFileAndADirectoryIsRefused) {
  auto put = store_->PutVersion(
      MakeRequest("user", "v1.0.0", {{"a.proto", "file"}, {"a.proto/b.proto", "under it"}}));
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), Status::Code::kInvalidArgument) << put.status().ToString();
  EXPECT_NE(put.status().message().find("a.proto"), std::string::npos) << put.status().message();
  EXPECT_TRUE(AllRefs(*store_).empty());
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

TEST_F(StoreTest, APathThatGitTreatsAsDotGitIsRefusedSoTheStoreStaysFsckClean) {
  for (const std::string& path :
       std::vector<std::string>{".GIT/x.proto", "a/.Git/x.proto", "git~1/x.proto"}) {
    auto put = store_->PutVersion(MakeRequest("user", "v1.0.0", {{path, "message X {}\n"}}));
    EXPECT_EQ(put.status().code(), Status::Code::kInvalidArgument) << path;
  }
  EXPECT_TRUE(AllRefs(*store_).empty());
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

TEST_F(StoreTest, NestedModulesCoexistWithoutSeeingEachOthersVersions) {
  PutResult a = MustPut(MakeRequest("a", "v1.0.0", OneFile("a")));
  PutResult ab = MustPut(MakeRequest("a/b", "v2.0.0", OneFile("ab")));
  MustPut(MakeRequest("a/b/c", "v3.0.0", OneFile("abc")));
  MustPut(MakeRequest("a", "v1.1.0-rc.1", OneFile("a-rc")));

  auto modules = store_->ListModules();
  SPOKE_ASSERT_OK(modules);
  EXPECT_EQ(*modules, (std::vector<std::string>{"a", "a/b", "a/b/c"}));
  auto versions_a = store_->ListVersions("a");
  SPOKE_ASSERT_OK(versions_a);
  EXPECT_EQ(*versions_a, (std::vector<std::string>{"v1.0.0", "v1.1.0-rc.1"}));
  auto versions_ab = store_->ListVersions("a/b");
  SPOKE_ASSERT_OK(versions_ab);
  EXPECT_EQ(*versions_ab, std::vector<std::string>{"v2.0.0"});

  auto latest_a = store_->GetVersion("a", "latest");
  SPOKE_ASSERT_OK(latest_a);
  EXPECT_EQ(latest_a->version, "v1.0.0");
  EXPECT_EQ(latest_a->tag_id, a.version.tag_id);
  EXPECT_EQ(store_->GetVersion("a", "v2.0.0").status().code(), Status::Code::kNotFound);
  auto log_a = store_->Log("a");
  SPOKE_ASSERT_OK(log_a);
  EXPECT_EQ(log_a->size(), 2u);
  auto module_ab = store_->GetModule("a/b");
  SPOKE_ASSERT_OK(module_ab);
  EXPECT_EQ(module_ab->branch_tip, ab.version.commit_id);
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

// --- Ref compare-and-swap --------------------------------------------------------------------

class UpdateRefsTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    first_ = MustPut(MakeRequest("user", "v1.0.0", OneFile("1")));
    auto prepared = store_->PrepareVersion(MakeRequest("user", "v1.1.0", OneFile("2")),
                                           first_.version.commit_id);
    ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
    next_ = *prepared;
    ASSERT_EQ(next_.updates.size(), 2u);
    refs_before_ = AllRefs(*store_);
  }

  RefUpdate TagUpdate() const { return {VersionTagRef("user", "v1.1.0"), "", next_.tag_id}; }
  RefUpdate BranchUpdate() const {
    return {ModuleBranchRef("user"), first_.version.commit_id, next_.commit_id};
  }

  PutResult first_;
  PreparedVersion next_;
  std::vector<RefEntry> refs_before_;
};

TEST_F(UpdateRefsTest, PrepareVersionWritesObjectsButNoRefs) {
  EXPECT_TRUE(store_->HasObject(next_.tag_id));
  EXPECT_TRUE(store_->HasObject(next_.commit_id));
  EXPECT_EQ(AllRefs(*store_), refs_before_);
  EXPECT_EQ(next_.updates[0].name, TagUpdate().name);
  EXPECT_EQ(next_.updates[0].old_target, "");
  EXPECT_EQ(next_.updates[1].name, BranchUpdate().name);
  EXPECT_EQ(next_.updates[1].old_target, first_.version.commit_id);
}

TEST_F(UpdateRefsTest, MatchingOldValuesSwapEveryRef) {
  SPOKE_ASSERT_OK(store_->UpdateRefs(next_.updates));
  auto latest = store_->GetVersion("user", "latest");
  SPOKE_ASSERT_OK(latest);
  EXPECT_EQ(latest->version, "v1.1.0");
  auto log = store_->Log("user");
  SPOKE_ASSERT_OK(log);
  EXPECT_EQ(log->size(), 2u);
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

TEST_F(UpdateRefsTest, AWrongOldValueIsAConflictAndChangesNothing) {
  RefUpdate branch = BranchUpdate();
  branch.old_target = next_.commit_id;  // not what the branch holds
  Status s = store_->UpdateRefs({branch});
  EXPECT_EQ(s.code(), Status::Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find(branch.name), std::string::npos) << s.message();
  EXPECT_EQ(AllRefs(*store_), refs_before_);
}

TEST_F(UpdateRefsTest, ExpectingAbsenceOfAnExistingRefIsAConflict) {
  RefUpdate branch = BranchUpdate();
  branch.old_target = "";
  EXPECT_EQ(store_->UpdateRefs({branch}).code(), Status::Code::kConflict);
  RefUpdate retag = {VersionTagRef("user", "v1.0.0"), "", next_.tag_id};
  EXPECT_EQ(store_->UpdateRefs({retag}).code(), Status::Code::kConflict);
  EXPECT_EQ(AllRefs(*store_), refs_before_);
}

TEST_F(UpdateRefsTest, IsAllOrNothingWhenTheSecondRefsOldValueIsWrong) {
  // In name order the branch (refs/heads/...) comes first and is right; the tag is wrong.
  RefUpdate tag = TagUpdate();
  tag.old_target = first_.version.tag_id;  // the tag does not exist yet
  Status s = store_->UpdateRefs({BranchUpdate(), tag});
  EXPECT_EQ(s.code(), Status::Code::kConflict) << s.ToString();
  EXPECT_NE(s.message().find(tag.name), std::string::npos) << s.message();
  EXPECT_EQ(AllRefs(*store_), refs_before_);

  // And in the other direction: the tag is right, the branch is wrong.
  RefUpdate branch = BranchUpdate();
  branch.old_target = std::string(40, '1');
  s = store_->UpdateRefs({TagUpdate(), branch});
  EXPECT_EQ(s.code(), Status::Code::kConflict) << s.ToString();
  EXPECT_EQ(AllRefs(*store_), refs_before_);
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

// A writer refused by the compare-and-swap holds its ref's lock file until it frees its
// transaction, and must do so before it lets the next writer in: that one would take the file for
// a dead writer's (refs.cc), replace it with its own, have it unlinked by the refused writer's
// cleanup, and fail ("failed to rename lockfile"). Each refusal below opens that window once;
// before the fix, the writer failed within its first two dozen rounds.
TEST_F(UpdateRefsTest, AWriterRefusedAfterLockingNeverUnlocksTheNextWritersRef) {
  auto other = MustOpen(dir_.Sub("store"));
  ASSERT_NE(other, nullptr);
  constexpr int kRounds = 60;
  std::atomic<bool> done = false;
  std::atomic<int> refused = 0;
  std::thread refuser([&] {
    RefUpdate wrong = BranchUpdate();
    wrong.old_target = std::string(40, '1');  // never what the branch holds
    while (!done) {
      Status s = other->UpdateRefs({wrong});
      EXPECT_EQ(s.code(), Status::Code::kConflict) << s.ToString();
      ++refused;
    }
  });
  std::string from = first_.version.commit_id;
  std::string to = next_.commit_id;
  Status failed = Status::Ok();
  int round = 0;
  for (; round < kRounds; ++round) {
    failed = store_->UpdateRefs({{ModuleBranchRef("user"), from, to}});
    if (!failed.ok()) break;
    std::swap(from, to);
  }
  done = true;
  refuser.join();
  EXPECT_TRUE(failed.ok()) << "round " << round << ": " << failed.ToString();
  EXPECT_GT(refused, 0);
  EXPECT_EQ(AllRefs(*store_), refs_before_);
}

TEST_F(UpdateRefsTest, RefusesDeletionsDuplicatesAndInvalidNames) {
  RefUpdate deletion = BranchUpdate();
  deletion.new_target = "";
  EXPECT_EQ(store_->UpdateRefs({deletion}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->UpdateRefs({BranchUpdate(), BranchUpdate()}).code(),
            Status::Code::kInvalidArgument);
  RefUpdate invalid = TagUpdate();
  invalid.name = "refs/tags/user/v1..0";
  EXPECT_EQ(store_->UpdateRefs({invalid}).code(), Status::Code::kInvalidArgument);
  RefUpdate bad_target = TagUpdate();
  bad_target.new_target = "not-an-id";
  EXPECT_FALSE(store_->UpdateRefs({bad_target}).ok());
  EXPECT_EQ(AllRefs(*store_), refs_before_);
}

TEST_F(UpdateRefsTest, AnEmptyListIsANoOp) {
  SPOKE_EXPECT_OK(store_->UpdateRefs({}));
  EXPECT_EQ(AllRefs(*store_), refs_before_);
}

// --- Concurrency -----------------------------------------------------------------------------

constexpr int kThreads = 8;

TEST_F(StoreTest, ConcurrentPublishersOfOneVersionWithDifferentContentHaveExactlyOneWinner) {
  std::latch start(kThreads);
  std::vector<Result<PutResult>> results(kThreads, Status::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] =
          store_->PutVersion(MakeRequest("user", "v1.0.0", OneFile("writer " + std::to_string(i))));
    });
  }
  for (auto& t : threads) t.join();
  int created = 0, winner = -1;
  for (int i = 0; i < kThreads; ++i) {
    if (results[i].ok()) {
      EXPECT_TRUE(results[i]->created);
      ++created;
      winner = i;
    } else {
      EXPECT_EQ(results[i].status().code(), Status::Code::kAlreadyExists)
          << results[i].status().ToString();
    }
  }
  ASSERT_EQ(created, 1);
  auto got = store_->GetVersion("user", "v1.0.0");
  SPOKE_ASSERT_OK(got);
  auto files = store_->ReadFiles(*got);
  SPOKE_ASSERT_OK(files);
  EXPECT_EQ(*files, OneFile("writer " + std::to_string(winner)));
  auto log = store_->Log("user");
  SPOKE_ASSERT_OK(log);
  EXPECT_EQ(log->size(), 1u);
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

// The module branch must be one first-parent chain from the tip to the root record, with no merges,
// holding exactly `versions` (plus the root).
void ExpectSingleChain(const Store& store, const std::string& module,
                       const std::set<std::string>& versions) {
  auto log = store.Log(module);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  std::set<std::string> seen;
  for (const auto& entry : *log) {
    EXPECT_TRUE(seen.insert(entry.version).second) << entry.version << " appears twice in the log";
    auto tagged = store.GetVersion(module, entry.version);
    ASSERT_TRUE(tagged.ok()) << tagged.status().ToString();
    EXPECT_EQ(tagged->commit_id, entry.commit_id) << entry.version;
    EXPECT_EQ(entry.tag_id, tagged->tag_id) << entry.version;
  }
  EXPECT_EQ(seen, versions);
  std::string branch = ModuleBranchRef(module);
  auto count = Git(store.path(), "rev-list --count " + branch);
  EXPECT_EQ(count.output, std::to_string(versions.size() + 1) + "\n");
  auto first_parent = Git(store.path(), "rev-list --first-parent --count " + branch);
  EXPECT_EQ(first_parent.output, std::to_string(versions.size() + 1) + "\n");
  auto merges = Git(store.path(), "rev-list --merges --count " + branch);
  EXPECT_EQ(merges.output, "0\n");
}

TEST_F(StoreTest, ConcurrentPublishersOfDifferentVersionsAllSucceedInOneChain) {
  constexpr int kPerThread = 4;
  std::latch start(kThreads);
  std::vector<std::vector<Status>> statuses(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      for (int j = 0; j < kPerThread; ++j) {
        std::string version = "v" + std::to_string(i) + "." + std::to_string(j) + ".0";
        auto put = store_->PutVersion(MakeRequest("user", version, OneFile(version)));
        statuses[i].push_back(put.ok()
                                  ? (put->created ? Status::Ok() : Status::Internal("not created"))
                                  : put.status());
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> expected;
  for (int i = 0; i < kThreads; ++i) {
    for (int j = 0; j < kPerThread; ++j) {
      EXPECT_TRUE(statuses[i][j].ok()) << statuses[i][j].ToString();
      expected.insert("v" + std::to_string(i) + "." + std::to_string(j) + ".0");
    }
  }
  ExpectSingleChain(*store_, "user", expected);
  auto versions = store_->ListVersions("user");
  SPOKE_ASSERT_OK(versions);
  EXPECT_EQ(versions->size(), expected.size());
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

TEST_F(StoreTest, ReadersRunWhileWritersPublish) {
  MustPut(MakeRequest("user", "v0.0.1", OneFile("seed")));
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int j = 0; j < 10; ++j) {
      std::string version = "v1." + std::to_string(j) + ".0";
      if (!store_->PutVersion(MakeRequest("user", version, OneFile(version))).ok()) ++failures;
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      do {
        auto latest = store_->GetVersion("user", "latest");
        if (!latest.ok() || !store_->ReadFiles(*latest).ok() || !store_->Log("user").ok()) {
          ++failures;
        }
      } while (!done);
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures, 0);
  auto latest = store_->GetVersion("user", "latest");
  SPOKE_ASSERT_OK(latest);
  EXPECT_EQ(latest->version, "v1.9.0");
}

// Two Store objects on one directory share nothing but the files, exactly like two processes.
TEST_F(StoreTest, TwoStoresOnOneDirectoryRacingOnDifferentVersionsBothSucceed) {
  auto other = MustOpen(dir_.Sub("store"));
  ASSERT_NE(other, nullptr);
  constexpr int kRounds = 12;
  std::latch start(2);
  std::vector<Status> mine, theirs;
  auto publish = [&](Store* store, const std::string& major, std::vector<Status>* out) {
    start.arrive_and_wait();
    for (int j = 0; j < kRounds; ++j) {
      std::string version = "v" + major + "." + std::to_string(j) + ".0";
      auto put = store->PutVersion(MakeRequest("user", version, OneFile(version)));
      out->push_back(put.ok() ? Status::Ok() : put.status());
    }
  };
  std::thread a(publish, store_.get(), "1", &mine);
  std::thread b(publish, other.get(), "2", &theirs);
  a.join();
  b.join();
  std::set<std::string> expected;
  for (int j = 0; j < kRounds; ++j) {
    EXPECT_TRUE(mine[j].ok()) << mine[j].ToString();
    EXPECT_TRUE(theirs[j].ok()) << theirs[j].ToString();
    expected.insert("v1." + std::to_string(j) + ".0");
    expected.insert("v2." + std::to_string(j) + ".0");
  }
  ExpectSingleChain(*store_, "user", expected);
  ExpectSingleChain(*other, "user", expected);
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

TEST_F(StoreTest, TwoStoresOnOneDirectoryRacingOnOneVersionHaveExactlyOneWinner) {
  auto other = MustOpen(dir_.Sub("store"));
  ASSERT_NE(other, nullptr);
  std::latch start(kThreads);
  std::vector<Result<PutResult>> results(kThreads, Status::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    Store* store = i % 2 == 0 ? store_.get() : other.get();
    threads.emplace_back([&, store, i] {
      start.arrive_and_wait();
      results[i] =
          store->PutVersion(MakeRequest("user", "v1.0.0", OneFile("writer " + std::to_string(i))));
    });
  }
  for (auto& t : threads) t.join();
  int created = 0;
  for (const auto& result : results) {
    if (result.ok()) {
      ++created;
    } else {
      EXPECT_EQ(result.status().code(), Status::Code::kAlreadyExists) << result.status().ToString();
    }
  }
  EXPECT_EQ(created, 1);
  ExpectSingleChain(*store_, "user", {"v1.0.0"});
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

// --- Snapshots ---------------------------------------------------------------------------------

namespace snapshots {

size_t PackFilesIn(const std::string& store_path) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(store_path + "/objects/pack", ec)) {
    if (entry.path().extension() == ".pack") ++n;
  }
  return n;
}

FileSet ManyFiles(int count) {
  FileSet files;
  for (int i = 0; i < count; ++i) {
    files["out/dir" + std::to_string(i % 7) + "/f" + std::to_string(i) + ".pb.h"] =
        "// generated " + std::to_string(i) + "\n" + std::string(static_cast<size_t>(i % 50), 'x');
  }
  files["out/same_a.h"] = "identical\n";
  files["out/same_b.h"] = "identical\n";
  files["out/empty.h"] = "";
  return files;
}

Store::FileViews Views(const FileSet& files) {
  Store::FileViews views;
  for (const auto& [path, content] : files) views.emplace(path, content);
  return views;
}

}  // namespace snapshots

TEST_F(StoreTest, AManyFileSnapshotLandsAsOnePackAndReadsBackWhole) {
  FileSet files = snapshots::ManyFiles(300);
  auto commit = store_->WriteSnapshot(snapshots::Views(files), "artifact\n");
  ASSERT_TRUE(commit.ok()) << commit.status().ToString();
  EXPECT_EQ(snapshots::PackFilesIn(store_->path()), 1u);
  auto read = store_->ReadSnapshot(*commit);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, files);
  for (const auto& [path, content] : files) {
    auto blob = store_->ReadBlob(Store::BlobId(content));
    ASSERT_TRUE(blob.ok()) << path << ": " << blob.status().ToString();
    EXPECT_EQ(*blob, content);
  }
  EXPECT_TRUE(GitFsckStrict(store_->path()));

  // The same files again: the same commit, and no new pack since every blob is there.
  auto again = store_->WriteSnapshot(snapshots::Views(files), "artifact\n");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *commit);
  EXPECT_EQ(snapshots::PackFilesIn(store_->path()), 1u);
}

TEST_F(StoreTest, ASnapshotHasTheSameCommitWhetherItsBlobsArePackedOrLoose) {
  FileSet files = snapshots::ManyFiles(300);
  auto packed = store_->WriteSnapshot(snapshots::Views(files), "artifact\n");
  ASSERT_TRUE(packed.ok()) << packed.status().ToString();
  // A second store that already holds most blobs (from a small snapshot written loose first)
  // writes the rest loose, and must still give the same commit.
  auto other = MustOpen(dir_.Sub("other"));
  ASSERT_NE(other, nullptr);
  FileSet few;
  for (const auto& [path, content] : files) {
    if (few.size() < 50) few.emplace(path, content);
  }
  ASSERT_TRUE(other->WriteSnapshot(snapshots::Views(few), "few\n").ok());
  EXPECT_EQ(snapshots::PackFilesIn(other->path()), 0u);
  auto mixed = other->WriteSnapshot(snapshots::Views(files), "artifact\n");
  ASSERT_TRUE(mixed.ok()) << mixed.status().ToString();
  EXPECT_EQ(*mixed, *packed);
  EXPECT_TRUE(GitFsckStrict(other->path()));
}

TEST_F(StoreTest, ASnapshotWrittenFileByFileGivesTheSameCommitAsWriteSnapshotInOnePack) {
  FileSet files = snapshots::ManyFiles(300);
  auto other = MustOpen(dir_.Sub("other"));
  ASSERT_NE(other, nullptr);
  auto whole = other->WriteSnapshot(snapshots::Views(files), "artifact\n");
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();

  auto writer = store_->StartSnapshot();
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  // In reverse order, and settled half way, as a generator's files arrive in no particular order.
  size_t added = 0;
  for (auto it = files.rbegin(); it != files.rend(); ++it, ++added) {
    (*writer)->Add(it->first, it->second);
    if (added == files.size() / 2) {
      ASSERT_TRUE((*writer)->Settle().ok());
    }
  }
  auto commit = (*writer)->Finish("artifact\n");
  ASSERT_TRUE(commit.ok()) << commit.status().ToString();
  EXPECT_EQ(*commit, *whole);
  EXPECT_EQ(snapshots::PackFilesIn(store_->path()), 1u);
  auto read = store_->ReadSnapshot(*commit);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, files);
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

TEST_F(StoreTest, ASnapshotWrittenFileByFileStoresOnlyTheBlobsTheStoreLacks) {
  FileSet files = snapshots::ManyFiles(300);
  ASSERT_TRUE(store_->WriteSnapshot(snapshots::Views(files), "first\n").ok());
  ASSERT_EQ(snapshots::PackFilesIn(store_->path()), 1u);
  files["out/new.h"] = "// new\n";
  auto writer = store_->StartSnapshot();
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (const auto& [path, content] : files) (*writer)->Add(path, content);
  auto commit = (*writer)->Finish("second\n");
  ASSERT_TRUE(commit.ok()) << commit.status().ToString();
  // One new blob is below the pack threshold: it is written loose, and no second pack appears.
  EXPECT_EQ(snapshots::PackFilesIn(store_->path()), 1u);
  auto read = store_->ReadSnapshot(*commit);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, files);
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

TEST_F(StoreTest, ASnapshotWriterNeverReadsAContentAgainAfterSettle) {
  FileSet files = snapshots::ManyFiles(300);
  auto writer = store_->StartSnapshot();
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  std::map<std::string, std::string> scratch(files.begin(), files.end());
  for (const auto& [path, content] : scratch) (*writer)->Add(path, content);
  ASSERT_TRUE((*writer)->Settle().ok());
  for (auto& [path, content] : scratch) content = "overwritten";
  // A path added again takes its last content.
  const std::string replaced = "// replaced\n";
  (*writer)->Add("out/empty.h", replaced);
  files["out/empty.h"] = replaced;
  auto commit = (*writer)->Finish("artifact\n");
  ASSERT_TRUE(commit.ok()) << commit.status().ToString();
  auto read = store_->ReadSnapshot(*commit);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, files);
  EXPECT_TRUE(GitFsckStrict(store_->path()));
}

TEST_F(StoreTest, BlobIdIsGitsBlobId) {
  auto written = store_->WriteBlob("syntax = \"proto3\";\n");
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(Store::BlobId("syntax = \"proto3\";\n"), *written);
  EXPECT_EQ(Store::BlobId(""),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");  // git hash-object /dev/null
  // Many SHA-1 blocks, and a size whose header is longer than one digit: libgit2 hashes what it
  // writes on its own, so the two ids are computed independently.
  std::string large;
  for (int i = 0; large.size() < (1 << 20) + 7; ++i)
    large += "message M" + std::to_string(i) + " {}\n";
  auto written_large = store_->WriteBlob(large);
  ASSERT_TRUE(written_large.ok());
  EXPECT_EQ(Store::BlobId(large), *written_large);
}

// --- Settings --------------------------------------------------------------------------------

TEST_F(StoreTest, ASettingKeepsEveryValueInOrderAndStockGitReadsThem) {
  auto unset = store_->GetSetting("spoke.fetch");
  ASSERT_TRUE(unset.ok()) << unset.status().ToString();
  EXPECT_TRUE(unset->empty());
  ASSERT_TRUE(
      store_->SetSetting("spoke.fetch", {"refs/tags/user/", "refs/heads/user/_history"}).ok());
  auto read = store_->GetSetting("spoke.fetch");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, (std::vector<std::string>{"refs/tags/user/", "refs/heads/user/_history"}));
  EXPECT_EQ(Git(store_->path(), "config --get-all spoke.fetch").output,
            "refs/tags/user/\nrefs/heads/user/_history\n");
  // The settings Open wrote are kept.
  EXPECT_EQ(Git(store_->path(), "config spoke.format").output, "1\n");
}

TEST_F(StoreTest, SettingAgainReplacesEveryValueAndNoValuesUnsets) {
  ASSERT_TRUE(store_->SetSetting("spoke.fetch", {"refs/tags/a/", "refs/tags/b/"}).ok());
  ASSERT_TRUE(store_->SetSetting("spoke.fetch", {"refs/"}).ok());
  auto other = MustOpen(store_->path());  // another process's view
  EXPECT_EQ(*other->GetSetting("spoke.fetch"), std::vector<std::string>{"refs/"});
  ASSERT_TRUE(store_->SetSetting("spoke.fetch", {}).ok());
  EXPECT_TRUE(other->GetSetting("spoke.fetch")->empty());
  EXPECT_FALSE(store_->SetSetting("spoke.fetch", {""}).ok());
}

}  // namespace
}  // namespace spoke
