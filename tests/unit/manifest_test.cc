// Manifest: the documented digest recipe, deterministic serialization, and strict parsing.
#include "spoke/manifest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"

namespace spoke {
namespace {

using testing::Sha256HexOf;

// The recipe of include/spoke/manifest.h, written out independently of the library: SHA-256 over
// "<sha256 of content hex>  <path>\n" for every file, sorted by path in byte order.
std::string DigestByTheRecipe(std::vector<std::pair<std::string, std::string>> files) {
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    size_t n = std::min(a.first.size(), b.first.size());
    int c = std::memcmp(a.first.data(), b.first.data(), n);
    return c != 0 ? c < 0 : a.first.size() < b.first.size();
  });
  std::string lines;
  for (const auto& [path, content] : files) lines += Sha256HexOf(content) + "  " + path + "\n";
  return "sha256:" + Sha256HexOf(lines);
}

Manifest SampleManifest() {
  FileSet files = {{"user.proto", "syntax = \"proto3\";\nmessage User {}\n"},
                   {"v1/service.proto", "syntax = \"proto3\";\nservice S {}\n"}};
  Manifest m;
  m.module = "acme/user";
  m.version = "v1.2.0";
  m.description = "Users, with \"quotes\" and a newline\n";
  m.files = DescribeFiles(files);
  m.digest = ComputeDigest(m.files);
  m.dependencies.push_back(
      {"acme/common", "v0.3.0", std::string(40, 'a'), "sha256:" + std::string(64, 'b'), ""});
  return m;
}

// `text` with the first occurrence of `from` replaced by `to`; fails the test when absent.
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "no \"" << from << "\" in:\n" << text;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

void ExpectCorruption(const std::string& text, const std::string& why_fragment) {
  auto parsed = Manifest::Parse(text);
  ASSERT_FALSE(parsed.ok()) << "accepted:\n" << text;
  EXPECT_EQ(parsed.status().code(), Status::Code::kCorruption) << parsed.status().ToString();
  EXPECT_NE(parsed.status().message().find(why_fragment), std::string::npos)
      << parsed.status().message();
}

TEST(ManifestDigest, MatchesTheDocumentedRecipe) {
  std::vector<std::pair<std::string, std::string>> contents = {
      {"z.proto", "last by name"},
      {"a/b.proto", "nested"},
      {"a.proto", "a.proto sorts before a/b.proto: '.' is 0x2e, '/' is 0x2f"},
      {"B.proto", "uppercase sorts before lowercase"},
      {"caf\xC3\xA9.proto", "non-ASCII bytes sort after ASCII"},
      {"empty.proto", ""},
  };
  FileSet files(contents.begin(), contents.end());
  EXPECT_EQ(ComputeDigest(DescribeFiles(files)), DigestByTheRecipe(contents));
}

TEST(ManifestDigest, OfASingleFileIsTheHashOfOneLine) {
  std::string content = "syntax = \"proto3\";\n";
  std::string line = Sha256HexOf(content) + "  api.proto\n";
  EXPECT_EQ(ComputeDigest(DescribeFiles({{"api.proto", content}})), "sha256:" + Sha256HexOf(line));
}

TEST(ManifestDigest, OfNoFilesIsTheHashOfNothing) {
  EXPECT_EQ(ComputeDigest({}),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ManifestDigest, ChangesWithAnyContentOrPath) {
  std::string base = ComputeDigest(DescribeFiles({{"a.proto", "x"}}));
  EXPECT_NE(ComputeDigest(DescribeFiles({{"a.proto", "y"}})), base);
  EXPECT_NE(ComputeDigest(DescribeFiles({{"b.proto", "x"}})), base);
  EXPECT_NE(ComputeDigest(DescribeFiles({{"a.proto", "x"}, {"b.proto", ""}})), base);
}

TEST(DescribeFiles, ListsPathsInOrderWithHashesAndSizes) {
  auto described = DescribeFiles({{"b.proto", "bb"}, {"a/c.proto", "ccc"}, {"a.proto", ""}});
  ASSERT_EQ(described.size(), 3u);
  EXPECT_EQ(described[0].path, "a.proto");
  EXPECT_EQ(described[1].path, "a/c.proto");
  EXPECT_EQ(described[2].path, "b.proto");
  EXPECT_EQ(described[0].sha256, Sha256HexOf(""));
  EXPECT_EQ(described[1].sha256, Sha256HexOf("ccc"));
  EXPECT_EQ(described[2].size, 2u);
  EXPECT_EQ(described[1].size, 3u);
}

TEST(ManifestSerialize, IsDeterministic) {
  Manifest a = SampleManifest(), b = SampleManifest();
  EXPECT_EQ(a.Serialize(), b.Serialize());
  EXPECT_EQ(a.Serialize(), a.Serialize());
  EXPECT_EQ(a.Serialize(), a.ToJson().Dump(2) + "\n");
}

TEST(ManifestSerialize, WritesTheFieldsInTheDocumentedOrder) {
  std::string text = SampleManifest().Serialize();
  std::vector<std::string> keys = {"\"format\"", "\"module\"", "\"version\"",     "\"description\"",
                                   "\"digest\"", "\"files\"",  "\"dependencies\""};
  size_t last = 0;
  for (const auto& key : keys) {
    size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    EXPECT_GE(at, last) << key << " is out of order in:\n" << text;
    last = at;
  }
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text.find("\"format\": 1"), std::string::npos) << text;
}

TEST(ManifestParse, ReadsBackWhatSerializeWrote) {
  Manifest original = SampleManifest();
  auto parsed = Manifest::Parse(original.Serialize());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->format, kManifestFormat);
  EXPECT_EQ(parsed->module, original.module);
  EXPECT_EQ(parsed->version, original.version);
  EXPECT_EQ(parsed->description, original.description);
  EXPECT_EQ(parsed->digest, original.digest);
  ASSERT_EQ(parsed->files.size(), original.files.size());
  for (size_t i = 0; i < original.files.size(); ++i) {
    EXPECT_EQ(parsed->files[i].path, original.files[i].path);
    EXPECT_EQ(parsed->files[i].sha256, original.files[i].sha256);
    EXPECT_EQ(parsed->files[i].size, original.files[i].size);
  }
  ASSERT_EQ(parsed->dependencies.size(), 1u);
  EXPECT_EQ(parsed->dependencies[0].module, "acme/common");
  EXPECT_EQ(parsed->dependencies[0].version, "v0.3.0");
  EXPECT_EQ(parsed->dependencies[0].commit, std::string(40, 'a'));
  EXPECT_EQ(parsed->dependencies[0].digest, "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(parsed->Serialize(), original.Serialize());
}

TEST(ManifestParse, RejectsAWrongDigest) {
  Manifest m = SampleManifest();
  std::string text = m.Serialize();
  std::string wrong = "sha256:" + std::string(64, '0');
  ExpectCorruption(Replace(text, m.digest, wrong), "digest");
}

TEST(ManifestParse, RejectsADigestThatDoesNotCoverAChangedFileHash) {
  Manifest m = SampleManifest();
  std::string text = Replace(m.Serialize(), m.files[0].sha256, Sha256HexOf("something else"));
  ExpectCorruption(text, "digest");
}

TEST(ManifestParse, RejectsAnUnknownFormat) {
  std::string text = SampleManifest().Serialize();
  ExpectCorruption(Replace(text, "\"format\": 1", "\"format\": 3"), "format");
  ExpectCorruption(Replace(text, "\"format\": 1", "\"format\": \"1\""), "format");
  ExpectCorruption(Replace(text, "\"format\": 1,", ""), "format");
  ExpectCorruption(Replace(text, "\"format\": 1", "\"format\": 1.5"), "format");
}

TEST(ManifestParse, RejectsBadFilePaths) {
  for (const std::string& bad : std::vector<std::string>{"../escape.proto", "/abs.proto",
                                                         "a//b.proto", "notes.txt", "a\\b.proto"}) {
    Manifest m = SampleManifest();
    m.files[0].path = bad;
    m.digest = ComputeDigest(m.files);  // a digest that agrees, so only the path is wrong
    auto parsed = Manifest::Parse(m.Serialize());
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), Status::Code::kCorruption);
  }
}

// A registry receiving a sync push reads the paths from the manifest: they must be paths every
// client can write (UTF-8, segments of at most 255 bytes).
TEST(ManifestParse, RejectsPathsThatAreNotUtf8OrHaveSegmentsOver255Bytes) {
  const std::string text = SampleManifest().Serialize();
  ExpectCorruption(Replace(text, "\"path\": \"user.proto\"",
                           "\"path\": \"us\xFF"
                           "er.proto\""),
                   "invalid UTF-8");
  ExpectCorruption(Replace(text, "\"path\": \"user.proto\"", "\"path\": \"caf\xE9.proto\""),
                   "invalid UTF-8");
  Manifest m = SampleManifest();
  m.files[0].path = std::string(256, 'u') + ".proto";
  m.digest = ComputeDigest(m.files);  // a digest that agrees, so only the path is wrong
  ExpectCorruption(m.Serialize(), "over the limit of 255");
}

TEST(ManifestParse, RejectsUnsortedFiles) {
  Manifest m = SampleManifest();
  std::swap(m.files[0], m.files[1]);
  m.digest = ComputeDigest(m.files);
  ExpectCorruption(m.Serialize(), "sorted");
}

TEST(ManifestParse, RejectsTheSameFileListedTwice) {
  Manifest m = SampleManifest();
  m.files.push_back(m.files.back());
  m.digest = ComputeDigest(m.files);
  ExpectCorruption(m.Serialize(), "sorted");
}

TEST(ManifestParse, RejectsAMalformedFileHash) {
  Manifest m = SampleManifest();
  m.files[0].sha256 = "abc";
  m.digest = ComputeDigest(m.files);
  ExpectCorruption(m.Serialize(), "sha256");
}

TEST(ManifestParse, RejectsABadModuleNameOrVersion) {
  Manifest m = SampleManifest();
  m.module = "Acme";
  EXPECT_EQ(Manifest::Parse(m.Serialize()).status().code(), Status::Code::kCorruption);
  m = SampleManifest();
  m.version = "1.2.0";
  EXPECT_EQ(Manifest::Parse(m.Serialize()).status().code(), Status::Code::kCorruption);
}

TEST(ManifestParse, RejectsMissingFilesAndNonObjects) {
  std::string text = SampleManifest().Serialize();
  EXPECT_EQ(Manifest::Parse(Replace(text, "\"files\"", "\"filez\"")).status().code(),
            Status::Code::kCorruption);
  EXPECT_EQ(Manifest::Parse("[]").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(Manifest::Parse("not json").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(Manifest::Parse("").status().code(), Status::Code::kCorruption);
}

TEST(ManifestParse, ErrorsNameTheManifestFile) {
  auto parsed = Manifest::Parse("{}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find(kManifestPath), std::string::npos)
      << parsed.status().message();
}

}  // namespace
}  // namespace spoke

namespace spoke {
namespace {

// Format 2: the digest covers the pins, so the same files on other dependencies are another
// content; format 1 manifests (SampleManifest) keep their files-only digest and still parse.
TEST(ManifestDigest, CoversPinsFromFormatTwo) {
  Manifest a = SampleManifest();
  ASSERT_TRUE(Manifest::Parse(a.Serialize()).ok()) << "a format 1 manifest must still be read";
  a.format = kManifestFormatWithPins;
  a.digest = ComputeDigest(a.files, a.dependencies);
  EXPECT_NE(a.digest, ComputeDigest(a.files));
  Manifest b = a;
  b.dependencies[0].version = "v0.3.1";
  b.digest = ComputeDigest(b.files, b.dependencies);
  EXPECT_NE(a.digest, b.digest);
  Manifest mounted = a;
  mounted.dependencies[0].mount = "acme/common";
  mounted.digest = ComputeDigest(mounted.files, mounted.dependencies);
  EXPECT_NE(a.digest, mounted.digest);
  auto parsed = Manifest::Parse(mounted.Serialize());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->dependencies[0].mount, "acme/common");
  EXPECT_EQ(parsed->dependencies[0].Mounted("types.proto"), "acme/common/types.proto");
  // A format 2 manifest whose pins were changed after the digest was taken is corrupt.
  std::string text = mounted.Serialize();
  ExpectCorruption(Replace(text, "\"v0.3.0\"", "\"v0.3.9\""), "digest");
  // Without pins the digest is the one versions always had.
  EXPECT_EQ(ComputeDigest(a.files, {}), ComputeDigest(a.files));
}

TEST(ManifestDigest, SameContentComparesLegacyManifestsPinByPin) {
  Manifest legacy = SampleManifest();  // format 1, pins not in the digest
  EXPECT_TRUE(SameContent(legacy, legacy.files, legacy.dependencies));
  auto other = legacy.dependencies;
  other[0].digest = "sha256:" + std::string(64, 'c');
  EXPECT_FALSE(SameContent(legacy, legacy.files, other));
}

}  // namespace
}  // namespace spoke
