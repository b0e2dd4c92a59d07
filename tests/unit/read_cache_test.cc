// The store's cache of decoded reads (src/store/read_cache.h): what it keeps, that it gives back
// exactly what was put, and that it stays within its byte budget, least recently used out first.
#include "store/read_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace spoke {
namespace {

VersionInfo Version(const std::string& tag_id, const std::string& version) {
  VersionInfo info;
  info.module = "acme/things";
  info.version = version;
  info.tag_id = tag_id;
  info.commit_id = std::string(40, 'c');
  info.created = 1700000000;
  info.manifest.module = info.module;
  info.manifest.version = version;
  info.manifest.description = "things";
  info.manifest.files.push_back({"acme/a.proto", std::string(64, 'd'), 12});
  return info;
}

TEST(ReadCache, GivesBackWhatWasPutUnderEachKind) {
  ReadCache cache(1 << 20);
  EXPECT_FALSE(cache.FindTag("acme/things", "v1.0.0"));
  cache.PutTag("acme/things", "v1.0.0", std::string(40, 'a'));
  ASSERT_TRUE(cache.FindTag("acme/things", "v1.0.0"));
  EXPECT_EQ(*cache.FindTag("acme/things", "v1.0.0"), std::string(40, 'a'));
  EXPECT_FALSE(cache.FindTag("acme/things", "v1.0.1"));
  EXPECT_FALSE(cache.FindTag("acme/other", "v1.0.0"));

  cache.PutVersion(Version(std::string(40, 'a'), "v1.0.0"));
  auto version = cache.FindVersion(std::string(40, 'a'));
  ASSERT_TRUE(version);
  EXPECT_EQ(version->version, "v1.0.0");
  EXPECT_EQ(version->manifest.files.size(), 1u);
  EXPECT_EQ(version->manifest.files[0].path, "acme/a.proto");
  EXPECT_EQ(cache.FindVersionCommit(std::string(40, 'a')), std::string(40, 'c'));
  EXPECT_FALSE(cache.FindVersionCommit(std::string(40, 'b')));
  // A tag id is not a version's key, nor the other way round.
  EXPECT_FALSE(cache.FindVersion(std::string(40, 'b')));

  cache.PutFile(std::string(40, 'c'), "acme/a.proto", "syntax = \"proto3\";", std::string(40, 'e'));
  auto file = cache.FindFile(std::string(40, 'c'), "acme/a.proto");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->first, "syntax = \"proto3\";");
  EXPECT_EQ(file->second, std::string(40, 'e'));
  EXPECT_FALSE(cache.FindFile(std::string(40, 'c'), "acme/b.proto"));
  EXPECT_FALSE(cache.FindFile(std::string(40, 'f'), "acme/a.proto"));
}

TEST(ReadCache, ForgetsTheLeastRecentlyUsedToStayWithinItsBudget) {
  // Files of 4 KB in 80 KB: about nineteen fit, with what each entry costs besides its content.
  ReadCache cache(80 << 10);
  const std::string content(4 << 10, 'x');
  const std::string commit(40, 'c');
  auto name = [](int i) { return "f" + std::to_string(i) + ".proto"; };
  for (int i = 0; i < 18; ++i) cache.PutFile(commit, name(i), content, "blob");
  for (int i = 0; i < 18; ++i) EXPECT_TRUE(cache.FindFile(commit, name(i))) << name(i);
  // f0 used again: now the most recent; f1 the least.
  ASSERT_TRUE(cache.FindFile(commit, name(0)));
  for (int i = 18; i < 24; ++i) cache.PutFile(commit, name(i), content, "blob");
  EXPECT_TRUE(cache.FindFile(commit, name(0)));
  EXPECT_FALSE(cache.FindFile(commit, name(1)));
  EXPECT_TRUE(cache.FindFile(commit, name(23)));
  int kept = 0;
  for (int i = 0; i < 24; ++i) kept += cache.FindFile(commit, name(i)) ? 1 : 0;
  EXPECT_GE(kept, 16);
  EXPECT_LE(kept, 20);
}

TEST(ReadCache, DoesNotKeepAFileLargerThanASixteenthOfItsBudget) {
  ReadCache cache(16 << 10);
  cache.PutFile(std::string(40, 'c'), "big.proto", std::string((1 << 10) + 1, 'x'), "blob");
  EXPECT_FALSE(cache.FindFile(std::string(40, 'c'), "big.proto"));
  cache.PutFile(std::string(40, 'c'), "small.proto", std::string(512, 'x'), "blob");
  EXPECT_TRUE(cache.FindFile(std::string(40, 'c'), "small.proto"));
}

}  // namespace
}  // namespace spoke
