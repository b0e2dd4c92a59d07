// RequestForDir (cli/compile_common.h): a local directory's sources are named by their git blob
// ids without being kept in memory, and a source that changes between naming and compiling is
// refused instead of compiled under the old name.
#include "compile_common.h"

#include <git2.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.h"

namespace spoke::cli {
namespace {

using spoke::testing::TempDir;

void Write(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// libgit2's own id for a blob, to check ours against.
std::string LibGit2BlobId(const std::string& content) {
  git_libgit2_init();
  git_oid oid;
  EXPECT_EQ(git_odb_hash(&oid, content.data(), content.size(), GIT_OBJECT_BLOB), 0);
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, &oid);
  git_libgit2_shutdown();
  return hex;
}

class CompileRequestTest : public ::testing::Test {
 protected:
  Result<CachedCompileRequest> Request(bool recursive) {
    args_.dir = dir_.Sub("src");
    args_.recursive = recursive;
    SourceIdCache known = SourceIdCache::Load(dir_.Sub("index"));
    return RequestForDir(args_, {"cpp"}, {}, &known);
  }
  TempDir dir_;
  CompileArgs args_;
};

TEST_F(CompileRequestTest, SourcesAreNamedByTheirGitBlobIds) {
  // Larger than the 64 KiB pieces the ids are computed in.
  std::string big = "syntax = \"proto3\";\n";
  while (big.size() < 200000) big += "// padding " + std::to_string(big.size()) + "\n";
  Write(dir_.Sub("src/empty.proto"), "");
  Write(dir_.Sub("src/big.proto"), big);
  Write(dir_.Sub("src/sub/inner.proto"), "syntax = \"proto3\";\n");

  auto request = Request(/*recursive=*/false);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->sources.at("empty.proto"),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");  // git's empty blob
  EXPECT_EQ(request->sources.at("big.proto"), LibGit2BlobId(big));
  EXPECT_EQ(request->sources.at("sub/inner.proto"), LibGit2BlobId("syntax = \"proto3\";\n"));
  // Without --recursive only the top directory's files are targets; the rest are sources.
  EXPECT_EQ(request->targets, (std::vector<std::string>{"big.proto", "empty.proto"}));
  auto loaded = request->load(request->sources.at("big.proto"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, big);
  auto empty = request->load(request->sources.at("empty.proto"));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, "");

  auto recursive = Request(/*recursive=*/true);
  ASSERT_TRUE(recursive.ok());
  EXPECT_EQ(recursive->targets.size(), 3u);
}

TEST_F(CompileRequestTest, ASourceChangedAfterItWasNamedIsRefused) {
  Write(dir_.Sub("src/api.proto"), "syntax = \"proto3\";\nmessage A {}\n");
  auto request = Request(/*recursive=*/false);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  const std::string id = request->sources.at("api.proto");
  Write(dir_.Sub("src/api.proto"), "syntax = \"proto3\";\nmessage B {}\n");
  auto loaded = request->load(id);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Status::Code::kConflict);
  EXPECT_NE(loaded.status().message().find("api.proto changed while it was being compiled"),
            std::string::npos)
      << loaded.status().message();
  EXPECT_EQ(request->load(std::string(40, '0')).status().code(), Status::Code::kNotFound);
}

TEST_F(CompileRequestTest, ADirectoryWithoutProtoFilesIsAnError) {
  Write(dir_.Sub("src/README"), "no protos\n");
  auto request = Request(/*recursive=*/true);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace spoke::cli
