// Objects that stock `git fsck --strict` rejects, pushed raw to /sync/v1/push alongside an honest
// version: each push must be refused with 422 naming the object and git's rule, change no ref,
// and leave the store clean for stock git, so that a mirror clone checking every object
// (transfer.fsckObjects) still works afterwards. Before, such an object rode in with the honest
// version and poisoned the store for good.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "harness.h"
#include "pack_forge.h"

namespace spoke::e2e {
namespace {

using namespace std::string_literals;

constexpr int kCommit = 1, kTree = 2, kBlob = 3, kTag = 4;

struct ForgedObject {
  std::string name;
  int type;
  std::string content;
  std::string rule;
};

// 20 raw bytes of the id of `content` as a blob.
std::string RawBlobId(const std::string& content) {
  std::string hex = ObjectIdOf(kBlob, content), raw;
  for (size_t i = 0; i < hex.size(); i += 2)
    raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return raw;
}

std::string Entry(const std::string& mode, const std::string& name, const std::string& raw_id) {
  return mode + " " + name + '\0' + raw_id;
}

std::vector<ForgedObject> Cases() {
  const std::string blob = RawBlobId("syntax = \"proto3\";\n");
  const std::string ident = "Forger <forger@example.com> 1700000000 +0000";
  const std::string tree_line =
      "tree " + ObjectIdOf(kTree, Entry("100644", "a.proto", blob)) + "\n";
  const std::string commit_id =
      ObjectIdOf(kCommit, tree_line + "author " + ident + "\ncommitter " + ident + "\n\nm\n");
  return {
      {"DotGit", kTree, Entry("100644", ".git", blob), "hasDotgit"},
      {"DotGitInAnotherCase", kTree, Entry("100644", ".Git", blob), "hasDotgit"},
      {"DotGitAsHfsSeesIt", kTree, Entry("100644", ".gi\xe2\x80\x8dt", blob), "hasDotgit"},
      {"DotGitAsNtfsSeesIt", kTree, Entry("100644", "git~1", blob), "hasDotgit"},
      {"Dot", kTree, Entry("100644", ".", blob), "hasDot"},
      {"DotDot", kTree, Entry("100644", "..", blob), "hasDotdot"},
      {"EmptyName", kTree, Entry("100644", "", blob), "emptyName"},
      {"SlashInName", kTree, Entry("100644", "a/b.proto", blob), "fullPathname"},
      {"DuplicateEntries", kTree,
       Entry("100644", "a.proto", blob) + Entry("100644", "a.proto", blob), "duplicateEntries"},
      {"UnsortedEntries", kTree,
       Entry("100644", "b.proto", blob) + Entry("100644", "a.proto", blob), "treeNotSorted"},
      {"ZeroPaddedMode", kTree, Entry("0100644", "a.proto", blob), "zeroPaddedFilemode"},
      {"BadMode", kTree, Entry("100664", "a.proto", blob), "badFilemode"},
      {"SymlinkProto", kTree, Entry("120000", "a.proto", blob), "spokeSymlink"},
      {"Submodule", kTree, Entry("160000", "sub", blob), "spokeGitlink"},
      {"Gitmodules", kTree, Entry("100644", ".gitmodules", blob), "spokeDotGitFile"},
      {"CommitWithoutAuthor", kCommit, tree_line + "committer " + ident + "\n\nm\n",
       "missingAuthor"},
      {"CommitWithBadEmail", kCommit,
       tree_line + "author A <a@b 1 +0000\ncommitter " + ident + "\n\nm\n", "badEmail"},
      {"CommitWithBadTimeZone", kCommit,
       tree_line + "author A <a@b> 1 0000\ncommitter " + ident + "\n\nm\n", "badTimezone"},
      {"CommitWithNulInHeader", kCommit,
       tree_line + "author " + ident + "\ncommitter " + ident + "\nx\0\n\nm\n"s, "nulInHeader"},
      {"TagWithoutTagLine", kTag,
       "object " + commit_id + "\ntype commit\ntagger " + ident + "\n\nt\n", "missingTagEntry"},
      {"TagOfNoKnownType", kTag, "object " + commit_id + "\ntype thing\ntag t\n\nt\n", "badType"},
  };
}

class FsckRulesAtPush : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {"--validate", "none"}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    PushPayload seed = BuildVersionPack(
        work_.Sub("seed"), {"seed", "v1.0.0", "", MakeProtoFiles("seed", 3, 200, 1), {}});
    auto pushed = PostPush(*http_, seed.updates, seed.pack);
    ASSERT_TRUE(pushed);
    ASSERT_EQ(pushed->status, 200) << pushed->body;
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(FsckRulesAtPush, EveryObjectGitWouldRejectIsRefusedAndAMirrorCloneStillChecksClean) {
  const std::string storage = work_.Sub("storage");
  const std::string refs_before = RefsOf(storage);
  int n = 0;
  for (const auto& forged : Cases()) {
    SCOPED_TRACE(forged.name);
    // An honest version that would be accepted on its own, carrying the forged object.
    const std::string module = "evil" + std::to_string(n++);
    const std::string scratch = work_.Sub("scratch-" + module);
    PushPayload honest =
        BuildVersionPack(scratch, {module, "v1.0.0", "", MakeProtoFiles(module, 2, 100, 3), {}});
    std::string pack = PackWithExtraObjects(scratch, {{forged.type, forged.content}});
    std::string message;
    EXPECT_EQ(ExpectJsonError(PostPush(*http_, honest.updates, pack), 422, &message), "corruption");
    EXPECT_NE(message.find(ObjectIdOf(forged.type, forged.content) + ": " + forged.rule),
              std::string::npos)
        << message;
    EXPECT_EQ(RefsOf(storage), refs_before);
  }
  GitFsck(storage);

  // The control: the same making without a forged object is accepted.
  const std::string scratch = work_.Sub("scratch-honest");
  PushPayload honest =
      BuildVersionPack(scratch, {"honest", "v1.0.0", "", MakeProtoFiles("honest", 2, 100, 3), {}});
  auto pushed = PostPush(*http_, honest.updates, PackWithExtraObjects(scratch, {}));
  ASSERT_TRUE(pushed);
  EXPECT_EQ(pushed->status, 200) << pushed->body;

  CommandResult clone = RunGit({"-c", "transfer.fsckObjects=true", "clone", "--mirror",
                                "--no-local", storage, work_.Sub("mirror.git")});
  EXPECT_EQ(clone.exit_code, 0) << clone.Describe();
  GitFsck(work_.Sub("mirror.git"));
}

}  // namespace
}  // namespace spoke::e2e
