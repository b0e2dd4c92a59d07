// spoke pull's layout and its care for local work: the root's files at the directory's top and each
// dependency's under its mount (so stock protoc builds the tree); a pull never destroys a file
// changed since spoke wrote it, nor one spoke never wrote, unless --force; files the new version
// dropped are removed; a recursive pull merges into an existing spoke.lock and says what changed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "archive_reader.h"
#include "e2e_util.h"
#include "harness.h"
#include "original_modules.h"

namespace spoke::e2e {
namespace {

const FileSet& kCommon = kOriginalCommon;
const FileSet kCommon11 = {
    {"types.proto",
     "syntax = \"proto3\";\npackage common;\n\nmessage UUID {\n  string value = 1;\n}\n"
     "message Timestamp {\n  int64 unix = 1;\n  int32 nanos = 2;\n}\n"}};
const FileSet& kOrder = kOriginalOrder;
const FileSet kOrder11 = {
    {"order.proto",
     "syntax = \"proto3\";\npackage order;\n\nimport \"common/types.proto\";\n\n"
     "message Order {\n  common.UUID id = 1;\n  common.Timestamp created_at = 2;\n"
     "  string note = 3;\n}\n"}};
// user v1.0.0 has a legacy file that v1.1.0 drops.
const FileSet kUser10 = {
    {"user.proto", "syntax = \"proto3\";\npackage user;\n\nmessage User {\n  string id = 1;\n}\n"},
    {"legacy/old.proto",
     "syntax = \"proto3\";\npackage user.legacy;\n\nmessage OldUser {\n  string id = 1;\n}\n"}};
const FileSet kUser11 = {{"user.proto",
                          "syntax = \"proto3\";\npackage user;\n\nmessage User {\n  string id = "
                          "1;\n  string email = 2;\n}\n"}};

// The value at `key` of a JSON object, or null.
Json At(const Json& json, const std::string& key) {
  const Json* value = json.Get(key);
  return value ? *value : Json();
}

class PullSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    publisher_ = std::make_unique<CliUser>(work_.Sub("publisher-home"), server_->url());
    reader_ = std::make_unique<CliUser>(work_.Sub("reader-home"), server_->url());
  }

  void Push(const std::string& module, const std::string& version, const FileSet& files,
            const std::vector<std::string>& extra = {}) {
    std::string dir = work_.Sub("src/" + module + "/" + version);
    WriteFiles(dir, files);
    std::vector<std::string> args = {"push", "-module", module, "-version", version, "-dir", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult pushed = publisher_->Run(args);
    ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
  }

  void PushUsers() {
    Push("user", "v1.0.0", kUser10);
    Push("user", "v1.1.0", kUser11);
  }

  void PushOrderOnCommon() {
    Push("common", "v1.0.0", kCommon);
    Push("order", "v1.0.0", kOrder, {"-dep", "common@v1.0.0"});
  }

  // `spoke pull -module M -version V -dir D` plus `extra`, as the reader.
  CommandResult Pull(const std::string& module, const std::string& version, const std::string& dir,
                     const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"pull", "-module", module, "-version", version, "-dir", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    return reader_->Run(args);
  }

  std::vector<std::string> Strings(const Json& json, const std::string& key) {
    std::vector<std::string> out;
    const Json* list = json.Get(key);
    EXPECT_TRUE(list && list->is_array()) << json.Dump(2);
    if (!list || !list->is_array()) return out;
    for (const Json& item : list->as_array()) out.push_back(item.as_string());
    return out;
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<CliUser> publisher_, reader_;
};

TEST_F(PullSafety, ARecursivePullMountsEachDependencySoProtocAndSpokeCompileBuildTheTree) {
  PushOrderOnCommon();
  std::string out = work_.Sub("X");
  CommandResult pulled = Pull("order", "v1.0.0", out, {"-recursive", "--json"});
  Json json = JsonOut(pulled);
  FileSet written = ReadFiles(out);
  EXPECT_EQ(written["order.proto"], kOrder.at("order.proto"));
  EXPECT_EQ(written["common/types.proto"], kCommon.at("types.proto"));
  EXPECT_EQ(written.count("types.proto"), 0u) << "the dependency was written at its own paths";
  EXPECT_EQ(written.count("order/order.proto"), 0u) << "the root was put under its module's name";
  // The lock and the --json answer say where the dependency went.
  Json pins = At(ParseJson(written["spoke.lock"]), "pins");
  EXPECT_EQ(At(pins, "common").GetString("mount"), "common") << written["spoke.lock"];
  const Json* modules = json.Get("modules");
  ASSERT_TRUE(modules && modules->as_array().size() == 2) << pulled.out;
  EXPECT_EQ(modules->as_array()[1].GetString("mount"), "common") << pulled.out;

  std::filesystem::create_directories(work_.Sub("gen"));
  CommandResult protoc = RunCommand(
      {{"protoc", "-I", out, "--cpp_out=" + work_.Sub("gen"), out + "/order.proto"}, {}, ""});
  ASSERT_EQ(protoc.exit_code, 0) << protoc.Describe();
  EXPECT_TRUE(std::filesystem::exists(work_.Sub("gen/order.pb.h")));
  CommandResult compiled =
      reader_->Run({"compile", "-dir", out, "-lang", "cpp", "-out", work_.Sub("gen2")});
  ASSERT_EQ(compiled.exit_code, 0) << compiled.Describe();
  EXPECT_NE(ReadFiles(work_.Sub("gen2"))["order.pb.h"].find("#include \"common/types.pb.h\""),
            std::string::npos);

  // The registry hands out the same placement: the transitive dependencies name the mount, and
  // the compiled code of order includes common's as order's import names it.
  auto deps = HttpClient(server_->port())
                  ->Get("/modules/order/versions/v1.0.0/dependencies?transitive=true");
  ASSERT_TRUE(deps && deps->status == 200);
  Json answer = ParseJson(deps->body);
  const Json* listed = answer.Get("dependencies");
  ASSERT_TRUE(listed && listed->is_array() && listed->as_array().size() == 1) << deps->body;
  EXPECT_EQ(listed->as_array()[0].GetString("mount"), "common") << deps->body;
  auto download =
      HttpClient(server_->port())->Get("/modules/order/versions/v1.0.0/download/python");
  ASSERT_TRUE(download && download->status == 200) << (download ? download->body : "no answer");
  FileSet code = ReadArchive(download->body);
  ASSERT_EQ(code.count("order_pb2.py"), 1u);
  EXPECT_NE(code["order_pb2.py"].find("from common import types_pb2"), std::string::npos)
      << code["order_pb2.py"];
}

TEST_F(PullSafety, TheRootsFilesGoAtTheTopSoTwoPulledVersionsDiff) {
  PushUsers();
  ASSERT_EQ(Pull("user", "v1.0.0", work_.Sub("v1")).exit_code, 0);
  ASSERT_EQ(Pull("user", "v1.1.0", work_.Sub("v2")).exit_code, 0);
  CommandResult diff =
      RunCommand({{"diff", "./v1/user.proto", "./v2/user.proto"}, {}, work_.path()});
  EXPECT_EQ(diff.exit_code, 1) << diff.Describe();
  EXPECT_TRUE(Contains(diff.out, ">   string email = 2;")) << diff.Describe();
  // The pulled directories hold exactly the versions' files: the record is in the local store.
  EXPECT_EQ(ReadFiles(work_.Sub("v2")), kUser11);
}

TEST_F(PullSafety, ALocalEditIsRefusedUntouchedAndForceOverwritesIt) {
  PushUsers();
  std::string dir = work_.Sub("proto");
  ASSERT_EQ(Pull("user", "v1.0.0", dir).exit_code, 0);
  const std::string edited = kUser10.at("user.proto") + "// my note\n";
  WriteFiles(dir, {{"user.proto", edited}});

  CommandResult refused = Pull("user", "v1.1.0", dir);
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err,
                       "your local changes to the following files would be overwritten by pull"))
      << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "\tuser.proto\n")) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "--force")) << refused.Describe();
  FileSet after = ReadFiles(dir);
  EXPECT_EQ(after["user.proto"], edited);
  EXPECT_EQ(after["legacy/old.proto"], kUser10.at("legacy/old.proto"))
      << "a refused pull removed a file";

  CommandResult forced = Pull("user", "v1.1.0", dir, {"-force", "--json"});
  Json json = JsonOut(forced);
  EXPECT_EQ(ReadFiles(dir), kUser11);
  EXPECT_EQ(Strings(json, "overwritten"), std::vector<std::string>{"user.proto"});
  EXPECT_TRUE(Contains(forced.err, "overwrote local changes to user.proto")) << forced.Describe();
}

TEST_F(PullSafety, AFileSpokeNeverWroteIsRefusedUnlessItAlreadyHoldsTheContent) {
  PushUsers();
  std::string dir = work_.Sub("proto");
  const std::string mine = "syntax = \"proto3\";\npackage mine;\n";
  WriteFiles(dir, {{"user.proto", mine}});
  CommandResult refused = Pull("user", "v1.0.0", dir);
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "user.proto (not written by spoke)")) << refused.Describe();
  EXPECT_EQ(ReadFiles(dir), (FileSet{{"user.proto", mine}})) << "a refused pull wrote something";

  // The same bytes as the version's are no local work: kept as they are.
  WriteFiles(dir, {{"user.proto", kUser10.at("user.proto")}});
  Json json = JsonOut(Pull("user", "v1.0.0", dir, {"--json"}));
  EXPECT_EQ(Strings(json, "kept"), std::vector<std::string>{"user.proto"});
  EXPECT_EQ(Strings(json, "written"), std::vector<std::string>{"legacy/old.proto"});
  EXPECT_EQ(ReadFiles(dir), kUser10);
}

TEST_F(PullSafety, AFileTheNewVersionDroppedIsRemovedButOnesSpokeNeverWroteStay) {
  PushUsers();
  std::string dir = work_.Sub("proto");
  ASSERT_EQ(Pull("user", "v1.0.0", dir).exit_code, 0);
  const std::string notes = "syntax = \"proto3\";\npackage notes;\n";
  WriteFiles(dir, {{"notes.proto", notes}, {"legacy/mine.txt", "keep me\n"}});

  CommandResult pulled = Pull("user", "v1.1.0", dir, {"--json"});
  Json json = JsonOut(pulled);
  EXPECT_EQ(Strings(json, "removed"), std::vector<std::string>{"legacy/old.proto"});
  FileSet expected = kUser11;
  expected["notes.proto"] = notes;
  expected["legacy/mine.txt"] = "keep me\n";
  EXPECT_EQ(ReadFiles(dir), expected);

  // Without anything of the user's beside it, the emptied directory goes too.
  std::string clean = work_.Sub("clean");
  ASSERT_EQ(Pull("user", "v1.0.0", clean).exit_code, 0);
  CommandResult upgraded = Pull("user", "v1.1.0", clean);
  ASSERT_EQ(upgraded.exit_code, 0) << upgraded.Describe();
  EXPECT_TRUE(Contains(upgraded.out, "Removed legacy/old.proto")) << upgraded.Describe();
  EXPECT_FALSE(std::filesystem::exists(clean + "/legacy"));
  EXPECT_EQ(ReadFiles(clean), kUser11);
}

TEST_F(PullSafety, AnEditedFileTheNewVersionDroppedIsRefusedUnlessForced) {
  PushUsers();
  std::string dir = work_.Sub("proto");
  ASSERT_EQ(Pull("user", "v1.0.0", dir).exit_code, 0);
  const std::string edited = kUser10.at("legacy/old.proto") + "// still used here\n";
  WriteFiles(dir, {{"legacy/old.proto", edited}});

  CommandResult refused = Pull("user", "v1.1.0", dir);
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "legacy/old.proto (would be removed)")) << refused.Describe();
  FileSet kept = kUser10;
  kept["legacy/old.proto"] = edited;
  EXPECT_EQ(ReadFiles(dir), kept) << "a refused pull changed the directory";

  CommandResult forced = Pull("user", "v1.1.0", dir, {"--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.Describe();
  EXPECT_EQ(ReadFiles(dir), kUser11);
}

TEST_F(PullSafety, PullingTheSameVersionAgainWritesNothing) {
  PushUsers();
  std::string dir = work_.Sub("proto");
  ASSERT_EQ(Pull("user", "v1.0.0", dir).exit_code, 0);
  struct stat before;
  ASSERT_EQ(::stat((dir + "/user.proto").c_str(), &before), 0);
  Json json = JsonOut(Pull("user", "v1.0.0", dir, {"--json"}));
  EXPECT_TRUE(Strings(json, "written").empty()) << json.Dump(2);
  EXPECT_EQ(Strings(json, "kept"), (std::vector<std::string>{"legacy/old.proto", "user.proto"}));
  struct stat after;
  ASSERT_EQ(::stat((dir + "/user.proto").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "the file was written again";
  EXPECT_EQ(ReadFiles(dir), kUser10);
}

TEST_F(PullSafety, APlainPullOfTheRootKeepsTheDependencyFilesARecursiveOneWrote) {
  PushOrderOnCommon();
  Push("order", "v1.1.0", kOrder11, {"-dep", "common@v1.0.0"});
  std::string dir = work_.Sub("X");
  ASSERT_EQ(Pull("order", "v1.0.0", dir, {"-recursive"}).exit_code, 0);
  Json json = JsonOut(Pull("order", "v1.1.0", dir, {"--json"}));
  EXPECT_EQ(Strings(json, "written"), std::vector<std::string>{"order.proto"});
  EXPECT_TRUE(Strings(json, "removed").empty()) << json.Dump(2);
  FileSet files = ReadFiles(dir);
  EXPECT_EQ(files["order.proto"], kOrder11.at("order.proto"));
  EXPECT_EQ(files["common/types.proto"], kCommon.at("types.proto"));
}

TEST_F(PullSafety, ARecursivePullMergesIntoTheLockAndPrintsEveryChange) {
  PushOrderOnCommon();
  Push("common", "v1.1.0", kCommon11);
  Push("order", "v1.1.0", kOrder11, {"-dep", "common@v1.1.0"});
  std::string dir = work_.Sub("X");
  // A lock of the original format with an entry this pull does not reach.
  WriteFiles(dir,
             {{"spoke.lock", "{\n  \"dependencies\": {\n    \"billing\": \"v2.1.0\"\n  }\n}\n"}});

  CommandResult first = Pull("order", "v1.0.0", dir, {"-recursive"});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  EXPECT_TRUE(Contains(first.out, "spoke.lock: added order@v1.0.0")) << first.Describe();
  EXPECT_TRUE(Contains(first.out, "spoke.lock: added common@v1.0.0")) << first.Describe();
  Json deps = At(ParseJson(ReadFiles(dir)["spoke.lock"]), "dependencies");
  EXPECT_EQ(deps.GetString("billing"), "v2.1.0");
  EXPECT_EQ(deps.GetString("order"), "v1.0.0");

  CommandResult moved = Pull("order", "v1.1.0", dir, {"-recursive", "--json"});
  Json json = JsonOut(moved);
  std::map<std::string, Json> changes;
  Json lock_changes = At(json, "lock_changes");
  for (const Json& change : lock_changes.as_array()) changes[change.GetString("module")] = change;
  ASSERT_EQ(changes.size(), 2u) << moved.out;
  EXPECT_EQ(changes["order"].GetString("change"), "moved");
  EXPECT_EQ(changes["order"].GetString("from"), "v1.0.0");
  EXPECT_EQ(changes["order"].GetString("to"), "v1.1.0");
  EXPECT_EQ(changes["common"].GetString("from"), "v1.0.0");
  EXPECT_EQ(changes["common"].GetString("to"), "v1.1.0");
  FileSet files = ReadFiles(dir);
  deps = At(ParseJson(files["spoke.lock"]), "dependencies");
  EXPECT_EQ(deps.GetString("billing"), "v2.1.0") << files["spoke.lock"];
  EXPECT_EQ(deps.GetString("common"), "v1.1.0") << files["spoke.lock"];
  EXPECT_EQ(files["common/types.proto"], kCommon11.at("types.proto"));

  // Unchanged, nothing to say; the lock is left as it was.
  CommandResult again = Pull("order", "v1.1.0", dir, {"-recursive"});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_FALSE(Contains(again.out, "spoke.lock: ")) << again.Describe();
  EXPECT_EQ(ReadFiles(dir)["spoke.lock"], files["spoke.lock"]);
}

}  // namespace
}  // namespace spoke::e2e
