// What a store does with a received pack that is hostile rather than merely broken: sizes and
// counts that would make it allocate, zlib bombs, objects `git fsck --strict` rejects (in packs of
// whole objects and in packs with deltas), refs to tags whose closure is incomplete, and packs read
// from a file. Each refusal must leave the store exactly as it was and clean for stock git.
#include <fcntl.h>
#include <git2.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "spoke/store.h"
#include "test_support.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using testing::AllRefs;
using testing::GitFsckStrict;
using testing::MakeRequest;
using testing::OneFile;
using testing::TempDir;

constexpr int kCommit = 1, kTree = 2, kBlob = 3, kTag = 4, kOfsDelta = 6, kRefDelta = 7;

std::string Be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string Sha1Raw(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha1(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string Hex(const std::string& raw) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

const char* TypeName(int type) {
  switch (type) {
    case kCommit:
      return "commit";
    case kTree:
      return "tree";
    case kBlob:
      return "blob";
    default:
      return "tag";
  }
}

// The raw 20-byte id git gives an object.
std::string RawId(int type, const std::string& content) {
  return Sha1Raw(std::string(TypeName(type)) + " " + std::to_string(content.size()) + '\0' +
                 content);
}
std::string HexId(int type, const std::string& content) { return Hex(RawId(type, content)); }

std::string Deflate(const std::string& content, int level = Z_DEFAULT_COMPRESSION) {
  uLongf size = compressBound(content.size());
  std::string out(size, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                      reinterpret_cast<const Bytef*>(content.data()), content.size(), level),
            Z_OK);
  out.resize(size);
  return out;
}

// A pack built entry by entry, free to lie: an entry's stated size need not be its content's.
class RawPack {
 public:
  // An entry of `type` stating `stated_size`, followed by `zlib` as its data; its pack offset.
  size_t AddRaw(int type, uint64_t stated_size, const std::string& zlib,
                const std::string& before_data = "") {
    size_t offset = 12 + body_.size();
    uint64_t size = stated_size;
    unsigned char byte = static_cast<unsigned char>((type << 4) | (size & 15));
    size >>= 4;
    while (size) {
      body_.push_back(static_cast<char>(byte | 0x80));
      byte = size & 0x7f;
      size >>= 7;
    }
    body_.push_back(static_cast<char>(byte));
    body_ += before_data;
    body_ += zlib;
    ++count_;
    return offset;
  }
  size_t Add(int type, const std::string& content) {
    return AddRaw(type, content.size(), Deflate(content));
  }
  // An offset delta against the entry at `base_offset` whose (uncompressed) data is `delta`.
  void AddDelta(size_t base_offset, const std::string& delta) {
    size_t offset = 12 + body_.size();
    uint64_t distance = offset - base_offset;
    std::string encoded(1, static_cast<char>(distance & 0x7f));
    while (distance >>= 7)
      encoded.insert(encoded.begin(), static_cast<char>(0x80 | (--distance & 0x7f)));
    AddRaw(kOfsDelta, delta.size(), Deflate(delta), encoded);
  }
  // A delta's data that rebuilds `result` from a base of `base_size` bytes by inserting it whole
  // (a delta needs no copy instruction to be valid).
  static std::string InsertDelta(uint64_t base_size, const std::string& result) {
    std::string delta = Varint(base_size) + Varint(result.size());
    for (size_t at = 0; at < result.size(); at += 127) {
      std::string part = result.substr(at, 127);
      delta.push_back(static_cast<char>(part.size()));
      delta += part;
    }
    return delta;
  }
  // The pack with `count` in its header (the true count unless told otherwise) and its checksum.
  std::string Finish(std::optional<uint32_t> count = std::nullopt) const {
    std::string pack = "PACK" + Be32(2) + Be32(count.value_or(count_)) + body_;
    return pack + Sha1Raw(pack);
  }

 private:
  static std::string Varint(uint64_t v) {
    std::string out;
    do {
      unsigned char byte = v & 0x7f;
      v >>= 7;
      if (v) byte |= 0x80;
      out.push_back(static_cast<char>(byte));
    } while (v);
    return out;
  }
  std::string body_;
  uint32_t count_ = 0;
};

// A tree entry: mode, name and the raw id it points at.
std::string Entry(const std::string& mode, const std::string& name, const std::string& raw_id) {
  return mode + " " + name + '\0' + raw_id;
}

const std::string kBlobContent = "syntax = \"proto3\";\n";
const std::string kIdent = "Forger <forger@example.com> 1700000000 +0000";

// The peak resident memory of this process since the last ResetPeakRss(), in bytes.
void ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}
uint64_t PeakRss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}
uint64_t CurrentRss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

class ReceivedPackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.Sub("dst"), /*create=*/true);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    dst_ = std::move(*store);
  }

  // Applies `pack` with no ref updates (a client receiving objects) and expects it refused as
  // corrupt with `because` in the message, the store unchanged and clean.
  void ExpectCorrupt(const std::string& pack, const std::string& because,
                     const std::vector<RefUpdate>& updates = {},
                     RefPolicy policy = RefPolicy::kMirror) {
    auto before = AllRefs(*dst_);
    auto applied = dst_->ApplyPack(pack, updates, policy);
    ASSERT_FALSE(applied.ok()) << "a hostile pack was applied";
    EXPECT_EQ(applied.status().code(), Status::Code::kCorruption) << applied.status().ToString();
    EXPECT_NE(applied.status().message().find(because), std::string::npos)
        << applied.status().ToString();
    EXPECT_EQ(AllRefs(*dst_), before);
    EXPECT_EQ(PackCount(), 0u) << "objects of a refused pack reached the store";
    EXPECT_TRUE(GitFsckStrict(dst_->path()));
  }

  // A version module@v1.0.0 of `files` in a source store (src_), the pack that carries it from
  // there as a client would send it (pack_), and the updates that publish it (updates_).
  void Prepare(const FileSet& files, const std::string& module = "m") {
    auto src = Store::Open(dir_.Sub("src"), true);
    ASSERT_TRUE(src.ok());
    src_ = std::move(*src);
    auto put = src_->PutVersion(MakeRequest(module, "v1.0.0", files));
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    version_ = put->version;
    auto pack = src_->BuildPack({version_.tag_id}, {}, nullptr);
    ASSERT_TRUE(pack.ok());
    pack_ = std::move(*pack);
    updates_ = {{VersionTagRef(module, "v1.0.0"), "", version_.tag_id},
                {ModuleBranchRef(module), "", version_.commit_id}};
  }

  size_t PackCount() const {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(dst_->path()) / "objects" / "pack", ec)) {
      if (e.path().extension() == ".pack") ++n;
    }
    return n;
  }

  TempDir dir_;
  std::unique_ptr<Store> dst_;
  std::unique_ptr<Store> src_;
  VersionInfo version_;
  std::string pack_;
  std::vector<RefUpdate> updates_;
};

// --- Sizes and counts the pack states ----------------------------------------------------------

TEST_F(ReceivedPackTest, AnEntryClaimingFortyEightMebibytesCostsNoMemoryBeforeItsBytesArrive) {
  // Within every bound, so the entry is inflated: its claim must not size any buffer.
  RawPack raw;
  raw.AddRaw(kBlob, uint64_t{48} << 20, Deflate("only a few bytes"));
  std::string pack = raw.Finish();
  ASSERT_LT(pack.size(), 200u);
  ResetPeakRss();
  const uint64_t before = CurrentRss();
  ExpectCorrupt(pack, "entry 0 inflates to 16 bytes, not the 50331648 it states");
  EXPECT_LT(PeakRss() - before, uint64_t{16} << 20) << "memory was sized by the entry's claim";
}

TEST_F(ReceivedPackTest, AnEntryClaimingHalfAGigabyteInATinyPackIsRefusedBeforeInflating) {
  RawPack raw;
  raw.AddRaw(kBlob, uint64_t{512} << 20, Deflate("only a few bytes"));
  ExpectCorrupt(raw.Finish(), "its objects inflate to more than 67112");
}

TEST_F(ReceivedPackTest, AnEntryClaimingMoreThanTheBlobLimitIsRefusedBeforeInflating) {
  RawPack raw;
  raw.AddRaw(kBlob, uint64_t{4} << 30, Deflate("x"));
  ExpectCorrupt(raw.Finish(), "over the limit of 1073741824");
}

TEST_F(ReceivedPackTest, ATreeClaimingMoreThanSixteenMebibytesIsRefusedBeforeInflating) {
  RawPack raw;
  raw.AddRaw(kTree, (uint64_t{16} << 20) + 1, Deflate("x"));
  ExpectCorrupt(raw.Finish(), "(a tree) states 16777217 bytes, over the limit of 16777216");
}

TEST_F(ReceivedPackTest, AHeaderClaimingFourBillionObjectsIsRefusedNotAllocated) {
  RawPack raw;
  raw.Add(kBlob, kBlobContent);
  ExpectCorrupt(raw.Finish(0xFFFFFFFFu), "its header states 4294967295 objects");
}

TEST_F(ReceivedPackTest, ACountOneHigherThanTheEntriesIsRefused) {
  RawPack raw;
  raw.Add(kBlob, kBlobContent);
  ExpectCorrupt(raw.Finish(2), "the pack ends after 1 of the 2 objects");
}

TEST_F(ReceivedPackTest, AZlibBombIsRefusedOnceItsInflatedSizePassesTheBound) {
  // 200 MiB of zeros deflate to about 200 KiB: far past 64 times the pack's size plus 64 MiB.
  const uint64_t size = uint64_t{200} << 20;
  z_stream zs{};
  ASSERT_EQ(deflateInit(&zs, Z_BEST_COMPRESSION), Z_OK);
  std::string zeros(1 << 20, '\0'), zlib;
  std::vector<unsigned char> out(1 << 16);
  for (uint64_t done = 0; done < size; done += zeros.size()) {
    zs.next_in = reinterpret_cast<Bytef*>(zeros.data());
    zs.avail_in = static_cast<uInt>(zeros.size());
    int flush = done + zeros.size() >= size ? Z_FINISH : Z_NO_FLUSH;
    do {
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      deflate(&zs, flush);
      zlib.append(reinterpret_cast<char*>(out.data()), out.size() - zs.avail_out);
    } while (zs.avail_out == 0);
  }
  deflateEnd(&zs);
  RawPack raw;
  raw.AddRaw(kBlob, size, zlib);
  ExpectCorrupt(raw.Finish(), "over the limit for a pack of its size");
}

TEST_F(ReceivedPackTest, AnEntryThatInflatesPastItsStatedSizeIsRefused) {
  RawPack raw;
  raw.AddRaw(kBlob, 3, Deflate("more than three bytes"));
  ExpectCorrupt(raw.Finish(), "inflates to more than the 3 bytes it states");
}

TEST_F(ReceivedPackTest, ADeltaRebuildingMoreThanTheBlobLimitIsRefused) {
  RawPack raw;
  size_t base = raw.Add(kBlob, kBlobContent);
  // Base size, then a result size of 2^32, then one inserted byte.
  raw.AddDelta(base, std::string(1, static_cast<char>(kBlobContent.size())) +
                         "\x80\x80\x80\x80\x10" + "\x01x");
  ExpectCorrupt(raw.Finish(), "rebuilds an object of 4294967296 bytes");
}

TEST_F(ReceivedPackTest, ADeltaWhoseBaseOffsetFallsInsideAnEntryIsRefused) {
  // libgit2 would read the bytes there as an entry header and allocate the size they claim.
  RawPack raw;
  size_t blob = raw.Add(kBlob, kBlobContent);
  raw.AddDelta(blob + 1, RawPack::InsertDelta(kBlobContent.size(), "other"));
  ExpectCorrupt(raw.Finish(), "entry 1 names a base at offset " + std::to_string(blob + 1) +
                                  ", where no entry starts");
}

TEST_F(ReceivedPackTest, ADeltaAgainstABaseNamedByIdIsRefused) {
  // A ref delta that rebuilds its own base: libgit2's indexer would loop on it without bound.
  RawPack raw;
  raw.Add(kBlob, kBlobContent);
  const std::string delta = RawPack::InsertDelta(kBlobContent.size(), kBlobContent);
  raw.AddRaw(kRefDelta, delta.size(), Deflate(delta), RawId(kBlob, kBlobContent));
  ExpectCorrupt(raw.Finish(), "entry 1 is a delta against a base named by id");
}

// --- git fsck's rules, and Spoke's ---------------------------------------------------------------

struct RuleCase {
  std::string name;  // the test's name
  int type;          // of the bad object
  std::string content;
  std::string rule;  // expected in the message
};

std::string BlobId() { return RawId(kBlob, kBlobContent); }
std::string GoodTree() { return Entry("100644", "a.proto", BlobId()); }
std::string CommitWith(const std::string& header, const std::string& body = "\nmessage\n") {
  return header + body;
}
std::string TreeLine() { return "tree " + HexId(kTree, GoodTree()) + "\n"; }

std::vector<RuleCase> RuleCases() {
  const std::string blob = BlobId();
  const std::string good_commit =
      CommitWith(TreeLine() + "author " + kIdent + "\ncommitter " + kIdent + "\n");
  const std::string commit_id = HexId(kCommit, good_commit);
  auto tag = [&](const std::string& header) { return header + "\nforged\n"; };
  const std::string object_line = "object " + commit_id + "\n";
  return {
      // Trees: names.
      {"DotGit", kTree, Entry("100644", ".git", blob), "hasDotgit"},
      {"DotGitInCapitals", kTree, Entry("100644", ".GIT", blob), "hasDotgit"},
      {"DotGitMixedCase", kTree, Entry("40000", ".GiT", RawId(kTree, GoodTree())), "hasDotgit"},
      {"DotGitWithHfsIgnorableCodePoint", kTree, Entry("100644", ".g\xe2\x80\x8cit", blob),
       "hasDotgit"},
      {"DotGitWithNtfsTrailingDot", kTree, Entry("100644", ".git.", blob), "hasDotgit"},
      {"DotGitWithNtfsTrailingSpaces", kTree, Entry("100644", ".git  ", blob), "hasDotgit"},
      {"NtfsShortNameOfDotGit", kTree, Entry("100644", "GIT~1", blob), "hasDotgit"},
      {"DotGitAfterABackslash", kTree, Entry("100644", "a\\.git", blob), "hasDotgit"},
      {"DotGitWithAnAlternateDataStream", kTree, Entry("100644", ".git::$INDEX_ALLOCATION", blob),
       "hasDotgit"},
      {"Dot", kTree, Entry("100644", ".", blob), "hasDot"},
      {"DotDot", kTree, Entry("40000", "..", RawId(kTree, GoodTree())), "hasDotdot"},
      {"EmptyName", kTree, Entry("100644", "", blob), "emptyName"},
      {"SlashInAName", kTree, Entry("100644", "a/b.proto", blob), "fullPathname"},
      {"NullId", kTree, Entry("100644", "a.proto", std::string(20, '\0')), "nullSha1"},
      {"DotGitmodules", kTree, Entry("100644", ".gitmodules", blob), "spokeDotGitFile"},
      {"NtfsShortNameOfDotGitmodules", kTree, Entry("100644", "GITMOD~1", blob), "spokeDotGitFile"},
      {"DotGitattributesInCapitals", kTree, Entry("100644", ".GITATTRIBUTES", blob),
       "spokeDotGitFile"},
      // Trees: modes and order.
      {"ZeroPaddedDirectoryMode", kTree, Entry("040000", "d", RawId(kTree, GoodTree())),
       "zeroPaddedFilemode"},
      {"ZeroPaddedFileMode", kTree, Entry("0100644", "a.proto", blob), "zeroPaddedFilemode"},
      {"GroupWritableMode", kTree, Entry("100664", "a.proto", blob), "badFilemode"},
      {"UnknownMode", kTree, Entry("100600", "a.proto", blob), "badFilemode"},
      {"NonOctalMode", kTree, Entry("10064x", "a.proto", blob), "badTree"},
      {"Symlink", kTree, Entry("120000", "a.proto", blob), "spokeSymlink"},
      {"Gitlink", kTree, Entry("160000", "sub", RawId(kCommit, good_commit)), "spokeGitlink"},
      {"DuplicateEntries", kTree,
       Entry("100644", "a.proto", blob) + Entry("100644", "a.proto", blob), "duplicateEntries"},
      {"FileAndDirectoryOfOneName", kTree,
       Entry("100644", "a", blob) + Entry("40000", "a", RawId(kTree, GoodTree())),
       "duplicateEntries"},
      {"UnsortedEntries", kTree,
       Entry("100644", "b.proto", blob) + Entry("100644", "a.proto", blob), "treeNotSorted"},
      {"DirectorySortedAsIfWithoutItsSlash", kTree,
       Entry("40000", "a", RawId(kTree, GoodTree())) + Entry("100644", "a.proto", blob),
       "treeNotSorted"},
      {"IdCutShort", kTree, std::string("100644 a.proto\0short", 20), "badTree"},
      {"MissingSpaceAfterMode", kTree, std::string("100644a.proto\0", 14) + blob, "badTree"},
      // Commits.
      {"CommitWithoutTree", kCommit,
       CommitWith("author " + kIdent + "\ncommitter " + kIdent + "\n"), "missingTree"},
      {"CommitWithShortTreeId", kCommit,
       CommitWith("tree 1234\nauthor " + kIdent + "\ncommitter " + kIdent + "\n"), "badTreeSha1"},
      {"CommitWithBadParent", kCommit,
       CommitWith(TreeLine() + "parent zz\nauthor " + kIdent + "\ncommitter " + kIdent + "\n"),
       "badParentSha1"},
      {"CommitWithoutAuthor", kCommit, CommitWith(TreeLine() + "committer " + kIdent + "\n"),
       "missingAuthor"},
      {"CommitWithTwoAuthors", kCommit,
       CommitWith(TreeLine() + "author " + kIdent + "\nauthor " + kIdent + "\ncommitter " + kIdent +
                  "\n"),
       "multipleAuthors"},
      {"CommitWithoutCommitter", kCommit, CommitWith(TreeLine() + "author " + kIdent + "\n"),
       "missingCommitter"},
      {"IdentWithoutName", kCommit,
       CommitWith(TreeLine() + "author <a@b> 1 +0000\ncommitter " + kIdent + "\n"),
       "missingNameBeforeEmail"},
      {"IdentWithoutEmail", kCommit,
       CommitWith(TreeLine() + "author Name 1 +0000\ncommitter " + kIdent + "\n"), "missingEmail"},
      {"IdentWithUnclosedEmail", kCommit,
       CommitWith(TreeLine() + "author Name <a@b 1 +0000\ncommitter " + kIdent + "\n"), "badEmail"},
      {"IdentWithNoSpaceBeforeEmail", kCommit,
       CommitWith(TreeLine() + "author Name<a@b> 1 +0000\ncommitter " + kIdent + "\n"),
       "missingSpaceBeforeEmail"},
      {"IdentWithABracketInTheName", kCommit,
       CommitWith(TreeLine() + "author Na>me <a@b> 1 +0000\ncommitter " + kIdent + "\n"),
       "badName"},
      {"IdentWithNoSpaceBeforeDate", kCommit,
       CommitWith(TreeLine() + "author Name <a@b>1 +0000\ncommitter " + kIdent + "\n"),
       "missingSpaceBeforeDate"},
      {"IdentWithZeroPaddedDate", kCommit,
       CommitWith(TreeLine() + "author Name <a@b> 0123 +0000\ncommitter " + kIdent + "\n"),
       "zeroPaddedDate"},
      {"IdentWithOverflowingDate", kCommit,
       CommitWith(TreeLine() + "author Name <a@b> 99999999999999999999 +0000\ncommitter " + kIdent +
                  "\n"),
       "badDateOverflow"},
      {"IdentWithLettersForADate", kCommit,
       CommitWith(TreeLine() + "author Name <a@b> soon +0000\ncommitter " + kIdent + "\n"),
       "badDate"},
      {"IdentWithBadTimeZone", kCommit,
       CommitWith(TreeLine() + "author Name <a@b> 1 +00\ncommitter " + kIdent + "\n"),
       "badTimezone"},
      {"NulInCommitHeader", kCommit,
       CommitWith(TreeLine() + "author " + kIdent + "\ncommitter " + kIdent + "\nx\0y\n"s),
       "nulInHeader"},
      {"NulInCommitBody", kCommit,
       CommitWith(TreeLine() + "author " + kIdent + "\ncommitter " + kIdent + "\n",
                  std::string("\nbody\0more\n", 11)),
       "nulInCommit"},
      {"UnterminatedCommitHeader", kCommit,
       TreeLine() + "author " + kIdent + "\ncommitter " + kIdent, "unterminatedHeader"},
      // Tags.
      {"TagWithoutObject", kTag, tag("type commit\ntag t\ntagger " + kIdent + "\n"),
       "missingObject"},
      {"TagWithBadObjectId", kTag, tag("object 12\ntype commit\ntag t\ntagger " + kIdent + "\n"),
       "badObjectSha1"},
      {"TagWithoutType", kTag, tag(object_line + "tag t\ntagger " + kIdent + "\n"),
       "missingTypeEntry"},
      {"TagOfUnknownType", kTag, tag(object_line + "type pointer\ntag t\ntagger " + kIdent + "\n"),
       "badType"},
      {"TagWithoutName", kTag, tag(object_line + "type commit\ntagger " + kIdent + "\n"),
       "missingTagEntry"},
      {"TagWithBadTagger", kTag, tag(object_line + "type commit\ntag t\ntagger nobody\n"),
       "missingEmail"},
      {"NulInTagHeader", kTag, tag(object_line + "type commit\ntag t\0\ntagger "s + kIdent + "\n"),
       "nulInHeader"},
  };
}

class FsckRule : public ReceivedPackTest, public ::testing::WithParamInterface<RuleCase> {};

// The bad object rides with the objects it names, so only its own form is wrong.
std::string PackWithSupport(int bad_type, const std::string& bad_content) {
  const std::string good_commit =
      CommitWith(TreeLine() + "author " + kIdent + "\ncommitter " + kIdent + "\n");
  RawPack raw;
  raw.Add(kBlob, kBlobContent);
  raw.Add(kTree, GoodTree());
  raw.Add(kCommit, good_commit);
  raw.Add(bad_type, bad_content);
  return raw.Finish();
}

TEST_P(FsckRule, IsRefusedNamingTheObjectAndTheRule) {
  const RuleCase& c = GetParam();
  ExpectCorrupt(PackWithSupport(c.type, c.content), HexId(c.type, c.content) + ": " + c.rule);
}

INSTANTIATE_TEST_SUITE_P(Objects, FsckRule, ::testing::ValuesIn(RuleCases()),
                         [](const ::testing::TestParamInfo<RuleCase>& param_info) {
                           return param_info.param.name;
                         });

TEST_F(ReceivedPackTest, WellFormedObjectsOfEveryKindAreAccepted) {
  // The control for the table above: the supporting objects alone, a tree with an executable file,
  // names that only look like git's, and a tag, all pass.
  const std::string blob = BlobId();
  const std::string tree = Entry("100644", ".github", blob) + Entry("100755", "a.proto", blob) +
                           Entry("40000", "d", RawId(kTree, GoodTree())) +
                           Entry("100644", "git~2", blob) + Entry("100644", "x.git", blob);
  const std::string commit =
      CommitWith(TreeLine() + "author " + kIdent + "\ncommitter " + kIdent + "\n");
  const std::string tag = "object " + HexId(kCommit, commit) +
                          "\ntype commit\ntag m/v1.0.0\ntagger " + kIdent + "\n\nok\n";
  RawPack raw;
  raw.Add(kBlob, kBlobContent);
  raw.Add(kTree, GoodTree());
  raw.Add(kTree, tree);
  raw.Add(kCommit, commit);
  raw.Add(kTag, tag);
  auto applied = dst_->ApplyPack(raw.Finish(), {}, RefPolicy::kMirror);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_TRUE(dst_->HasObject(HexId(kTree, tree)));
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

TEST_F(ReceivedPackTest, ATreeEntryNamingATreeAsAFileIsRefused) {
  RawPack raw;
  raw.Add(kBlob, kBlobContent);
  raw.Add(kTree, GoodTree());
  raw.Add(kTree, Entry("100644", "f.proto", RawId(kTree, GoodTree())));
  ExpectCorrupt(raw.Finish(), "as a blob, but it is a tree");
}

TEST_F(ReceivedPackTest, AnObjectGitRejectsIsRefusedInAPackWithDeltasToo) {
  // libgit2's indexer resolves the delta; the rebuilt tree is then checked like any other.
  const std::string base = GoodTree();
  const std::string bad = Entry("100644", ".git", BlobId());
  RawPack raw;
  raw.Add(kBlob, kBlobContent);
  size_t base_offset = raw.Add(kTree, base);
  raw.AddDelta(base_offset, RawPack::InsertDelta(base.size(), bad));
  ExpectCorrupt(raw.Finish(), HexId(kTree, bad) + ": hasDotgit");
}

TEST_F(ReceivedPackTest, AWellFormedPackWithDeltasIsAccepted) {
  const std::string base = GoodTree();
  const std::string other = Entry("100644", "b.proto", BlobId());
  RawPack raw;
  raw.Add(kBlob, kBlobContent);
  size_t base_offset = raw.Add(kTree, base);
  raw.AddDelta(base_offset, RawPack::InsertDelta(base.size(), other));
  auto applied = dst_->ApplyPack(raw.Finish(), {}, RefPolicy::kMirror);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_TRUE(dst_->HasObject(HexId(kTree, other)));
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

// --- Closures ----------------------------------------------------------------------------------

// Copies every object of `from` into `to` as loose objects, except those in `skip`.
void CopyObjects(const Store& from, const Store& to, const std::set<std::string>& skip) {
  git_odb* src = nullptr;
  git_odb* dst = nullptr;
  ASSERT_EQ(git_odb_open(&src, (fs::path(from.path()) / "objects").c_str()), 0);
  ASSERT_EQ(git_odb_open(&dst, (fs::path(to.path()) / "objects").c_str()), 0);
  struct State {
    git_odb* src;
    git_odb* dst;
    const std::set<std::string>* skip;
  } state{src, dst, &skip};
  git_odb_foreach(
      src,
      [](const git_oid* id, void* payload) -> int {
        auto* s = static_cast<State*>(payload);
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof(hex), id);
        if (s->skip->count(hex)) return 0;
        git_odb_object* obj = nullptr;
        if (git_odb_read(&obj, s->src, id) != 0) return -1;
        git_oid written;
        git_odb_write(&written, s->dst, git_odb_object_data(obj), git_odb_object_size(obj),
                      git_odb_object_type(obj));
        git_odb_object_free(obj);
        return 0;
      },
      &state);
  git_odb_free(src);
  git_odb_free(dst);
}

TEST_F(ReceivedPackTest, ATagAlreadyInTheStoreWithoutItsFilesCannotBePublishedByAnEmptyPack) {
  // The state a crash of an older Spoke could leave: a version's tag, commit and trees are in the
  // store, its files are not, and no ref reaches any of it.
  Prepare(OneFile("one"));
  if (HasFatalFailure()) return;
  auto ids = src_->ListFileIds(version_);
  ASSERT_TRUE(ids.ok());
  std::set<std::string> files;
  for (const auto& [path, id] : *ids) files.insert(id);
  CopyObjects(*src_, *dst_, files);
  ASSERT_TRUE(dst_->HasObject(version_.tag_id));
  EXPECT_FALSE(dst_->HasCompleteClosure(version_.tag_id));
  EXPECT_TRUE(src_->HasCompleteClosure(version_.tag_id));

  for (RefPolicy policy : {RefPolicy::kStrict, RefPolicy::kMirror}) {
    auto applied = dst_->ApplyPack("", updates_, policy);
    ASSERT_FALSE(applied.ok()) << "a version without its files was published";
    EXPECT_EQ(applied.status().code(), Status::Code::kCorruption) << applied.status().ToString();
    EXPECT_TRUE(AllRefs(*dst_).empty());
  }
  // Once the files come, the same updates publish it.
  auto applied = dst_->ApplyPack(pack_, updates_, RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_TRUE(dst_->HasCompleteClosure(version_.tag_id));
  auto got = dst_->GetVersion("m", "v1.0.0");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(dst_->ReadFiles(*got).ok());
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

// --- Where received objects land --------------------------------------------------------------

TEST_F(ReceivedPackTest, ASmallPackLandsWholeAsOnePackFileSoItsObjectsAppearTogether) {
  Prepare(OneFile("x"), "small");
  if (HasFatalFailure()) return;
  auto applied = dst_->ApplyPack(pack_, updates_, RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(PackCount(), 1u);
  const std::string tag = version_.tag_id;
  EXPECT_FALSE(fs::exists(fs::path(dst_->path()) / "objects" / tag.substr(0, 2) / tag.substr(2)));
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

// --- Packs in files ----------------------------------------------------------------------------

class PackFileTest : public ReceivedPackTest {
 protected:
  void Write(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    ASSERT_TRUE(out.good());
  }
  void ExpectPublished() {
    auto got = dst_->GetVersion("m", "v1.0.0");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(dst_->ReadFiles(*got).ok());
    EXPECT_TRUE(GitFsckStrict(dst_->path()));
  }
};

TEST_F(PackFileTest, APackAfterAHeaderLineInAnIncomingFileIsApplied) {
  Prepare(OneFile("offset"));
  auto incoming = dst_->CreateIncomingFile();
  ASSERT_TRUE(incoming.ok()) << incoming.status().ToString();
  const std::string header = "{\"protocol\": 1}\n";
  Write((*incoming)->path(), header + pack_);
  auto applied =
      dst_->ApplyPackFile((*incoming)->path(), header.size(), updates_, RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ExpectPublished();
  EXPECT_TRUE(fs::exists((*incoming)->path())) << "the caller's file is the caller's to remove";
  const std::string dir = fs::path((*incoming)->path()).parent_path().string();
  incoming->reset();
  EXPECT_FALSE(fs::exists(dir)) << "an incoming file's directory outlived it";
}

TEST_F(PackFileTest, APackThatIsTheWholeFileBecomesTheStoredPackWithoutACopy) {
  Prepare(OneFile("whole"));
  auto incoming = dst_->CreateIncomingFile();
  ASSERT_TRUE(incoming.ok());
  Write((*incoming)->path(), pack_);
  struct stat before {};
  ASSERT_EQ(::stat((*incoming)->path().c_str(), &before), 0);
  auto applied = dst_->ApplyPackFile((*incoming)->path(), 0, updates_, RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ExpectPublished();
  bool same_inode = false;
  for (const auto& e : fs::directory_iterator(fs::path(dst_->path()) / "objects" / "pack")) {
    struct stat st {};
    if (e.path().extension() == ".pack" && ::stat(e.path().c_str(), &st) == 0 &&
        st.st_ino == before.st_ino) {
      same_inode = true;
    }
  }
  EXPECT_TRUE(same_inode) << "the stored pack is a copy of the incoming file";
}

TEST_F(PackFileTest, AnOffsetPastTheEndIsInvalidAndAnOffsetAtTheEndIsAnEmptyPack) {
  Prepare(OneFile("end"));
  const std::string path = dir_.Sub("body");
  Write(path, "header\n");
  auto past = dst_->ApplyPackFile(path, 8, updates_, RefPolicy::kStrict);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), Status::Code::kInvalidArgument) << past.status().ToString();
  auto at_end = dst_->ApplyPackFile(path, 7, updates_, RefPolicy::kStrict);
  ASSERT_FALSE(at_end.ok()) << "an empty pack published objects the store does not have";
  EXPECT_EQ(at_end.status().code(), Status::Code::kCorruption) << at_end.status().ToString();
  EXPECT_TRUE(AllRefs(*dst_).empty());
}

TEST_F(PackFileTest, ALargePackInAFileIsAppliedWithoutHoldingItInMemory) {
  // 48 MiB of random letters, some 32 MiB packed: applying the pack must not grow this process by
  // anything like that (read in pieces, no blob held, the file never copied in memory).
  std::mt19937_64 rng(7);
  FileSet files;
  for (int i = 0; i < 48; ++i) {
    std::string content(1 << 20, '\0');
    for (auto& c : content) c = static_cast<char>('a' + rng() % 26);
    files["big/f" + std::to_string(i) + ".proto"] = std::move(content);
  }
  Prepare(files);
  files.clear();
  const std::string path = dir_.Sub("body");
  const std::string header = "{}\n";
  Write(path, header + pack_);
  const size_t pack_size = pack_.size();
  ASSERT_GT(pack_size, size_t{30} << 20);
  std::string().swap(pack_);
  ResetPeakRss();
  const uint64_t before = CurrentRss();
  auto applied = dst_->ApplyPackFile(path, header.size(), updates_, RefPolicy::kStrict);
  [[maybe_unused]] const uint64_t growth = PeakRss() - before;
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
#if !defined(__SANITIZE_ADDRESS__)  // ASan's quarantine of freed blocks counts in the RSS
  EXPECT_LT(growth, pack_size / 2) << "applying the pack held it in memory";
#endif
  ExpectPublished();
}

// --- Quarantines of dead and live processes ------------------------------------------------------

TEST_F(ReceivedPackTest, OpeningAStoreSweepsQuarantinesOfDeadProcessesButNotOfLiveOnes) {
  const fs::path incoming = fs::path(dst_->path()) / "spoke-incoming";
  fs::create_directories(incoming / "q-dead" / "sub");
  fs::create_directories(incoming / "q-live");
  fs::create_directories(incoming / "n-old");
  fs::create_directories(incoming / "n-young");
  fs::create_directories(incoming / "someone-elses");
  fs::last_write_time(incoming / "n-old",
                      fs::file_time_type::clock::now() - std::chrono::minutes(5));
  // A quarantine another process holds: its lock is taken through a descriptor of its own.
  int live = ::open((incoming / "q-live").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(live, 0);
  ASSERT_EQ(::flock(live, LOCK_EX), 0);
  ASSERT_TRUE(Store::Open(dst_->path(), false).ok());
  EXPECT_FALSE(fs::exists(incoming / "q-dead")) << "a dead process's quarantine was kept";
  EXPECT_TRUE(fs::exists(incoming / "q-live")) << "a live process's quarantine was removed";
  EXPECT_FALSE(fs::exists(incoming / "n-old"));
  EXPECT_TRUE(fs::exists(incoming / "n-young")) << "a quarantine being made was removed";
  EXPECT_TRUE(fs::exists(incoming / "someone-elses"));
  ::close(live);
  ASSERT_TRUE(Store::Open(dst_->path(), false).ok());
  EXPECT_FALSE(fs::exists(incoming / "q-live")) << "the quarantine outlived its process's lock";
}

TEST_F(ReceivedPackTest, ASnapshotThatIsNeverFinishedLeavesNoObjectBehind) {
  // A compile that fails: its files were added and settled, but no snapshot was finished.
  const auto objects = [&] {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(dst_->path()) / "objects")) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  };
  const size_t before = objects();
  {
    auto writer = dst_->StartSnapshot();
    ASSERT_TRUE(writer.ok());
    std::vector<std::string> contents;
    for (int i = 0; i < 20; ++i) contents.push_back("generated " + std::to_string(i) + "\n");
    for (int i = 0; i < 20; ++i) (*writer)->Add("out/f" + std::to_string(i) + ".h", contents[i]);
    ASSERT_TRUE((*writer)->Settle().ok());
  }
  EXPECT_EQ(objects(), before) << "an unfinished snapshot left objects in the store";
  std::error_code ec;
  EXPECT_TRUE(!fs::exists(fs::path(dst_->path()) / "spoke-incoming") ||
              fs::is_empty(fs::path(dst_->path()) / "spoke-incoming", ec));
}

TEST_F(ReceivedPackTest, ASnapshotSettledThenFinishedKeepsTheContentItHeldBack) {
  // Settle() copies what it holds back, so the caller may free its strings before Finish().
  std::string commit;
  {
    auto writer = dst_->StartSnapshot();
    ASSERT_TRUE(writer.ok());
    {
      std::string content = "held back\n";
      (*writer)->Add("out/a.h", content);
      ASSERT_TRUE((*writer)->Settle().ok());
      content.assign(content.size(), 'X');
    }
    auto finished = (*writer)->Finish("artifact\n");
    ASSERT_TRUE(finished.ok()) << finished.status().ToString();
    commit = *finished;
  }
  auto files = dst_->ReadSnapshot(commit);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->at("out/a.h"), "held back\n");
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

// --- Ref transactions cut short -----------------------------------------------------------------

// The journal a process killed between the two refs of a push leaves: the branch already moved,
// the tag not yet written.
void WriteDeadJournal(const Store& store, const VersionInfo& v, const std::string& name) {
  fs::create_directories(fs::path(store.path()) / "spoke-journal");
  std::ofstream out(fs::path(store.path()) / "spoke-journal" / name);
  out << "spoke-ref-journal 1\n"
      << "ref " << ModuleBranchRef(v.module) << " - " << v.commit_id << " 1\n"
      << "ref " << VersionTagRef(v.module, v.version) << " - " << v.tag_id << " 2\n"
      << "end 2\n";
}

TEST_F(ReceivedPackTest, ATransactionCutShortByACrashIsCompletedAtTheNextOpen) {
  Prepare(OneFile("one"));
  if (HasFatalFailure()) return;
  ASSERT_TRUE(dst_->ApplyPack(pack_, {}, RefPolicy::kMirror).ok());  // the objects, no refs
  ASSERT_TRUE(dst_->UpdateRefs({{ModuleBranchRef("m"), "", version_.commit_id}}).ok());
  WriteDeadJournal(*dst_, version_, "j-1");
  ASSERT_TRUE(dst_->ResolveRef(VersionTagRef("m", "v1.0.0")).value().empty());

  auto reopened = Store::Open(dst_->path(), false);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->ResolveRef(VersionTagRef("m", "v1.0.0")).value(), version_.tag_id)
      << "the interrupted transaction was not completed";
  EXPECT_EQ((*reopened)->ResolveRef(ModuleBranchRef("m")).value(), version_.commit_id);
  EXPECT_TRUE(fs::is_empty(fs::path(dst_->path()) / "spoke-journal"));
  EXPECT_TRUE((*reopened)->GetVersion("m", "v1.0.0").ok());
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

TEST_F(ReceivedPackTest, ATransactionOfALiveProcessIsLeftToIt) {
  Prepare(OneFile("one"));
  if (HasFatalFailure()) return;
  ASSERT_TRUE(dst_->ApplyPack(pack_, {}, RefPolicy::kMirror).ok());
  WriteDeadJournal(*dst_, version_, "j-2");
  int live = ::open((fs::path(dst_->path()) / "spoke-journal" / "j-2").c_str(), O_RDONLY);
  ASSERT_GE(live, 0);
  ASSERT_EQ(::flock(live, LOCK_EX), 0);
  ASSERT_TRUE(Store::Open(dst_->path(), false).ok());
  EXPECT_TRUE(AllRefs(*dst_).empty()) << "another process's transaction was completed under it";
  EXPECT_TRUE(fs::exists(fs::path(dst_->path()) / "spoke-journal" / "j-2"));
  ::close(live);
}

// Completing a dead transaction takes its refs' lock files, which a live writer holding
// spoke-refs.lock would take for a dead writer's and remove: so it is left for a later open.
TEST_F(ReceivedPackTest, ATransactionCutShortWaitsWhileAnotherWriterHoldsTheRefWriterLock) {
  Prepare(OneFile("one"));
  if (HasFatalFailure()) return;
  ASSERT_TRUE(dst_->ApplyPack(pack_, {}, RefPolicy::kMirror).ok());
  ASSERT_TRUE(dst_->UpdateRefs({{ModuleBranchRef("m"), "", version_.commit_id}}).ok());
  WriteDeadJournal(*dst_, version_, "j-3");
  int writer = ::open((fs::path(dst_->path()) / "spoke-refs.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(writer, 0);
  ASSERT_EQ(::flock(writer, LOCK_EX), 0);
  ASSERT_TRUE(Store::Open(dst_->path(), false).ok());
  EXPECT_TRUE(dst_->ResolveRef(VersionTagRef("m", "v1.0.0")).value().empty())
      << "completed under a live writer";
  EXPECT_FALSE(fs::exists(fs::path(dst_->path()) / (VersionTagRef("m", "v1.0.0") + ".lock")));
  EXPECT_TRUE(fs::exists(fs::path(dst_->path()) / "spoke-journal" / "j-3"));
  ::close(writer);

  auto reopened = Store::Open(dst_->path(), false);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->ResolveRef(VersionTagRef("m", "v1.0.0")).value(), version_.tag_id);
  EXPECT_TRUE(fs::is_empty(fs::path(dst_->path()) / "spoke-journal"));
}

// A ref's lock file is a dead writer's only when no live writer holds spoke-refs.lock: the
// start-up sweep (Store::RemoveStaleRefLocks) removes it then, and leaves it otherwise.
TEST_F(ReceivedPackTest, StaleRefLocksAreSweptOnlyWhenNoWriterHoldsTheRefWriterLock) {
  Prepare(OneFile("one"));
  if (HasFatalFailure()) return;
  const fs::path git_dir = dst_->path();
  const fs::path lock = git_dir / (ModuleBranchRef("m") + ".lock");
  fs::create_directories(lock.parent_path());
  std::ofstream(lock) << "left by a writer\n";
  std::ofstream(git_dir / "packed-refs.lock") << "";

  int writer = ::open((git_dir / "spoke-refs.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(writer, 0);
  ASSERT_EQ(::flock(writer, LOCK_EX), 0);
  ASSERT_TRUE(dst_->RemoveStaleRefLocks().ok());
  EXPECT_TRUE(fs::exists(lock)) << "a live writer's lock was removed";
  EXPECT_TRUE(fs::exists(git_dir / "packed-refs.lock"));
  ::close(writer);

  ASSERT_TRUE(dst_->RemoveStaleRefLocks().ok());
  EXPECT_FALSE(fs::exists(lock));
  EXPECT_FALSE(fs::exists(git_dir / "packed-refs.lock"));
  // The ref it locked can be written again.
  ASSERT_TRUE(dst_->ApplyPack(pack_, {}, RefPolicy::kMirror).ok());
  EXPECT_TRUE(dst_->UpdateRefs({{ModuleBranchRef("m"), "", version_.commit_id}}).ok());
}

TEST_F(ReceivedPackTest, AFinishedTransactionLeavesNoJournal) {
  Prepare(OneFile("one"));
  if (HasFatalFailure()) return;
  auto applied = dst_->ApplyPack(pack_, updates_, RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(fs::path(dst_->path()) / "spoke-journal", ec));
  EXPECT_FALSE(ec) << "a two-ref transaction wrote no journal";
}

}  // namespace
}  // namespace spoke
