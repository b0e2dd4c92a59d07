// CheckoutCache: an entry is served only while every file matches its listing; a listing from
// elsewhere never names a path outside the output directory; placing never writes through a hard
// link into the cache.
#include "spoke/checkout_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "test_support.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;
using testing::ReadFileOrDie;
using testing::TempDir;

const std::string kKey(64, 'a');
const std::string kOtherKey(64, 'b');

void Write(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

void Append(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << content;
}

// A well-formed listing of no files under `first_line`.
std::string EmptyListing(const std::string& first_line) {
  return first_line + "\nend 0 0 " + testing::Sha256HexOf(first_line + "\n") + "\n";
}

class CheckoutCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [path, content] : files_) Write(dir_.Sub("out/" + path), content);
    ASSERT_TRUE(cache_.Add(kKey, dir_.Sub("out"), Paths()).ok());
  }
  std::vector<std::string> Paths() const {
    std::vector<std::string> paths;
    for (const auto& [path, content] : files_) paths.push_back(path);
    return paths;
  }
  std::string ListingPath(const std::string& key) const {
    return dir_.Sub("cache/" + key.substr(0, 2) + "/" + key + ".files");
  }

  TempDir dir_;
  CheckoutCache cache_{dir_.Sub("cache")};
  std::map<std::string, std::string> files_ = {
      {"a/x.pb.h", "header\n"}, {"a/x.pb.cc", "source\n"}, {"top.py", ""}};
};

TEST_F(CheckoutCacheTest, ASymbolicLinkIsNeverCachedNorFollowed) {
  Write(dir_.Sub("secret"), "not for the output\n");
  std::filesystem::create_symlink(dir_.Sub("secret"), dir_.Sub("out2-link"));
  Write(dir_.Sub("out2/real.h"), "real\n");
  std::filesystem::create_symlink(dir_.Sub("secret"), dir_.Sub("out2/link.h"));
  EXPECT_FALSE(cache_.Add(kOtherKey, dir_.Sub("out2"), {"real.h", "link.h"}).ok());
  EXPECT_FALSE(cache_.Find(kOtherKey).has_value());
  // A cached file swapped for a link after Add: the entry is a miss.
  fs::remove(dir_.Sub("cache/aa/" + kKey + "/top.py"));
  std::filesystem::create_symlink(dir_.Sub("secret"), dir_.Sub("cache/aa/" + kKey + "/top.py"));
  EXPECT_FALSE(cache_.Find(kKey).has_value());
}

TEST_F(CheckoutCacheTest, AnAddedEntryIsFoundAndPlacedByteForByte) {
  auto entry = cache_.Find(kKey);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->files.size(), 3u);
  EXPECT_FALSE(cache_.Find(kOtherKey).has_value());
  ASSERT_TRUE(cache_.Place(*entry, dir_.Sub("placed"), PlaceMethod::kCopy).ok());
  for (const auto& [path, content] : files_) {
    EXPECT_EQ(ReadFileOrDie(dir_.Sub("placed/" + path)), content) << path;
    // A copy is a file of its own.
    EXPECT_EQ(fs::hard_link_count(dir_.Sub("placed/" + path)), 1u) << path;
  }
}

TEST_F(CheckoutCacheTest, AFileThatIsAlreadyTheEntrysOwnIsLeftAsItIs) {
  auto entry = cache_.Find(kKey);
  ASSERT_TRUE(entry.has_value());
  ASSERT_TRUE(cache_.Place(*entry, dir_.Sub("placed"), PlaceMethod::kHardLink).ok());
  // A stranger at one path, the entry's own file at the others.
  fs::remove(dir_.Sub("placed/top.py"));
  Write(dir_.Sub("placed/top.py"), "stale\n");
  struct stat before;
  ASSERT_EQ(::stat(dir_.Sub("placed/a/x.pb.h").c_str(), &before), 0);
  ASSERT_TRUE(cache_.Place(*entry, dir_.Sub("placed"), PlaceMethod::kCopy).ok());
  struct stat after;
  ASSERT_EQ(::stat(dir_.Sub("placed/a/x.pb.h").c_str(), &after), 0);
  // Not replaced by a copy: the same inode, with its mtime and ctime untouched.
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
  EXPECT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
  // The stranger was replaced, by a copy of its own.
  EXPECT_EQ(ReadFileOrDie(dir_.Sub("placed/top.py")), "");
  EXPECT_EQ(fs::hard_link_count(dir_.Sub("placed/top.py")), 1u);
  for (const auto& [path, content] : files_)
    EXPECT_EQ(ReadFileOrDie(dir_.Sub("placed/" + path)), content) << path;
}

TEST_F(CheckoutCacheTest, AFileWrittenThroughTheOutputsHardLinkMakesTheEntryAMiss) {
  // Add linked the output's files into the cache: writing one in place writes the cache's too.
  Append(dir_.Sub("out/a/x.pb.h"), "edited\n");
  EXPECT_FALSE(cache_.Find(kKey).has_value());
  // Adding again replaces the stale entry.
  ASSERT_TRUE(cache_.Add(kKey, dir_.Sub("out"), Paths()).ok());
  auto entry = cache_.Find(kKey);
  ASSERT_TRUE(entry.has_value());
  ASSERT_TRUE(cache_.Place(*entry, dir_.Sub("placed"), PlaceMethod::kCopy).ok());
  EXPECT_EQ(ReadFileOrDie(dir_.Sub("placed/a/x.pb.h")), "header\nedited\n");
}

TEST_F(CheckoutCacheTest, AVanishedFileOrAMissingListingIsAMiss) {
  fs::remove(dir_.Sub("out/top.py"));  // only the output's name: the cache's link stays
  EXPECT_TRUE(cache_.Find(kKey).has_value());
  fs::remove(dir_.Sub("cache/aa/" + kKey + "/top.py"));
  EXPECT_FALSE(cache_.Find(kKey).has_value());
  ASSERT_TRUE(cache_.Add(kOtherKey, dir_.Sub("out"), {"a/x.pb.h"}).ok());
  fs::remove(ListingPath(kOtherKey));
  EXPECT_FALSE(cache_.Find(kOtherKey).has_value());
}

TEST_F(CheckoutCacheTest, AListingNamingAPathOutsideTheOutputIsAMiss) {
  // Each bad path names a real file whose stat data the listing records truly, so only the path
  // check can turn the entry down.
  const std::string original = ReadFileOrDie(ListingPath(kKey));
  const std::string entry_dir = dir_.Sub("cache/aa/" + kKey);
  for (const std::string bad : {"../escape", "a/../../escape2", "/abs", "a//b", "./other.py"}) {
    SCOPED_TRACE(bad);
    const std::string file = entry_dir + "/" + bad;
    Write(file, "x");
    struct stat st;
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    const uint64_t mtime_ns =
        static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u + st.st_mtim.tv_nsec;
    const std::string body = "spoke-checkout 2 " + kKey + "\n1 " + std::to_string(mtime_ns) + " " +
                             std::to_string(st.st_ino) + " " + bad + "\n";
    Write(ListingPath(kKey), body + "end 1 1 " + testing::Sha256HexOf(body) + "\n");
    EXPECT_FALSE(cache_.Find(kKey).has_value());
  }
  // Cut at a line boundary (no trailer), a wrong count or checksum, another key or format.
  const std::string lines = original.substr(0, original.rfind("end "));
  const std::string first_two = lines.substr(0, lines.find('\n', lines.find('\n') + 1) + 1);
  for (const std::string& garbage :
       {std::string(), lines, first_two,
        first_two + "end 1 7 " + testing::Sha256HexOf(lines) + "\n",
        lines + "end 2 14 " + testing::Sha256HexOf(lines) + "\n",
        lines + "end 3 14 " + std::string(64, '0') + "\n",
        lines + "end 3 15 " + testing::Sha256HexOf(lines) + "\n",
        EmptyListing("spoke-checkout 2 " + kOtherKey), EmptyListing("spoke-checkout 1 " + kKey)}) {
    Write(ListingPath(kKey), garbage);
    EXPECT_FALSE(cache_.Find(kKey).has_value()) << garbage;
  }
  // The original listing itself is good: what the cases above changed is what turned them down.
  Write(ListingPath(kKey), original);
  EXPECT_TRUE(cache_.Find(kKey).has_value());
  EXPECT_FALSE(cache_.Find("../" + kKey.substr(3)).has_value());
}

TEST_F(CheckoutCacheTest, PlacingOverAHardLinkReplacesItInsteadOfWritingThroughIt) {
  auto entry = cache_.Find(kKey);
  ASSERT_TRUE(entry.has_value());
  ASSERT_TRUE(cache_.Place(*entry, dir_.Sub("linked"), PlaceMethod::kHardLink).ok());
  EXPECT_GE(fs::hard_link_count(dir_.Sub("linked/a/x.pb.h")), 2u);
  // Another artifact placed into the same directory must not change the first one's files.
  Write(dir_.Sub("out2/a/x.pb.h"), "another header\n");
  ASSERT_TRUE(cache_.Add(kOtherKey, dir_.Sub("out2"), {"a/x.pb.h"}).ok());
  auto other = cache_.Find(kOtherKey);
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(cache_.Place(*other, dir_.Sub("linked"), PlaceMethod::kCopy).ok());
  EXPECT_EQ(ReadFileOrDie(dir_.Sub("linked/a/x.pb.h")), "another header\n");
  ASSERT_TRUE(cache_.Find(kKey).has_value()) << "placing wrote through a hard link into the cache";
  ASSERT_TRUE(cache_.Place(*cache_.Find(kKey), dir_.Sub("again"), PlaceMethod::kCopy).ok());
  EXPECT_EQ(ReadFileOrDie(dir_.Sub("again/a/x.pb.h")), "header\n");
}

// A compile's stage becomes an entry by a rename: its files are then the entry's, placed as any.
TEST_F(CheckoutCacheTest, AStagedDirectoryIsAdoptedAsTheEntry) {
  auto stage = cache_.StartStage();
  ASSERT_TRUE(stage.ok()) << stage.status().ToString();
  Write(*stage + "/cpp/a.pb.h", "staged header\n");
  Write(*stage + "/cpp/b/c.pb.cc", "staged source\n");
  auto entry = cache_.Adopt(kOtherKey, *stage + "/cpp", {"b/c.pb.cc", "a.pb.h"});
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_FALSE(fs::exists(*stage + "/cpp")) << "the stage was copied, not moved";
  ASSERT_EQ(entry->files.size(), 2u);
  EXPECT_EQ(entry->files[0].path, "a.pb.h");
  ASSERT_TRUE(cache_.Place(*entry, dir_.Sub("placed"), PlaceMethod::kHardLink).ok());
  EXPECT_EQ(ReadFileOrDie(dir_.Sub("placed/b/c.pb.cc")), "staged source\n");
  EXPECT_TRUE(cache_.Find(kOtherKey).has_value());

  // Staged again under a key whose entry is intact: the entry is kept, the stage removed.
  Write(*stage + "/python/a.pb.h", "other bytes\n");
  auto again = cache_.Adopt(kOtherKey, *stage + "/python", {"a.pb.h"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->files.size(), 2u);
  EXPECT_FALSE(fs::exists(*stage + "/python"));

  // An artifact with no files (a plugin with nothing to say) is an entry too.
  const std::string empty_key(64, 'c');
  auto empty = cache_.Adopt(empty_key, *stage + "/go", {});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->files.empty());
  EXPECT_TRUE(cache_.Find(empty_key).has_value());
  cache_.DropStage(*stage);
  EXPECT_FALSE(fs::exists(*stage));
}

// Bounded like ccache's max_size: after an Add, the least recently used other entries go until
// the sizes fit; a hit (Find) counts as a use.
TEST(CheckoutCacheBound, TheLeastRecentlyUsedEntriesAreEvictedFirst) {
  TempDir dir;
  CheckoutCache cache(dir.Sub("cache"), 25);  // room for two 10-byte entries, not three
  const std::string keys[] = {std::string(64, '1'), std::string(64, '2'), std::string(64, '3'),
                              std::string(64, '4')};
  auto listing = [&](const std::string& key) {
    return dir.Sub("cache/" + key.substr(0, 2) + "/" + key + ".files");
  };
  auto add = [&](const std::string& key) {
    Write(dir.Sub("out-" + key + "/f.txt"), "0123456789");
    ASSERT_TRUE(cache.Add(key, dir.Sub("out-" + key), {"f.txt"}).ok());
  };
  // Uses one second apart, oldest first, whatever the file system clock's resolution.
  auto used_at = [&](const std::string& key, int seconds_ago) {
    fs::last_write_time(listing(key),
                        fs::file_time_type::clock::now() - std::chrono::seconds(seconds_ago));
  };
  add(keys[0]);
  add(keys[1]);
  used_at(keys[0], 30);
  used_at(keys[1], 20);
  ASSERT_TRUE(cache.Find(keys[0]).has_value());  // a hit: keys[0] is now the most recent
  add(keys[2]);
  EXPECT_TRUE(cache.Find(keys[0]).has_value());
  EXPECT_FALSE(cache.Find(keys[1]).has_value()) << "the least recently used entry stayed";
  EXPECT_TRUE(cache.Find(keys[2]).has_value());
  EXPECT_FALSE(fs::exists(dir.Sub("cache/22/" + keys[1]))) << "an evicted entry's files stayed";

  // An entry larger than the whole bound is still kept once made, alone.
  CheckoutCache tiny(dir.Sub("cache"), 5);
  Write(dir.Sub("out-big/f.txt"), "0123456789");
  ASSERT_TRUE(tiny.Add(keys[3], dir.Sub("out-big"), {"f.txt"}).ok());
  EXPECT_TRUE(tiny.Find(keys[3]).has_value());
  EXPECT_FALSE(tiny.Find(keys[0]).has_value());
  EXPECT_FALSE(tiny.Find(keys[2]).has_value());
}

}  // namespace
}  // namespace spoke
