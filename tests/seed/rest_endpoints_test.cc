// The five REST endpoints of the document's "HTTP API Server" (lines 173-178), each with the
// original Spoke's shapes: dependencies as "common@v1.0.1" strings in a version upload, a file as
// {"path", "content"} JSON when asked with Accept: application/json, a version with its files'
// contents with ?include=content.
#include <gtest/gtest.h>

#include <set>

#include "archive_reader.h"
#include "e2e_util.h"
#include "seed_protos.h"
#include "seed_support.h"

namespace spoke::seed {
namespace {

using e2e::Contains;
using e2e::ParseJson;
using e2e::UploadBody;

class SeedRest : public SeedTest {
 protected:
  void SetUp() override {
    SeedTest::SetUp();
    ASSERT_TRUE(server_);
    http_ = e2e::HttpClient(server_->port());
  }

  // POST /modules/<module>/versions with `body`; the test stops unless it answers 201.
  void Upload(const std::string& module, const Json& body) {
    auto answer =
        http_->Post(("/modules/" + module + "/versions").c_str(), body.Dump(), "application/json");
    ASSERT_TRUE(answer) << httplib::to_string(answer.error());
    ASSERT_EQ(answer->status, 201)
        << "POST /modules/" << module << "/versions " << body.Dump() << "\n"
        << answer->body;
  }

  // common@v1.0.0 and order@v1.0.0 pushed with the CLI, order importing "common/types.proto".
  void PublishOrder() {
    Publish("common", "v1.0.0", kCommonV1);
    Publish("order", "v1.0.0", {{"order.proto", kOrderV1}});
  }

  std::unique_ptr<httplib::Client> http_;
};

// Line 174: POST /modules registers a module from the original's name and description.
TEST_F(SeedRest, PostModulesRegistersANewModule) {
  auto created = http_->Post("/modules", R"({"name": "user", "description": "User service API"})",
                             "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  Json answer = ParseJson(created->body);
  EXPECT_EQ(answer.GetString("name"), "user");
  EXPECT_EQ(answer.GetString("description"), "User service API");
  Json module = ParseJson(GetBody("/modules/user"));
  EXPECT_EQ(module.GetString("description"), "User service API") << module.Dump();
  Upload("user", UploadBody("v1.0.0", FileSet{{"user.proto", kEvents}}));
  EXPECT_TRUE(Contains(GetBody("/modules/user/versions"), "\"v1.0.0\""));
}

// Line 175: a version uploaded with the original's dependency string "common@v1.0.1", where
// order.proto imports "common/types.proto" (module common's types.proto), is retrieved with its
// pin, and with every file's content on ?include=content.
TEST_F(SeedRest, GetVersionRetrievesASpecificVersion) {
  Upload("common", UploadBody("v1.0.1", kCommonV1));
  Json order = UploadBody("v1.0.0", FileSet{{"order.proto", kOrderV1}});
  Json dependencies = Json::MakeArray();
  dependencies.Push("common@v1.0.1");
  order.Set("dependencies", dependencies);
  Upload("order", order);

  Json version = ParseJson(GetBody("/modules/order/versions/v1.0.0"));
  EXPECT_EQ(version.GetString("module"), "order");
  EXPECT_EQ(version.GetString("version"), "v1.0.0");
  const Json* pins = version.Get("dependencies");
  ASSERT_TRUE(pins && pins->is_array() && pins->as_array().size() == 1) << version.Dump();
  EXPECT_EQ(pins->as_array()[0].GetString("module"), "common");
  EXPECT_EQ(pins->as_array()[0].GetString("version"), "v1.0.1");

  Json full = ParseJson(GetBody("/modules/order/versions/v1.0.0?include=content"));
  const Json* files = full.Get("files");
  ASSERT_TRUE(files && files->is_array() && files->as_array().size() == 1) << full.Dump();
  EXPECT_EQ(files->as_array()[0].GetString("path"), "order.proto");
  EXPECT_EQ(files->as_array()[0].GetString("content"), kOrderV1);
}

// Line 176: a proto file, as bytes by default and as the original's {"path", "content"} when the
// client asks for JSON.
TEST_F(SeedRest, GetFileDownloadsAProtoFile) {
  Upload("common", UploadBody("v1.0.1", kCommonV1));
  const std::string route = "/modules/common/versions/v1.0.1/files/types.proto";
  auto raw = http_->Get(route.c_str());
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  EXPECT_EQ(raw->body, kCommonTypes);
  auto json = http_->Get(route.c_str(), {{"Accept", "application/json"}});
  ASSERT_TRUE(json);
  ASSERT_EQ(json->status, 200) << json->body;
  EXPECT_EQ(json->get_header_value("Content-Type"), "application/json");
  Json file = ParseJson(json->body);
  EXPECT_EQ(file.GetString("path"), "types.proto");
  EXPECT_EQ(file.GetString("content"), kCommonTypes);
}

// Line 177: compiling order for Go generates its file (docs/api.md: example/order/order.pb.go);
// asking again is answered from the cache.
TEST_F(SeedRest, PostCompileRequestsCompilation) {
  PublishOrder();
  const std::string route = "/modules/order/versions/v1.0.0/compile/go";
  auto compiled = http_->Post(route.c_str(), "", "application/json");
  ASSERT_TRUE(compiled);
  ASSERT_EQ(compiled->status, 201) << compiled->body;
  Json answer = ParseJson(compiled->body);
  std::set<std::string> paths;
  for (const Json& file : answer.Get("files")->as_array()) paths.insert(file.GetString("path"));
  EXPECT_TRUE(paths.count("example/order/order.pb.go")) << compiled->body;

  auto again = http_->Post(route.c_str(), "", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(ParseJson(again->body).GetString("key"), answer.GetString("key"));
}

// Line 178: the compiled files as an archive, in one request: "Agents can download pre-compiled
// code directly" and Sprocket "handles complex dependency chains automatically" (lines 224-227).
// So order's download alone must be usable: it holds common's generated code too, under the mount
// order imports it from (common/), generated under the name order.proto imports
// ("common/types.proto"). Python's code, unpacked, imports; C++'s compiles; the Go package
// order.pb.go imports for common's types is one the download holds.
TEST_F(SeedRest, GetDownloadDownloadsCompiledFiles) {
  PublishOrder();
  auto download = [&](const std::string& language, const std::string& format) {
    const std::string route = "/modules/order/versions/v1.0.0/download/" + language + format;
    auto archive = http_->Get(route.c_str());
    EXPECT_TRUE(archive && archive->status == 200) << route << (archive ? archive->body : "");
    return archive && archive->status == 200 ? e2e::ReadArchive(archive->body) : FileSet{};
  };
  auto listing = [](const FileSet& files) {
    std::string paths;
    for (const auto& [path, content] : files) paths += " " + path;
    return paths;
  };
  const FileSet python_files = download("python", "?format=tar.gz");
  const FileSet cpp_files = download("cpp", "");
  const FileSet go_files = download("go", "");
  EXPECT_TRUE(python_files.count("order_pb2.py") && python_files.count("common/types_pb2.py"))
      << "python:" << listing(python_files);
  EXPECT_TRUE(cpp_files.count("order.pb.cc") && cpp_files.count("common/types.pb.cc"))
      << "cpp:" << listing(cpp_files);

  ASSERT_TRUE(go_files.count("example/order/order.pb.go")) << "go:" << listing(go_files);
  const std::string& order_go = go_files.at("example/order/order.pb.go");
  const size_t import = order_go.find("\tcommon \"");
  ASSERT_NE(import, std::string::npos) << order_go.substr(0, 1000);
  const size_t begin = import + 9;
  const std::string imported = order_go.substr(begin, order_go.find('"', begin) - begin);
  bool provided = false;
  for (const auto& [path, content] : go_files) provided |= path.rfind(imported + "/", 0) == 0;
  EXPECT_TRUE(provided) << "order.pb.go imports common's types as \"" << imported
                        << "\", which the download does not hold; go:" << listing(go_files);

  const std::string python_dir = work_.Sub("python-download"), cpp_dir = work_.Sub("cpp-download");
  e2e::WriteFiles(python_dir, python_files);
  e2e::WriteFiles(cpp_dir, cpp_files);
  if (OnPath("g++")) ExpectCppCompiles(cpp_dir, "order.pb.cc");
  const std::string python = PythonWithProtobuf();
  if (python.empty()) GTEST_SKIP() << "no python3 with the protobuf module (python3-protobuf)";
  ExpectPythonRuns(python, python_dir,
                   "import order_pb2\n"
                   "o = order_pb2.Order()\no.id.value = 'o-1'\no.created_at.seconds = 1700000000\n"
                   "assert order_pb2.Order.FromString(o.SerializeToString()) == o\n");
}

}  // namespace
}  // namespace spoke::seed
