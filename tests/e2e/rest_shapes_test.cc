// The original Spoke's REST shapes, as its clients send and expect them: dependencies as
// "module@version" strings, a file as {"path", "content"} JSON, a version with its files' contents,
// POST /modules with a name and a description; and a wrong method on a known route is 405 with
// Allow, an unknown path 404.
#include <gtest/gtest.h>

#include <algorithm>

#include "e2e_util.h"
#include "harness.h"
#include "raw_http.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

const FileSet kCommon = {
    {"types.proto",
     "syntax = \"proto3\";\npackage common;\n\nmessage Id {\n  string value = 1;\n}\n"}};
const FileSet kOther = {
    {"other.proto", "syntax = \"proto3\";\npackage other;\n\nmessage Other {}\n"}};
// Quotes, a backslash, a tab, UTF-8 and a nested path: what a JSON string must escape or keep.
const FileSet kTricky = {{"api/v1/tricky.proto",
                          "syntax = \"proto3\";\npackage tricky;\n\n// caf\xc3\xa9 \"quoted\" "
                          "back\\slash\ttab\nmessage T {}\n"},
                         {"top.proto", "syntax = \"proto3\";\npackage top;\nmessage Top {}\n"}};

class RestShapes : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    MustUpload("common", UploadBody("v1.0.1", kCommon));
    MustUpload("other", UploadBody("v2.0.0", kOther));
    MustUpload("tricky", UploadBody("v1.0.0", kTricky));
  }

  void MustUpload(const std::string& module, const Json& body) {
    auto answer =
        http_->Post(("/modules/" + module + "/versions").c_str(), body.Dump(), "application/json");
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 201) << answer->body;
  }

  // An upload of module "svc" v1.0.0 (one file, no imports) with `dependencies` as given.
  httplib::Result UploadWithDependencies(const Json& dependencies) {
    Json body = UploadBody(
        "v1.0.0", FileSet{{"svc.proto", "syntax = \"proto3\";\npackage svc;\nmessage S {}\n"}});
    body.Set("dependencies", dependencies);
    return http_->Post("/modules/svc/versions", body.Dump(), "application/json");
  }

  // The pins of a stored version, as "module@version commit digest" lines.
  std::vector<std::string> PinsOf(const std::string& path) {
    auto answer = http_->Get(path.c_str());
    EXPECT_TRUE(answer && answer->status == 200);
    std::vector<std::string> pins;
    if (!answer || answer->status != 200) return pins;
    Json version = ParseJson(answer->body);
    const Json* list = version.Get("dependencies");
    if (!list || !list->is_array()) return pins;
    for (const Json& pin : list->as_array()) {
      pins.push_back(pin.GetString("module") + "@" + pin.GetString("version") + " " +
                     pin.GetString("commit") + " " + pin.GetString("digest"));
    }
    return pins;
  }

  std::string PinOf(const std::string& module, const std::string& version) {
    auto answer = http_->Get(("/modules/" + module + "/versions/" + version).c_str());
    EXPECT_TRUE(answer && answer->status == 200);
    if (!answer) return "";
    Json json = ParseJson(answer->body);
    return module + "@" + version + " " + json.GetString("commit") + " " + json.GetString("digest");
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(RestShapes, VersionUploadTakesTheOriginalsModuleAtVersionStrings) {
  Json deps = Json::MakeArray();
  deps.Push("common@v1.0.1");
  auto created = UploadWithDependencies(deps);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(PinsOf("/modules/svc/versions/v1.0.0"),
            std::vector<std::string>{PinOf("common", "v1.0.1")});
}

TEST_F(RestShapes, VersionUploadTakesStringsAndObjectsInOneList) {
  Json deps = Json::MakeArray();
  deps.Push("common@v1.0.1");
  Json other = Json::MakeObject();
  other.Set("module", "other");
  other.Set("version", "v2.0.0");
  deps.Push(other);
  deps.Push("tricky@latest");
  auto created = UploadWithDependencies(deps);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  std::vector<std::string> pins = PinsOf("/modules/svc/versions/v1.0.0");
  std::sort(pins.begin(), pins.end());
  EXPECT_EQ(pins, (std::vector<std::string>{PinOf("common", "v1.0.1"), PinOf("other", "v2.0.0"),
                                            PinOf("tricky", "v1.0.0")}));
}

TEST_F(RestShapes, BadDependencyEntriesAre400NamingTheEntryAndStoreNothing) {
  const std::string refs_before = RefsOf(work_.Sub("storage"));
  struct Case {
    Json entry;
    std::string named;  // what the message must quote
  };
  std::vector<Case> cases = {
      {"common", "dependencies[1] \"common\""},
      {"common@", "dependencies[1] \"common@\""},
      {"@v1.0.1", "dependencies[1] \"@v1.0.1\""},
      {"Common@v1.0.1", "dependencies[1] \"Common@v1.0.1\""},
      {"common@1.0.1", "dependencies[1] \"common@1.0.1\""},
      {"common@v1.0.1@x", "dependencies[1] \"common@v1.0.1@x\""},
      {"", "dependencies[1] \"\""},
      {Json(int64_t{42}), "dependencies[1]"},
      {Json::MakeArray(), "dependencies[1]"},
      {Json::MakeObject(), "dependencies[1]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.entry.Dump());
    Json deps = Json::MakeArray();
    deps.Push("common@v1.0.1");
    deps.Push(c.entry);
    std::string message;
    EXPECT_EQ(ExpectJsonError(UploadWithDependencies(deps), 400, &message), "invalid_argument");
    EXPECT_TRUE(Contains(message, c.named)) << message;
  }
  // Not an array at all (the original's lockfile spells a map; an upload never did).
  std::string message;
  EXPECT_EQ(ExpectJsonError(UploadWithDependencies(Json("common@v1.0.1")), 400, &message),
            "invalid_argument");
  EXPECT_TRUE(Contains(message, "\"dependencies\" must be an array")) << message;
  // Well formed, but naming nothing the registry has.
  Json absent = Json::MakeArray();
  absent.Push("absent@v1.0.0");
  EXPECT_EQ(ExpectJsonError(UploadWithDependencies(absent), 404, &message), "not_found");
  EXPECT_TRUE(Contains(message, "absent@v1.0.0")) << message;

  EXPECT_EQ(RefsOf(work_.Sub("storage")), refs_before);
  ExpectJsonError(http_->Get("/modules/svc/versions/v1.0.0"), 404);
}

TEST_F(RestShapes, FileRouteAnswersTheOriginalsJsonWhenTheClientAsksForIt) {
  for (const auto& [path, content] : kTricky) {
    SCOPED_TRACE(path);
    const std::string route = "/modules/tricky/versions/v1.0.0/files/" + path;
    std::vector<std::pair<std::string, httplib::Headers>> asks = {
        {route, {{"Accept", "application/json"}}},
        {route + "?format=json", {}},
        {route, {{"Accept", "text/html, Application/JSON; charset=utf-8; q=0.5"}}},
    };
    for (const auto& [target, headers] : asks) {
      auto answer = http_->Get(target.c_str(), headers);
      ASSERT_TRUE(answer);
      ASSERT_EQ(answer->status, 200) << answer->body;
      EXPECT_EQ(answer->get_header_value("Content-Type"), "application/json");
      EXPECT_EQ(answer->get_header_value("Vary"), "Accept");
      auto json = Json::Parse(answer->body);
      ASSERT_TRUE(json.ok()) << json.status().message() << "\n" << answer->body;
      EXPECT_EQ(json->GetString("path"), path);
      EXPECT_EQ(json->GetString("content"), content);
    }
  }
}

TEST_F(RestShapes, FileRouteAnswersRawBytesUnlessJsonIsAskedFor) {
  const auto& [path, content] = *kTricky.begin();
  const std::string route = "/modules/tricky/versions/v1.0.0/files/" + path;
  std::vector<std::pair<std::string, httplib::Headers>> asks = {
      {route, {}},
      {route, {{"Accept", "*/*"}}},
      {route, {{"Accept", "text/plain"}}},
      {route, {{"Accept", "application/json;q=0, text/plain"}}},
      {route + "?format=raw", {{"Accept", "application/json"}}},
  };
  for (const auto& [target, headers] : asks) {
    SCOPED_TRACE(target + (headers.empty() ? "" : " Accept: " + headers.begin()->second));
    auto answer = http_->Get(target.c_str(), headers);
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200) << answer->body;
    EXPECT_EQ(answer->get_header_value("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(answer->body, content);
  }
  std::string message;
  EXPECT_EQ(ExpectJsonError(http_->Get((route + "?format=xml").c_str()), 400, &message),
            "invalid_argument");
  EXPECT_TRUE(Contains(message, "xml")) << message;
}

TEST_F(RestShapes, FileRouteGivesEachRepresentationItsOwnETag) {
  const std::string route = "/modules/tricky/versions/v1.0.0/files/top.proto";
  auto raw = http_->Get(route.c_str());
  auto json = http_->Get(route.c_str(), {{"Accept", "application/json"}});
  ASSERT_TRUE(raw && json);
  const std::string raw_etag = raw->get_header_value("ETag"),
                    json_etag = json->get_header_value("ETag");
  ASSERT_FALSE(raw_etag.empty());
  ASSERT_FALSE(json_etag.empty());
  EXPECT_NE(raw_etag, json_etag);
  auto json_again =
      http_->Get(route.c_str(), {{"Accept", "application/json"}, {"If-None-Match", json_etag}});
  ASSERT_TRUE(json_again);
  EXPECT_EQ(json_again->status, 304);
  // A cached raw copy does not stand for the JSON one, nor the other way round.
  auto json_with_raw_etag =
      http_->Get(route.c_str(), {{"Accept", "application/json"}, {"If-None-Match", raw_etag}});
  ASSERT_TRUE(json_with_raw_etag);
  EXPECT_EQ(json_with_raw_etag->status, 200);
  auto raw_with_json_etag = http_->Get(route.c_str(), {{"If-None-Match", json_etag}});
  ASSERT_TRUE(raw_with_json_etag);
  EXPECT_EQ(raw_with_json_etag->status, 200);
}

TEST_F(RestShapes, VersionRouteIncludesFileContentsOnlyWhenAsked) {
  for (std::string version : {"v1.0.0", "latest"}) {
    SCOPED_TRACE(version);
    const std::string route = "/modules/tricky/versions/" + version;
    auto plain = http_->Get(route.c_str());
    ASSERT_TRUE(plain);
    ASSERT_EQ(plain->status, 200) << plain->body;
    Json plain_json = ParseJson(plain->body);
    const Json* plain_files = plain_json.Get("files");
    ASSERT_TRUE(plain_files && plain_files->as_array().size() == kTricky.size()) << plain->body;
    for (const Json& file : plain_files->as_array())
      EXPECT_FALSE(file.Get("content")) << plain->body;

    auto full = http_->Get((route + "?include=content").c_str());
    ASSERT_TRUE(full);
    ASSERT_EQ(full->status, 200) << full->body;
    Json full_json = ParseJson(full->body);
    const Json* files = full_json.Get("files");
    ASSERT_TRUE(files && files->is_array()) << full->body;
    FileSet contents;
    for (const Json& file : files->as_array()) {
      ASSERT_TRUE(file.Get("content") && file.Get("content")->is_string()) << file.Dump();
      contents[file.GetString("path")] = file.GetString("content");
      EXPECT_FALSE(file.GetString("sha256").empty());
    }
    EXPECT_EQ(contents, kTricky);
    EXPECT_EQ(full_json.GetString("digest"), plain_json.GetString("digest"));
    EXPECT_NE(full->get_header_value("ETag"), plain->get_header_value("ETag"));
    auto cached = http_->Get((route + "?include=content").c_str(),
                             {{"If-None-Match", full->get_header_value("ETag")}});
    ASSERT_TRUE(cached);
    EXPECT_EQ(cached->status, 304);
  }
  std::string message;
  EXPECT_EQ(ExpectJsonError(http_->Get("/modules/tricky/versions/v1.0.0?include=everything"), 400,
                            &message),
            "invalid_argument");
  EXPECT_TRUE(Contains(message, "everything")) << message;
}

TEST_F(RestShapes, PostModulesRegistersAModuleFromTheOriginalsNameAndDescription) {
  auto created = http_->Post("/modules", R"({"name": "user", "description": "User service API"})",
                             "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  Json answer = ParseJson(created->body);
  EXPECT_EQ(answer.GetString("name"), "user");
  EXPECT_EQ(answer.GetString("description"), "User service API");

  auto module = http_->Get("/modules/user");
  ASSERT_TRUE(module);
  ASSERT_EQ(module->status, 200) << module->body;
  Json info = ParseJson(module->body);
  EXPECT_EQ(info.GetString("name"), "user");
  EXPECT_EQ(info.GetString("description"), "User service API");
  ASSERT_TRUE(info.Get("versions") && info.Get("versions")->is_array());
  EXPECT_TRUE(info.Get("versions")->as_array().empty());

  EXPECT_EQ(ExpectJsonError(http_->Post("/modules", R"({"name": "user", "description": "again"})",
                                        "application/json"),
                            409),
            "already_exists");
  // A version pushed afterwards lands in the registered module.
  MustUpload(
      "user",
      UploadBody("v1.0.0",
                 FileSet{{"user.proto", "syntax = \"proto3\";\npackage user;\nmessage U {}\n"}}));
  auto versions = http_->Get("/modules/user/versions");
  ASSERT_TRUE(versions);
  EXPECT_TRUE(Contains(versions->body, "\"v1.0.0\"")) << versions->body;
}

TEST_F(RestShapes, AWrongMethodOnAKnownRouteIs405WithAllow) {
  struct Case {
    std::string method, path, allow;
  };
  std::vector<Case> cases = {
      {"DELETE", "/modules/common", "GET, HEAD"},
      {"PUT", "/modules/common/versions/v1.0.1", "GET, HEAD"},
      {"DELETE", "/modules", "GET, HEAD, POST"},
      {"PATCH", "/modules/common/versions", "GET, HEAD, POST"},
      {"POST", "/modules/common/versions/v1.0.1/files/types.proto", "GET, HEAD"},
      {"POST", "/health/live", "GET, HEAD"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.method + " " + c.path);
    auto answer =
        RawRequest(server_->port(),
                   c.method + " " + c.path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 405) << answer->head << answer->body;
    EXPECT_EQ(answer->Header("Allow"), c.allow) << answer->head;
    Json error = ParseJson(answer->body);
    EXPECT_TRUE(Contains(error.GetString("error"), c.method + " is not allowed")) << answer->body;
  }
  for (std::string request : {"DELETE /nothing/here", "GET /nothing/here", "PUT /modulesx"}) {
    SCOPED_TRACE(request);
    auto answer =
        RawRequest(server_->port(), request + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 404) << answer->head << answer->body;
    EXPECT_EQ(answer->Header("Allow"), "") << answer->head;
  }
}

}  // namespace
}  // namespace spoke::e2e
