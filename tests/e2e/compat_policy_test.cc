// The registry's compatibility policy, end to end: a module created with a level refuses a push
// that breaks the previous release of its major version (sync protocol and REST alike), with the
// findings in the error and the store untouched, and accepts the same change as a new major
// version; the level can be changed through the API; the diff route answers findings and a
// file-level diff.
#include <gtest/gtest.h>

#include "e2e_util.h"
#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

const FileSet kV1 = {
    {"acme/order/v1/order.proto",
     "syntax = \"proto3\";\npackage acme.order.v1;\n\n"
     "message Order {\n  string id = 1;\n  int32 quantity = 2;\n  string note = 3;\n}\n"}};
// Adds a message: compatible at every level.
const FileSet kV1Compatible = {
    {"acme/order/v1/order.proto",
     "syntax = \"proto3\";\npackage acme.order.v1;\n\n"
     "message Order {\n  string id = 1;\n  int32 quantity = 2;\n  string note = 3;\n}\n"
     "message Gift {}\n"}};
// Deletes `note` and widens `quantity`: breaks WIRE_JSON (and FILE), not WIRE once 3 is reserved.
const FileSet kV1Breaking = {
    {"acme/order/v1/order.proto",
     "syntax = \"proto3\";\npackage acme.order.v1;\n\n"
     "message Order {\n  string id = 1;\n  int64 quantity = 2;\n  reserved 3;\n}\n"},
    {"acme/order/v1/extra.proto",
     "syntax = \"proto3\";\npackage acme.order.v1;\n\nmessage Extra {}\n"}};

class CompatPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    user_ = std::make_unique<CliUser>(work_.Sub("home"), server_->url());
  }
  void TearDown() override {
    if (server_) GitFsck(work_.Sub("storage"));
  }

  CommandResult Push(const std::string& version, const FileSet& files,
                     const std::vector<std::string>& extra = {}) {
    std::string dir = work_.Sub("src/" + version + "-" + std::to_string(++pushes_));
    WriteFiles(dir, files);
    std::vector<std::string> args = {"push", "-module", "order", "-version", version, "-dir", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    return user_->Run(args);
  }

  Json Get(const std::string& path, int status = 200) {
    auto res = http_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return Json::MakeObject();
    EXPECT_EQ(res->status, status) << path << "\n" << res->body;
    return ParseJson(res->body);
  }

  std::vector<std::string> Versions() {
    std::vector<std::string> out;
    Json listed = Get("/modules/order/versions");
    for (const auto& v : listed.Get("versions")->as_array()) out.push_back(v.GetString("version"));
    return out;
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  std::unique_ptr<CliUser> user_;
  int pushes_ = 0;
};

TEST_F(CompatPolicy, ABreakingPushWithinAMajorIsRefusedWithItsFindingsAndAcceptedAsANewMajor) {
  CommandResult first = Push("v1.0.0", kV1, {"-compat", "WIRE_JSON"});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  EXPECT_EQ(Get("/modules/order").GetString("compatibility"), "WIRE_JSON");
  ASSERT_EQ(Push("v1.1.0", kV1Compatible).exit_code, 0);

  std::string refs_before = RefsOf(work_.Sub("storage"));
  CommandResult refused = Push("v1.2.0", kV1Breaking);
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err,
                       "order@v1.2.0 breaks v1.1.0 at the module's compatibility level WIRE_JSON"))
      << refused.Describe();
  EXPECT_TRUE(Contains(
      refused.err,
      "acme/order/v1/order.proto:6:3: Field \"2\" on message \"Order\" changed type from \"int32\" "
      "to \"int64\". The wire or JSON encodings differ. (FIELD_WIRE_JSON_COMPATIBLE_TYPE)"))
      << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "(FIELD_NO_DELETE_UNLESS_NAME_RESERVED)"))
      << refused.Describe();
  EXPECT_FALSE(Contains(refused.err, "(FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED)"))
      << refused.Describe();
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before) << "a refused push changed the store";
  EXPECT_EQ(Versions(), (std::vector<std::string>{"v1.0.0", "v1.1.0"}));

  CommandResult major = Push("v2.0.0", kV1Breaking);
  EXPECT_EQ(major.exit_code, 0) << major.Describe();
  EXPECT_EQ(Versions(), (std::vector<std::string>{"v1.0.0", "v1.1.0", "v2.0.0"}));
  // Within v2 the policy holds again, against v2.0.0.
  CommandResult back = Push("v2.1.0", kV1);
  EXPECT_EQ(back.exit_code, 1) << back.Describe();
  EXPECT_TRUE(Contains(back.err, "order@v2.1.0 breaks v2.0.0")) << back.Describe();
}

TEST_F(CompatPolicy, RestUploadsAreRefusedWith422AndTheFindings) {
  auto created =
      http_->Post("/modules", R"({"name": "order", "compatibility": "wire"})", "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(ParseJson(created->body).GetString("compatibility"), "WIRE");
  auto first =
      http_->Post("/modules/order/versions", UploadBody("v1.0.0", kV1).Dump(), "application/json");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 201) << first->body;
  // At WIRE, deleting a field is fine only with its number reserved.
  FileSet unreserved = {
      {"acme/order/v1/order.proto",
       "syntax = \"proto3\";\npackage acme.order.v1;\n\nmessage Order {\n  string id = 1;\n}\n"}};
  std::string refs_before = RefsOf(work_.Sub("storage"));
  auto refused = http_->Post("/modules/order/versions", UploadBody("v1.1.0", unreserved).Dump(),
                             "application/json");
  std::string message;
  EXPECT_EQ(ExpectJsonError(refused, 422, &message), "failed_precondition");
  EXPECT_TRUE(Contains(
      message,
      "acme/order/v1/order.proto:6:3: Previously present field \"2\" with name \"quantity\""))
      << message;
  EXPECT_TRUE(Contains(message, "(FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED)")) << message;
  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before);
  auto accepted = http_->Post("/modules/order/versions", UploadBody("v1.1.0", kV1Breaking).Dump(),
                              "application/json");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 201) << accepted->body;
}

// A new module gets the server's default level (--default-compat, WIRE_JSON unless told); NONE
// accepts any change, but only when someone chose it.
TEST_F(CompatPolicy, ANewModuleGetsTheDefaultLevelAndNoneMustBeChosen) {
  ASSERT_EQ(Push("v1.0.0", kV1).exit_code, 0);
  EXPECT_EQ(Get("/modules/order").GetString("compatibility"), "WIRE_JSON");
  CommandResult refused = Push("v1.1.0", kV1Breaking);
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "(FIELD_NO_DELETE_UNLESS_NAME_RESERVED)"))
      << refused.Describe();

  auto none = http_->Put("/modules/order/compatibility", R"({"compatibility": "NONE"})",
                         "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 200) << none->body;
  CommandResult pushed = Push("v1.1.0", kV1Breaking);
  EXPECT_EQ(pushed.exit_code, 0) << pushed.Describe();
}

TEST_F(CompatPolicy, TheLevelCanBeChangedThroughTheApiAndTheCli) {
  ASSERT_EQ(Push("v1.0.0", kV1).exit_code, 0);
  CommandResult set = user_->Run({"compat", "-module", "order", "-set", "file", "--json"});
  ASSERT_EQ(set.exit_code, 0) << set.Describe();
  EXPECT_EQ(ParseJson(set.out).GetString("compatibility"), "FILE");
  CommandResult refused = Push("v1.1.0", kV1Breaking);
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "(FIELD_NO_DELETE)")) << refused.Describe();
  EXPECT_TRUE(Contains(refused.err, "(FIELD_SAME_TYPE)")) << refused.Describe();

  auto none = http_->Put("/modules/order/compatibility", R"({"compatibility": "NONE"})",
                         "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 200) << none->body;
  // The answer describes the module as GET /modules/{name} does, without its versions.
  Json module = Get("/modules/order");
  EXPECT_EQ(module.GetString("compatibility"), "NONE");
  Json answered = ParseJson(none->body);
  for (const char* key : {"name", "description", "compatibility", "created"})
    EXPECT_EQ(answered.GetString(key), module.GetString(key)) << key;
  EXPECT_EQ(Push("v1.1.0", kV1Breaking).exit_code, 0);
  // Every revision of the record is kept: stock git shows them on the record ref.
  CommandResult log =
      RunGit({"-C", work_.Sub("storage"), "log", "--format=%s", "refs/meta/order/_record"});
  EXPECT_EQ(log.out,
            "Set compatibility of order to none\nSet compatibility of order to FILE\nSet "
            "compatibility of order to WIRE_JSON\nCreate module order\n")
      << log.Describe();

  ExpectJsonError(http_->Put("/modules/order/compatibility", R"({"compatibility": "SOURCE"})",
                             "application/json"),
                  400);
  ExpectJsonError(
      http_->Put("/modules/order/compatibility", R"({"level": "FILE"})", "application/json"), 400);
  ExpectJsonError(http_->Put("/modules/nobody/compatibility", R"({"compatibility": "FILE"})",
                             "application/json"),
                  404);
  // -compat on an existing module must agree with its level; changing it is deliberate.
  CommandResult mismatch = Push("v1.2.0", kV1Compatible, {"-compat", "WIRE"});
  EXPECT_EQ(mismatch.exit_code, 1) << mismatch.Describe();
  EXPECT_TRUE(Contains(mismatch.err, "spoke compat -module order -set WIRE"))
      << mismatch.Describe();
}

TEST_F(CompatPolicy, TheDiffRouteAnswersFindingsAndAFileLevelDiff) {
  ASSERT_EQ(Push("v1.0.0", kV1, {"-compat", "WIRE"}).exit_code, 0);
  ASSERT_EQ(Push("v2.0.0", kV1Breaking).exit_code, 0);
  Json diff = Get("/modules/order/versions/v1.0.0/diff/v2.0.0");
  EXPECT_EQ(diff.GetString("level"), "WIRE");  // the module's own level by default
  EXPECT_FALSE(diff.Get("breaking")->as_bool()) << diff.Dump(2);
  const auto& files = diff.Get("files")->as_array();
  ASSERT_EQ(files.size(), 2u) << diff.Dump(2);
  EXPECT_EQ(files[0].GetString("path"), "acme/order/v1/extra.proto");
  EXPECT_EQ(files[0].GetString("status"), "added");
  EXPECT_EQ(files[1].GetString("path"), "acme/order/v1/order.proto");
  EXPECT_EQ(files[1].GetString("status"), "modified");
  EXPECT_TRUE(Contains(files[1].GetString("patch"), "\n-  int32 quantity = 2;\n"))
      << files[1].GetString("patch");
  EXPECT_TRUE(Contains(files[1].GetString("patch"), "\n+  int64 quantity = 2;\n"))
      << files[1].GetString("patch");
  EXPECT_EQ(diff.Get("summary")->Get("added")->as_int(), 1);
  EXPECT_EQ(diff.Get("summary")->Get("modified")->as_int(), 1);

  Json strict = Get("/modules/order/versions/v1.0.0/diff/v2.0.0?level=FILE&patch=false");
  EXPECT_TRUE(strict.Get("breaking")->as_bool());
  std::vector<std::string> rules;
  for (const auto& f : strict.Get("findings")->as_array()) rules.push_back(f.GetString("rule"));
  EXPECT_EQ(rules, (std::vector<std::string>{"FIELD_SAME_TYPE", "FIELD_NO_DELETE"}))
      << strict.Dump(2);
  EXPECT_TRUE(strict.Get("findings")->as_array()[1].Get("in_previous")->as_bool());
  EXPECT_EQ(strict.Get("files")->as_array()[1].Get("patch"), nullptr);
  // Backwards works too: what v1.0.0 would break for users of v2.0.0.
  Json reverse = Get("/modules/order/versions/v2.0.0/diff/v1.0.0?level=PACKAGE");
  EXPECT_EQ(reverse.Get("files")->as_array()[0].GetString("status"), "removed");

  ExpectJsonError(http_->Get("/modules/order/versions/v1.0.0/diff/v9.0.0"), 404);
  ExpectJsonError(http_->Get("/modules/order/versions/v1.0.0/diff/v2.0.0?level=SOURCE"), 400);
  ExpectJsonError(http_->Get("/modules/nobody/versions/v1.0.0/diff/v2.0.0"), 404);
}

}  // namespace
}  // namespace spoke::e2e
