// SourceIdCache: a remembered blob id is used only for a file whose stat data is unchanged and
// was not written in the two seconds before the index was; anything else is read and hashed.
#include "spoke/source_id_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "test_support.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;
using testing::ReadFileOrDie;
using testing::TempDir;

void Write(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// What git names `content`.
std::string IdOfContent(const std::string& content) {
  TempDir dir;
  Write(dir.Sub("f"), content);
  testing::CommandResult hashed = testing::Git(dir.path().string(), "hash-object f");
  EXPECT_EQ(hashed.exit_code, 0) << hashed.output;
  return hashed.output.substr(0, 40);
}

class SourceIdCacheTest : public ::testing::Test {
 protected:
  // Loads the index, asks for each file, saves: what one compile does.
  SourceIdCache Run(const std::vector<std::string>& names) {
    SourceIdCache cache = SourceIdCache::Load(index_);
    for (const auto& name : names) {
      auto id = cache.IdOf(name, dir_.Sub("src/" + name));
      EXPECT_TRUE(id.ok()) << id.status().ToString();
      if (id.ok()) ids_[name] = *id;
    }
    Status saved = cache.Save();
    EXPECT_TRUE(saved.ok()) << saved.ToString();
    return cache;
  }

  // Rewrites the index's lines above its trailer with `edit`, and fixes the trailer.
  void EditIndex(const std::function<std::string(std::string)>& edit) {
    const std::string text = ReadFileOrDie(index_);
    const std::string body = edit(text.substr(0, text.rfind("end ")));
    Write(index_, body + "end " + testing::Sha256HexOf(body) + "\n");
  }

  // Moves the index's stamp `seconds` later, as if the run that wrote it had begun that much
  // after the files last changed, which a test cannot wait for.
  void AgeFiles(int seconds) {
    EditIndex([&](std::string body) {
      const size_t header_end = body.find('\n');
      const size_t space = body.rfind(' ', header_end);
      const uint64_t stamp = std::stoull(body.substr(space + 1, header_end - space - 1));
      return body.substr(0, space + 1) + std::to_string(stamp + seconds * 1'000'000'000ull) +
             body.substr(header_end);
    });
  }

  // Puts `id` in place of every id the index holds, keeping the stat data.
  void ForgeIds(const std::string& id) {
    EditIndex([&](std::string body) {
      for (size_t line = body.find('\n'); line + 1 < body.size();
           line = body.find('\n', line + 1)) {
        size_t at = line + 1;
        for (int field = 0; field < 5; ++field) at = body.find(' ', at) + 1;
        body.replace(at, 40, id);
      }
      return body;
    });
  }

  TempDir dir_;
  std::string index_ = dir_.Sub("index/sources/x");
  std::map<std::string, std::string> ids_;
};

TEST_F(SourceIdCacheTest, TheFirstRunHashesEveryFileAndGivesGitsIds) {
  Write(dir_.Sub("src/a.proto"), "syntax = \"proto3\";\n");
  Write(dir_.Sub("src/d/b.proto"), "");
  SourceIdCache cache = Run({"a.proto", "d/b.proto"});
  EXPECT_EQ(cache.files_hashed(), 2);
  EXPECT_EQ(ids_["a.proto"], IdOfContent("syntax = \"proto3\";\n"));
  EXPECT_EQ(ids_["d/b.proto"], "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");  // git's empty blob
  EXPECT_TRUE(fs::exists(index_));
}

TEST_F(SourceIdCacheTest, AnUnchangedFileIsNotReadAgainAndTheIndexIsNotRewritten) {
  Write(dir_.Sub("src/a.proto"), "one\n");
  Run({"a.proto"});
  AgeFiles(10);
  struct stat before;
  ASSERT_EQ(::stat(index_.c_str(), &before), 0);
  SourceIdCache again = Run({"a.proto"});
  EXPECT_EQ(again.files_hashed(), 0);
  EXPECT_EQ(ids_["a.proto"], IdOfContent("one\n"));
  struct stat after;
  ASSERT_EQ(::stat(index_.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "nothing changed, so the index was not written again";
}

// The case stat data cannot tell apart by itself is a rewrite of the same size in the same clock
// tick. So an entry whose file changed within two seconds of the run that hashed it is never
// believed, even when its stat data matches: here the index holds a wrong id for the file.
TEST_F(SourceIdCacheTest, ARacyEntryIsReadAgainEvenWhenItsStatDataMatches) {
  Write(dir_.Sub("src/a.proto"), "one\n");
  Run({"a.proto"});
  const std::string forged(40, '0');
  ForgeIds(forged);
  SourceIdCache racy = Run({"a.proto"});
  EXPECT_EQ(racy.files_hashed(), 1);
  EXPECT_EQ(ids_["a.proto"], IdOfContent("one\n"));

  // The same entry, once its file is two seconds older than the run that hashed it, is believed
  // without reading the file: the forged id comes back.
  ForgeIds(forged);
  AgeFiles(3);
  SourceIdCache trusted = Run({"a.proto"});
  EXPECT_EQ(trusted.files_hashed(), 0);
  EXPECT_EQ(ids_["a.proto"], forged);
}

TEST_F(SourceIdCacheTest, AnyChangeOfSizeMtimeOrInodeIsSeen) {
  Write(dir_.Sub("src/grown.proto"), "one\n");
  Write(dir_.Sub("src/retimed.proto"), "one\n");
  Write(dir_.Sub("src/replaced.proto"), "one\n");
  Run({"grown.proto", "retimed.proto", "replaced.proto"});
  AgeFiles(10);  // every entry trusted: only the stat data can tell a change

  Write(dir_.Sub("src/grown.proto"), "one more\n");
  // Same size, and an mtime put back an hour: the mtime differs from the recorded one.
  Write(dir_.Sub("src/retimed.proto"), "two\n");
  struct timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, dir_.Sub("src/retimed.proto").c_str(), times, 0), 0);
  // Same size, replaced by a rename: another inode.
  Write(dir_.Sub("new.proto"), "two\n");
  fs::rename(dir_.Sub("new.proto"), dir_.Sub("src/replaced.proto"));

  SourceIdCache again = Run({"grown.proto", "retimed.proto", "replaced.proto"});
  EXPECT_EQ(again.files_hashed(), 3);
  EXPECT_EQ(ids_["grown.proto"], IdOfContent("one more\n"));
  EXPECT_EQ(ids_["retimed.proto"], IdOfContent("two\n"));
  EXPECT_EQ(ids_["replaced.proto"], IdOfContent("two\n"));
}

// Each of the five recorded fields alone: one that differs from the file's makes it read again.
TEST_F(SourceIdCacheTest, EachRecordedStatFieldIsCompared) {
  Write(dir_.Sub("src/a.proto"), "one\n");
  for (int field = 0; field < 5; ++field) {  // size, mtime, ctime, inode, device
    Run({"a.proto"});
    AgeFiles(10);
    EditIndex([&](std::string body) {
      size_t at = body.find('\n') + 1;
      for (int skipped = 0; skipped < field; ++skipped) at = body.find(' ', at) + 1;
      const size_t end = body.find(' ', at);
      return body.replace(at, end - at, std::to_string(std::stoull(body.substr(at, end - at)) + 1));
    });
    SourceIdCache cache = Run({"a.proto"});
    EXPECT_EQ(cache.files_hashed(), 1) << "field " << field;
    EXPECT_EQ(ids_["a.proto"], IdOfContent("one\n"));
  }
}

// An mtime an hour old does not make an entry settled: its ctime is recent, and a rewrite could
// have put the old mtime back.
TEST_F(SourceIdCacheTest, ARecentCtimeAloneMakesAnEntryRacy) {
  Write(dir_.Sub("src/a.proto"), "one\n");
  struct timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, dir_.Sub("src/a.proto").c_str(), times, 0), 0);
  Run({"a.proto"});
  ForgeIds(std::string(40, '0'));
  SourceIdCache cache = Run({"a.proto"});
  EXPECT_EQ(cache.files_hashed(), 1);
  EXPECT_EQ(ids_["a.proto"], IdOfContent("one\n"));
}

TEST_F(SourceIdCacheTest, AGarbledOrCutIndexIsAnEmptyOne) {
  Write(dir_.Sub("src/a.proto"), "one\n");
  Run({"a.proto"});
  AgeFiles(10);
  const std::string good = ReadFileOrDie(index_);
  std::string digit_changed = good;  // still well-formed: only the checksum can tell
  const size_t size_field = good.find('\n') + 1;
  digit_changed[size_field] = digit_changed[size_field] == '4' ? '5' : '4';
  for (const std::string& bad :
       {good.substr(0, good.size() - 10), digit_changed, std::string("end\n"), std::string()}) {
    Write(index_, bad);
    SourceIdCache cache = Run({"a.proto"});
    EXPECT_EQ(cache.files_hashed(), 1) << "index: " << bad;
    EXPECT_EQ(ids_["a.proto"], IdOfContent("one\n"));
    Write(index_, good);
  }
}

// Lines whose checksum is right but whose content is not what Save writes: the index is empty.
TEST_F(SourceIdCacheTest, AMalformedLineUnderARightChecksumEmptiesTheIndex) {
  Write(dir_.Sub("src/a.proto"), "one\n");
  Write(dir_.Sub("src/b.proto"), "two\n");
  // Each edits the lines of a well-formed index of a.proto and b.proto, in that order.
  const std::vector<std::string (*)(std::string)> breakages = {
      [](std::string body) {  // a field gone: a.proto's size
        const size_t line = body.find('\n') + 1;
        return body.erase(line, body.find(' ', line) + 1 - line);
      },
      [](std::string body) {  // an id in upper case
        const size_t id = body.find(" a.proto\n") - 40;
        for (size_t i = id; i < id + 40; ++i) body[i] = static_cast<char>(std::toupper(body[i]));
        return body;
      },
      [](std::string body) {  // b.proto before a.proto
        const size_t first = body.find('\n') + 1, second = body.find('\n', first) + 1;
        return body.substr(0, first) + body.substr(second) + body.substr(first, second - first);
      },
      [](std::string body) {  // a size beyond 64 bits
        body.insert(body.find('\n') + 1, "99999999999999999999");
        return body;
      },
      [](std::string body) {  // a negative size
        body.insert(body.find('\n') + 1, 1, '-');
        return body;
      },
  };
  for (size_t i = 0; i < breakages.size(); ++i) {
    Run({"a.proto", "b.proto"});
    AgeFiles(10);
    ForgeIds(std::string(40, 'c'));  // were the index believed, the ids would be these
    EditIndex(breakages[i]);
    SourceIdCache cache = Run({"a.proto", "b.proto"});
    EXPECT_EQ(cache.files_hashed(), 2) << "breakage " << i << ":\n" << ReadFileOrDie(index_);
    EXPECT_EQ(ids_["a.proto"], IdOfContent("one\n"));
  }
}

TEST_F(SourceIdCacheTest, ANameWithSpacesIsRememberedWhole) {
  Write(dir_.Sub("src/with space/a b.proto"), "one\n");
  Run({"with space/a b.proto"});
  AgeFiles(10);
  SourceIdCache again = Run({"with space/a b.proto"});
  EXPECT_EQ(again.files_hashed(), 0);
  EXPECT_EQ(ids_["with space/a b.proto"], IdOfContent("one\n"));
}

TEST_F(SourceIdCacheTest, AFailedCommandDropsTheIndex) {
  Write(dir_.Sub("src/a.proto"), "one\n");
  SourceIdCache cache = Run({"a.proto"});
  ASSERT_TRUE(fs::exists(index_));
  cache.Drop();
  EXPECT_FALSE(fs::exists(index_));
}

TEST_F(SourceIdCacheTest, TheIndexHoldsOnlyTheFilesOfTheLastRun) {
  Write(dir_.Sub("src/a.proto"), "a\n");
  Write(dir_.Sub("src/b.proto"), "b\n");
  Run({"a.proto", "b.proto"});
  AgeFiles(10);
  fs::remove(dir_.Sub("src/b.proto"));
  Run({"a.proto"});
  const std::string text = ReadFileOrDie(index_);
  EXPECT_NE(text.find(" a.proto\n"), std::string::npos);
  EXPECT_EQ(text.find("b.proto"), std::string::npos) << text;
}

TEST_F(SourceIdCacheTest, AMissingFileIsAnErrorNotAnId) {
  SourceIdCache cache = SourceIdCache::Load(index_);
  EXPECT_FALSE(cache.IdOf("gone.proto", dir_.Sub("src/gone.proto")).ok());
}

TEST(SourceIdIndexPath, OneIndexPerDirectoryWhateverItsSpelling) {
  TempDir dir;
  const std::string cache = dir.Sub("cache");
  EXPECT_EQ(SourceIdIndexPath(cache, dir.Sub("src")),
            SourceIdIndexPath(cache, dir.Sub("src") + "/"));
  EXPECT_EQ(SourceIdIndexPath(cache, dir.Sub("src")),
            SourceIdIndexPath(cache, dir.Sub("x/../src")));
  EXPECT_NE(SourceIdIndexPath(cache, dir.Sub("src")), SourceIdIndexPath(cache, dir.Sub("other")));
  EXPECT_EQ(fs::path(SourceIdIndexPath(cache, dir.Sub("src"))).parent_path(), fs::path(cache));
}

}  // namespace
}  // namespace spoke
