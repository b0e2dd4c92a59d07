// Downloads of generated code: a zip or tar.gz that stock unzip and tar accept, holding exactly
// the compiled files, byte-identical on every download, with the artifact key as its ETag.
#include <gtest/gtest.h>

#include "archive_reader.h"
#include "generated_code_fixture.h"
#include "harness.h"

namespace spoke::e2e {
namespace {

constexpr char kShopCpp[] = "/modules/shop/versions/v1.0.0/download/cpp";

class Download : public RegistryWithModules {
 protected:
  void SetUp() override {
    RegistryWithModules::SetUp();
    if (HasFatalFailure()) return;
    CompileAnswer compiled = PostCompile(*http_, "shop", "v1.0.0", "cpp");
    ASSERT_EQ(compiled.status, 201) << compiled.raw;
    key_ = compiled.body.GetString("key");
    sizes_ = FileSizes(compiled.body);
  }

  // GETs `route` and checks the answer is an archive of the shop's cpp artifact.
  std::string GetArchive(const std::string& route, const std::string& content_type,
                         const std::string& extension) {
    auto got = http_->Get(route.c_str());
    if (!got) {
      ADD_FAILURE() << "GET " << route << ": " << httplib::to_string(got.error());
      return "";
    }
    EXPECT_EQ(got->status, 200) << got->body;
    EXPECT_EQ(got->get_header_value("Content-Type"), content_type);
    EXPECT_EQ(got->get_header_value("X-Spoke-Artifact-Key"), key_);
    EXPECT_EQ(got->get_header_value("ETag"), "\"" + key_ + "." + extension + "\"");
    EXPECT_NE(got->get_header_value("Content-Disposition").find("shop-v1.0.0-cpp." + extension),
              std::string::npos)
        << got->get_header_value("Content-Disposition");
    return got->body;
  }

  // Checks that `files` are exactly the compiled files, at their reported sizes.
  void ExpectCompiledFiles(const FileSet& files) {
    EXPECT_EQ(PathsOf(files), PathsOf(sizes_));
    for (const auto& [path, content] : files) {
      EXPECT_EQ(static_cast<int64_t>(content.size()), sizes_[path]) << path;
    }
  }

  std::vector<std::string> SortedPaths() const {
    std::vector<std::string> paths;
    for (const auto& [path, size] : sizes_) paths.push_back(path);
    return paths;  // a std::map iterates in order
  }

  std::string key_;
  std::map<std::string, int64_t> sizes_;
};

TEST_F(Download, ZipIsTheDefaultAndHoldsExactlyTheCompiledFiles) {
  std::string zip = GetArchive(kShopCpp, "application/zip", "zip");
  ASSERT_FALSE(zip.empty());
  ExpectCompiledFiles(ReadArchive(zip));
  // Stock unzip lists the entries in sorted order and finds each one intact.
  EXPECT_EQ(ListWithStockTool(zip, work_.Sub("shop.zip"), /*zip=*/true), SortedPaths());
  EXPECT_EQ(GetArchive(std::string(kShopCpp) + "?format=zip", "application/zip", "zip"), zip);
}

TEST_F(Download, TarGzHoldsTheSameFilesAsTheZip) {
  std::string tgz =
      GetArchive(std::string(kShopCpp) + "?format=tar.gz", "application/gzip", "tar.gz");
  ASSERT_FALSE(tgz.empty());
  FileSet from_tar = ReadArchive(tgz);
  ExpectCompiledFiles(from_tar);
  EXPECT_EQ(ListWithStockTool(tgz, work_.Sub("shop.tar.gz"), /*zip=*/false), SortedPaths());
  ExpectSameFiles(from_tar, ReadArchive(GetArchive(kShopCpp, "application/zip", "zip")));
}

TEST_F(Download, DownloadingTwiceGivesIdenticalBytes) {
  for (auto [query, type, extension] :
       {std::tuple{"", "application/zip", "zip"},
        std::tuple{"?format=tar.gz", "application/gzip", "tar.gz"}}) {
    SCOPED_TRACE(extension);
    std::string route = std::string(kShopCpp) + query;
    std::string first = GetArchive(route, type, extension);
    std::string second = GetArchive(route, type, extension);
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(first, second) << "the archive is not deterministic";
  }
}

TEST_F(Download, Answers304WhenIfNoneMatchNamesItsETag) {
  for (auto [query, extension, other] :
       {std::tuple{"", "zip", "tar.gz"}, std::tuple{"?format=tar.gz", "tar.gz", "zip"}}) {
    SCOPED_TRACE(extension);
    std::string route = std::string(kShopCpp) + query;
    std::string etag = "\"" + key_ + "." + extension + "\"";
    auto fresh = http_->Get(route.c_str(), {{"If-None-Match", etag}});
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->status, 304);
    EXPECT_TRUE(fresh->body.empty());
    EXPECT_EQ(fresh->get_header_value("ETag"), etag);
    auto weak = http_->Get(route.c_str(), {{"If-None-Match", "\"stale\", W/" + etag}});
    ASSERT_TRUE(weak);
    EXPECT_EQ(weak->status, 304);
    // The other format's archive is other bytes: its ETag must not match.
    std::string other_etag = "\"" + key_ + "." + other + "\"";
    auto stale = http_->Get(route.c_str(), {{"If-None-Match", other_etag}});
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->status, 200);
    EXPECT_FALSE(stale->body.empty());
  }
}

TEST_F(Download, UnknownFormatIs400Json) {
  for (std::string format : {"rar", "tar", "ZIP"}) {
    SCOPED_TRACE(format);
    std::string route = std::string(kShopCpp) + "?format=" + format;
    std::string message;
    EXPECT_EQ(ExpectJsonError(http_->Get(route.c_str()), 400, &message), "invalid_argument");
    EXPECT_NE(message.find("zip or tar.gz"), std::string::npos) << message;
  }
  // An escaped NUL never reaches a route: the server refuses the query itself.
  std::string message;
  std::string route = std::string(kShopCpp) + "?format=zip%00";
  EXPECT_EQ(ExpectJsonError(http_->Get(route.c_str()), 400, &message), "invalid_argument");
  EXPECT_NE(message.find("escape"), std::string::npos) << message;
}

TEST_F(Download, ALanguageNeverCompiledIsCompiledFirstAndThenCached) {
  auto got = http_->Get("/modules/shop/versions/v1.0.0/download/python?format=tar.gz");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->status, 200) << got->body;
  std::string key = got->get_header_value("X-Spoke-Artifact-Key");
  EXPECT_TRUE(IsHex(key, 64)) << key;
  EXPECT_NE(key, key_);
  FileSet files = ReadArchive(got->body);
  EXPECT_EQ(PathsOf(files), (std::set<std::string>{"shop/money_pb2.py", "shop/money_pb2.pyi",
                                                   "shop/order_pb2.py", "shop/order_pb2.pyi"}));
  CompileAnswer after = PostCompile(*http_, "shop", "v1.0.0", "python");
  EXPECT_EQ(after.status, 200) << "the download did not store the artifact: " << after.raw;
  EXPECT_EQ(after.body.GetString("key"), key);
  EXPECT_EQ(FileSizes(after.body).size(), files.size());
}

}  // namespace
}  // namespace spoke::e2e
