// Conditional GETs: a version (by name or as "latest") and a file carry an ETag, and a client that
// sends it back in If-None-Match gets 304 with no body; the file route serves the raw bytes.
#include <gtest/gtest.h>

#include "harness.h"
#include "spoke/json.h"

namespace spoke::e2e {
namespace {

class ETag : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ServerProcess::Start({work_.Sub("storage"), {}, {}});
    ASSERT_TRUE(server_);
    http_ = HttpClient(server_->port());
    WriteFiles(work_.Sub("src"), files_);
    CliUser publisher(work_.Sub("home"), server_->url());
    CommandResult push = publisher.Run(
        {"push", "-module", "tagged", "-version", "v1.2.0", "-dir", work_.Sub("src")});
    ASSERT_EQ(push.exit_code, 0) << push.Describe();
  }

  TempDir work_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<httplib::Client> http_;
  FileSet files_ = {{"api/tagged.proto",
                     "syntax = \"proto3\";\n\n// caf\xc3\xa9 \t tabs and UTF-8\nmessage T {}\n"},
                    {"top.proto", "syntax = \"proto3\";\nmessage Top {}\n"}};
};

TEST_F(ETag, VersionAnswers304WhenIfNoneMatchNamesItsETag) {
  for (std::string path : {"/modules/tagged/versions/v1.2.0", "/modules/tagged/versions/latest"}) {
    SCOPED_TRACE(path);
    auto first = http_->Get(path.c_str());
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, 200) << first->body;
    std::string etag = first->get_header_value("ETag");
    ASSERT_FALSE(etag.empty());
    auto json = Json::Parse(first->body);
    ASSERT_TRUE(json.ok()) << first->body;
    EXPECT_EQ(json->GetString("version"), "v1.2.0");

    auto second = http_->Get(path.c_str(), {{"If-None-Match", etag}});
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 304);
    EXPECT_TRUE(second->body.empty()) << second->body;
    auto weak_in_list = http_->Get(path.c_str(), {{"If-None-Match", "\"other\", W/" + etag}});
    ASSERT_TRUE(weak_in_list);
    EXPECT_EQ(weak_in_list->status, 304);
    auto stale = http_->Get(path.c_str(), {{"If-None-Match", "\"not-the-etag\""}});
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->status, 200);
    EXPECT_EQ(stale->body, first->body);
  }
}

TEST_F(ETag, FileRouteServesTheRawBytesWithAnETag) {
  for (const auto& [path, content] : files_) {
    SCOPED_TRACE(path);
    std::string route = "/modules/tagged/versions/v1.2.0/files/" + path;
    auto file = http_->Get(route.c_str());
    ASSERT_TRUE(file);
    ASSERT_EQ(file->status, 200) << file->body;
    EXPECT_EQ(file->body, content);
    std::string etag = file->get_header_value("ETag");
    ASSERT_FALSE(etag.empty());
    auto again = http_->Get(route.c_str(), {{"If-None-Match", etag}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_TRUE(again->body.empty());
  }
}

}  // namespace
}  // namespace spoke::e2e
