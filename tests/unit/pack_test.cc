// Packs between stores: BuildPack and ApplyPack under both ref policies, delta packs, and every way
// a received pack can lie. After each rejection the target store must be exactly as before: same
// refs, no new objects, and stock `git fsck --strict` content with it.
#include <git2.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "spoke/json.h"
#include "spoke/manifest.h"
#include "spoke/store.h"
#include "test_support.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;
using testing::AllRefs;
using testing::GitFsckStrict;
using testing::MakeRequest;
using testing::OneFile;
using testing::TempDir;

std::string Hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof(buf), &oid);
  return buf;
}

// A version 2 pack holding `objects` (type, content) as whole entries, with a correct checksum:
// for the lies only a content check can catch.
std::string HandMadePack(const std::vector<std::pair<int, std::string>>& objects) {
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  std::string pack = "PACK" + be32(2) + be32(static_cast<uint32_t>(objects.size()));
  for (const auto& [type, content] : objects) {
    uint64_t size = content.size();
    unsigned char byte = static_cast<unsigned char>((type << 4) | (size & 15));
    size >>= 4;
    while (size) {
      pack.push_back(static_cast<char>(byte | 0x80));
      byte = size & 0x7f;
      size >>= 7;
    }
    pack.push_back(static_cast<char>(byte));
    uLongf compressed_size = compressBound(content.size());
    std::string compressed(compressed_size, '\0');
    EXPECT_EQ(compress(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
                       reinterpret_cast<const Bytef*>(content.data()), content.size()),
              Z_OK);
    pack.append(compressed, 0, compressed_size);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(pack.data(), pack.size(), digest, &length, EVP_sha1(), nullptr);
  pack.append(reinterpret_cast<const char*>(digest), length);
  return pack;
}

// `count` files of `size` incompressible bytes each, the same for the same seed.
FileSet RandomFiles(int count, size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  FileSet files;
  for (int i = 0; i < count; ++i) {
    std::string content = "syntax = \"proto3\";\n// ";
    while (content.size() < size) content.push_back(static_cast<char>('a' + rng() % 26));
    files["gen/file_" + std::to_string(i) + ".proto"] = content + "\n";
  }
  return files;
}

// A scratch bare repository written with libgit2 directly, to forge objects Spoke would never make.
class ScratchRepo {
 public:
  explicit ScratchRepo(const std::string& path) {
    git_libgit2_init();
    EXPECT_EQ(git_repository_init(&repo_, path.c_str(), /*is_bare=*/1), 0);
    EXPECT_EQ(git_signature_new(&sig_, "Forger", "forger@example.com", 1700000000, 0), 0);
  }
  ~ScratchRepo() {
    git_signature_free(sig_);
    git_repository_free(repo_);
    git_libgit2_shutdown();
  }
  ScratchRepo(const ScratchRepo&) = delete;
  ScratchRepo& operator=(const ScratchRepo&) = delete;

  git_oid Blob(const std::string& content) {
    git_oid id;
    EXPECT_EQ(git_blob_create_from_buffer(&id, repo_, content.data(), content.size()), 0);
    return id;
  }

  // A flat tree of blobs: name -> content.
  git_oid Tree(const std::map<std::string, std::string>& entries) {
    git_treebuilder* builder = nullptr;
    EXPECT_EQ(git_treebuilder_new(&builder, repo_, nullptr), 0);
    for (const auto& [name, content] : entries) {
      git_oid blob = Blob(content);
      EXPECT_EQ(git_treebuilder_insert(nullptr, builder, name.c_str(), &blob, GIT_FILEMODE_BLOB), 0)
          << name;
    }
    git_oid id;
    EXPECT_EQ(git_treebuilder_write(&id, builder), 0);
    git_treebuilder_free(builder);
    return id;
  }

  // A tree written byte by byte, bypassing libgit2's checks on entry names. `entries` are
  // (mode, name, id) in git's tree order.
  git_oid RawTree(const std::vector<std::tuple<std::string, std::string, git_oid>>& entries) {
    std::string body;
    for (const auto& [mode, name, id] : entries) {
      body += mode + " " + name + '\0';
      body.append(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ);
    }
    git_odb* odb = nullptr;
    EXPECT_EQ(git_repository_odb(&odb, repo_), 0);
    git_oid id;
    EXPECT_EQ(git_odb_write(&id, odb, body.data(), body.size(), GIT_OBJECT_TREE), 0);
    git_odb_free(odb);
    return id;
  }

  git_oid Commit(const git_oid& tree_id, const std::string& message,
                 const git_oid* parent_id = nullptr) {
    git_tree* tree = nullptr;
    EXPECT_EQ(git_tree_lookup(&tree, repo_, &tree_id), 0);
    git_commit* parent = nullptr;
    if (parent_id) {
      EXPECT_EQ(git_commit_lookup(&parent, repo_, parent_id), 0);
    }
    const git_commit* parents[1] = {parent};
    git_oid id;
    EXPECT_EQ(git_commit_create(&id, repo_, nullptr, sig_, sig_, "UTF-8", message.c_str(), tree,
                                parent ? 1 : 0, parents),
              0);
    git_commit_free(parent);
    git_tree_free(tree);
    return id;
  }

  git_oid Tag(const std::string& name, const git_oid& target_id, const std::string& message) {
    git_object* target = nullptr;
    EXPECT_EQ(git_object_lookup(&target, repo_, &target_id, GIT_OBJECT_ANY), 0);
    git_oid id;
    EXPECT_EQ(git_tag_annotation_create(&id, repo_, name.c_str(), target, sig_, message.c_str()),
              0);
    git_object_free(target);
    return id;
  }

  // A pack of `tags` and `commits` with everything their commits' trees hold (no parents).
  // The closure of `tags` and `commits` as one pack of whole objects, as Spoke writes them (a
  // receiver refuses deltas against bases named by id, which libgit2's packbuilder writes).
  std::string Pack(const std::vector<git_oid>& tags, const std::vector<git_oid>& commits) {
    std::set<std::string> seen;
    std::vector<std::pair<int, std::string>> objects;
    for (const auto& id : tags) AddClosure(id, &seen, &objects);
    for (const auto& id : commits) AddClosure(id, &seen, &objects);
    return HandMadePack(objects);
  }

 private:
  // Appends `id` and every object it reaches (a tag's target, a commit's tree and parents, a
  // tree's entries) that is not in `seen`.
  void AddClosure(const git_oid& id, std::set<std::string>* seen,
                  std::vector<std::pair<int, std::string>>* objects) {
    if (!seen->insert(Hex(id)).second) return;
    git_odb* odb = nullptr;
    ASSERT_EQ(git_repository_odb(&odb, repo_), 0);
    git_odb_object* raw = nullptr;
    ASSERT_EQ(git_odb_read(&raw, odb, &id), 0);
    const git_object_t type = git_odb_object_type(raw);
    objects->emplace_back(type, std::string(static_cast<const char*>(git_odb_object_data(raw)),
                                            git_odb_object_size(raw)));
    git_odb_object_free(raw);
    git_odb_free(odb);
    git_object* object = nullptr;
    ASSERT_EQ(git_object_lookup(&object, repo_, &id, GIT_OBJECT_ANY), 0);
    std::vector<git_oid> next;
    if (type == GIT_OBJECT_TAG) {
      next.push_back(*git_tag_target_id(reinterpret_cast<git_tag*>(object)));
    } else if (type == GIT_OBJECT_COMMIT) {
      auto* commit = reinterpret_cast<git_commit*>(object);
      next.push_back(*git_commit_tree_id(commit));
      for (unsigned i = 0; i < git_commit_parentcount(commit); ++i)
        next.push_back(*git_commit_parent_id(commit, i));
    } else if (type == GIT_OBJECT_TREE) {
      auto* tree = reinterpret_cast<git_tree*>(object);
      for (size_t i = 0; i < git_tree_entrycount(tree); ++i)
        next.push_back(*git_tree_entry_id(git_tree_entry_byindex(tree, i)));
    }
    git_object_free(object);
    for (const auto& to : next) AddClosure(to, seen, objects);
  }

  git_repository* repo_ = nullptr;
  git_signature* sig_ = nullptr;
};

// The manifest Spoke would write for `claimed` files.
std::string ManifestFor(const std::string& module, const std::string& version,
                        const FileSet& claimed) {
  Manifest m;
  m.module = module;
  m.version = version;
  m.files = DescribeFiles(claimed);
  m.digest = ComputeDigest(m.files);
  return m.Serialize();
}

struct Forged {
  std::string pack;
  std::string tag_id;
  std::string commit_id;
};

// A module's root commit, holding its record as Spoke writes it.
git_oid ForgeModuleRoot(ScratchRepo& scratch, const std::string& module) {
  Json record = Json::MakeObject();
  record.Set("format", 1);
  record.Set("module", module);
  record.Set("description", "forged");
  git_oid tree = scratch.Tree({{kModuleRecordPath, record.Dump(2) + "\n"}});
  return scratch.Commit(tree, "Create module " + module + "\n");
}

// A version commit whose tree is `root_tree` (given in git's order), on top of a module root, and
// its tag `tag_name`; the pack holds all of it.
Forged ForgeVersionOfTree(ScratchRepo& scratch, const git_oid& root_tree,
                          const std::string& tag_name) {
  git_oid module_root = ForgeModuleRoot(scratch, tag_name.substr(0, tag_name.rfind('/')));
  git_oid commit = scratch.Commit(root_tree, "forged\n", &module_root);
  git_oid tag = scratch.Tag(tag_name, commit, "forged\n");
  return {scratch.Pack({tag}, {module_root, commit}), Hex(tag), Hex(commit)};
}

// The updates a client would send to publish a forged version: its tag and its module's branch.
std::vector<RefUpdate> PublishForged(const Forged& forged, const std::string& module,
                                     const std::string& version) {
  return {{VersionTagRef(module, version), "", forged.tag_id},
          {ModuleBranchRef(module), "", forged.commit_id}};
}

// The same for a flat tree of `files` (the manifest included as given).
Forged ForgeVersion(ScratchRepo& scratch, const std::map<std::string, std::string>& files,
                    const std::string& tag_name) {
  return ForgeVersionOfTree(scratch, scratch.Tree(files), tag_name);
}

class PackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = Open("src");
    dst_ = Open("dst");
    ASSERT_NE(src_, nullptr);
    ASSERT_NE(dst_, nullptr);
  }

  std::unique_ptr<Store> Open(const std::string& name) {
    auto store = Store::Open(dir_.Sub(name), /*create=*/true);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static VersionInfo MustPut(Store& store, const NewVersion& request) {
    auto put = store.PutVersion(request);
    EXPECT_TRUE(put.ok()) << put.status().ToString();
    return put.ok() ? put->version : VersionInfo{};
  }

  static std::string MustBuildPack(const Store& store, const std::vector<std::string>& wants,
                                   const std::vector<std::string>& haves,
                                   PackStats* stats = nullptr) {
    auto pack = store.BuildPack(wants, haves, stats);
    EXPECT_TRUE(pack.ok()) << pack.status().ToString();
    return pack.ok() ? *pack : std::string();
  }

  // The updates that publish `versions` of `module` from `from`, moving the branch from `old_tip`.
  static std::vector<RefUpdate> Publish(const Store& from, const std::string& module,
                                        const std::vector<VersionInfo>& versions,
                                        const std::string& old_tip) {
    std::vector<RefUpdate> updates;
    for (const auto& v : versions)
      updates.push_back({VersionTagRef(module, v.version), "", v.tag_id});
    auto tip = from.ResolveRef(ModuleBranchRef(module));
    EXPECT_TRUE(tip.ok());
    updates.push_back({ModuleBranchRef(module), old_tip, *tip});
    return updates;
  }

  // Applies what must be refused and checks that `store` did not change at all.
  void ExpectRefused(Store& store, const std::string& pack, const std::vector<RefUpdate>& updates,
                     RefPolicy policy, Status::Code code,
                     const std::vector<std::string>& absent_objects = {}) {
    std::vector<RefEntry> before = AllRefs(store);
    auto applied = store.ApplyPack(pack, updates, policy);
    ASSERT_FALSE(applied.ok()) << "a pack that should be refused was applied";
    EXPECT_EQ(applied.status().code(), code) << applied.status().ToString();
    EXPECT_EQ(AllRefs(store), before);
    for (const auto& id : absent_objects) EXPECT_FALSE(store.HasObject(id)) << id << " got in";
    EXPECT_TRUE(NoQuarantineLeft(store));
    EXPECT_TRUE(GitFsckStrict(store.path()));
  }

  static ::testing::AssertionResult NoQuarantineLeft(const Store& store) {
    fs::path incoming = fs::path(store.path()) / "spoke-incoming";
    std::error_code ec;
    if (!fs::exists(incoming, ec) || fs::is_empty(incoming, ec))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << incoming << " still holds a quarantine";
  }

  static size_t CountPackFiles(const Store& store) {
    size_t n = 0;
    std::error_code ec;
    for (const auto& entry :
         fs::directory_iterator(fs::path(store.path()) / "objects" / "pack", ec)) {
      if (entry.path().extension() == ".pack") ++n;
    }
    return n;
  }

  static bool IsLoose(const Store& store, const std::string& id) {
    return fs::exists(fs::path(store.path()) / "objects" / id.substr(0, 2) / id.substr(2));
  }

  // Gives dst the version v1.0.0 of "m" from src (used by the tests that start from shared
  // history).
  VersionInfo ShareFirstVersion() {
    VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", OneFile("one"), "from src"));
    std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
    auto applied = dst_->ApplyPack(pack, Publish(*src_, "m", {v1}, ""), RefPolicy::kStrict);
    EXPECT_TRUE(applied.ok()) << applied.status().ToString();
    return v1;
  }

  TempDir dir_;
  std::unique_ptr<Store> src_, dst_;
};

// --- Moving versions -------------------------------------------------------------------------

TEST_F(PackTest, AStrictApplyCopiesVersionsBetweenStores) {
  FileSet files = {{"a.proto", "syntax = \"proto3\";\n"}, {"nested/b.proto", "message B {}\n"}};
  VersionInfo v1 = MustPut(*src_, MakeRequest("acme/user", "v1.0.0", files, "Users"));
  VersionInfo v2 = MustPut(*src_, MakeRequest("acme/user", "v1.1.0", OneFile("two"), "Users"));
  PackStats stats;
  std::string pack = MustBuildPack(*src_, {v1.tag_id, v2.tag_id}, {}, &stats);
  EXPECT_EQ(stats.bytes, pack.size());
  EXPECT_GE(stats.objects, 10u);

  auto applied =
      dst_->ApplyPack(pack, Publish(*src_, "acme/user", {v1, v2}, ""), RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_EQ(applied->size(), 3u);
  for (const auto& result : *applied) EXPECT_EQ(result.change, RefChange::kCreated) << result.name;

  EXPECT_EQ(AllRefs(*dst_), AllRefs(*src_));
  auto got = dst_->GetVersion("acme/user", "v1.0.0");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->tag_id, v1.tag_id);
  auto read = dst_->ReadFiles(*got);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, files);
  auto module = dst_->GetModule("acme/user");
  ASSERT_TRUE(module.ok());
  EXPECT_EQ(module->description, "Users");
  auto log = dst_->Log("acme/user");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), 2u);
  EXPECT_TRUE(NoQuarantineLeft(*dst_));
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

TEST_F(PackTest, AMirrorApplyIntoAnEmptyStoreCopiesEverything) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", OneFile("one")));
  std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
  auto applied = dst_->ApplyPack(pack, Publish(*src_, "m", {v1}, ""), RefPolicy::kMirror);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(AllRefs(*dst_), AllRefs(*src_));
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

TEST_F(PackTest, ACheckoutRightAfterAMirrorApplyWritesEveryFileOfTheReceivedVersion) {
  // Hundreds of objects, so the indexer's two stages pass many batches between them, and the
  // checkout writes from the blobs the indexer kept.
  FileSet files = RandomFiles(400, 300, 5);
  files["empty.proto"] = "";
  VersionInfo v1 = MustPut(*src_, MakeRequest("many", "v1.0.0", files));
  std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
  auto applied = dst_->ApplyPack(pack, Publish(*src_, "many", {v1}, ""), RefPolicy::kMirror);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  auto got = dst_->GetVersion("many", "v1.0.0");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  fs::path out = fs::path(dir_.path()) / "out";
  ASSERT_TRUE(dst_->CheckoutFiles(*got, out.string()).ok());
  size_t written = 0;
  for (const auto& entry : fs::recursive_directory_iterator(out)) {
    if (!entry.is_regular_file()) continue;
    ++written;
    std::string rel = fs::relative(entry.path(), out).generic_string();
    ASSERT_TRUE(files.count(rel)) << rel << " was not in the version";
    EXPECT_EQ(spoke::testing::ReadFileOrDie(entry.path().string()), files.at(rel)) << rel;
  }
  EXPECT_EQ(written, files.size());
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

TEST_F(PackTest, ApplyingTheSameUpdatesAgainIsUnchangedEvenWithAnEmptyPack) {
  VersionInfo v1 = ShareFirstVersion();
  auto refs = AllRefs(*dst_);
  for (RefPolicy policy : {RefPolicy::kStrict, RefPolicy::kMirror}) {
    auto again = dst_->ApplyPack("", Publish(*src_, "m", {v1}, v1.commit_id), policy);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    for (const auto& result : *again)
      EXPECT_EQ(result.change, RefChange::kUnchanged) << result.name;
    EXPECT_EQ(AllRefs(*dst_), refs);
  }
}

TEST_F(PackTest, ADeltaPackHoldsOnlyWhatTheHavesLackAndIsMuchSmaller) {
  FileSet files = RandomFiles(30, 2048, 1);
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", files));
  std::string first = MustBuildPack(*src_, {v1.tag_id}, {});
  ASSERT_TRUE(dst_->ApplyPack(first, Publish(*src_, "m", {v1}, ""), RefPolicy::kStrict).ok());

  files["gen/file_7.proto"] = "syntax = \"proto3\";\n// changed\n";
  VersionInfo v2 = MustPut(*src_, MakeRequest("m", "v1.1.0", files));
  PackStats full_stats, delta_stats;
  std::string full = MustBuildPack(*src_, {v2.tag_id}, {}, &full_stats);
  std::string delta =
      MustBuildPack(*src_, {v2.tag_id}, {v1.commit_id, std::string(40, 'e')}, &delta_stats);
  // tag, commit, root tree, its "gen" tree, the changed file and the manifest.
  EXPECT_EQ(delta_stats.objects, 6u);
  EXPECT_GT(full_stats.objects, 30u);
  EXPECT_LT(delta.size() * 10, full.size())
      << "delta " << delta.size() << " vs full " << full.size();

  auto applied =
      dst_->ApplyPack(delta, Publish(*src_, "m", {v2}, v1.commit_id), RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_EQ(applied->size(), 2u);
  EXPECT_EQ((*applied)[0].change, RefChange::kCreated);
  EXPECT_EQ((*applied)[1].change, RefChange::kUpdated);
  EXPECT_EQ(AllRefs(*dst_), AllRefs(*src_));
  auto got = dst_->GetVersion("m", "latest");
  ASSERT_TRUE(got.ok());
  auto read = dst_->ReadFiles(*got);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, files);
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

TEST_F(PackTest, BuildPackOfAnUnknownWantIsNotFound) {
  auto pack = src_->BuildPack({std::string(40, 'a')}, {}, nullptr);
  EXPECT_EQ(pack.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(src_->BuildPack({"not-an-id"}, {}, nullptr).ok());
}

TEST_F(PackTest, ApplyPackPassesThroughItsStagesInOrder) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", OneFile("one")));
  std::vector<std::string> stages;
  dst_->SetStageHook([&](const std::string& stage) { stages.push_back(stage); });
  auto applied = dst_->ApplyPack(MustBuildPack(*src_, {v1.tag_id}, {}),
                                 Publish(*src_, "m", {v1}, ""), RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(stages, (std::vector<std::string>{"pack-indexed", "refs-locked"}));
}

// Another process may open the same store at any moment (a second CLI on a shared cache, say);
// that must not disturb a pack this one is receiving.
TEST_F(PackTest, OpeningTheStoreAgainWhileAPackIsBeingReceivedDoesNotDisturbIt) {
  for (int files : {10, 120}) {
    SCOPED_TRACE(std::to_string(files) + " files");
    std::string module = "m" + std::to_string(files);
    VersionInfo v1 = MustPut(*src_, MakeRequest(module, "v1.0.0", RandomFiles(files, 64, 7)));
    std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
    dst_->SetStageHook([&](const std::string& stage) {
      if (stage == "pack-indexed") {
        EXPECT_NE(Open("dst"), nullptr);
      }
    });
    auto applied = dst_->ApplyPack(pack, Publish(*src_, module, {v1}, ""), RefPolicy::kStrict);
    dst_->SetStageHook(nullptr);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    auto got = dst_->GetVersion(module, "v1.0.0");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(dst_->ReadFiles(*got).ok());
    EXPECT_TRUE(GitFsckStrict(dst_->path()));
  }
}

// --- Where received objects land -------------------------------------------------------------

TEST_F(PackTest, AReceivedPackOfHundredsOfObjectsLandsAsOnePackFile) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("big", "v1.0.0", RandomFiles(120, 64, 2)));
  PackStats stats;
  std::string pack = MustBuildPack(*src_, {v1.tag_id}, {}, &stats);
  ASSERT_GE(stats.objects, 100u);
  ASSERT_EQ(CountPackFiles(*dst_), 0u);
  auto applied = dst_->ApplyPack(pack, Publish(*src_, "big", {v1}, ""), RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(CountPackFiles(*dst_), 1u);
  EXPECT_FALSE(IsLoose(*dst_, v1.tag_id));
  EXPECT_TRUE(dst_->HasObject(v1.tag_id));
  auto got = dst_->GetVersion("big", "v1.0.0");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(dst_->ReadFiles(*got).ok());
  EXPECT_TRUE(NoQuarantineLeft(*dst_));
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

// --- Packs that are refused ------------------------------------------------------------------

TEST_F(PackTest, ATruncatedPackIsRefused) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", RandomFiles(5, 512, 4)));
  std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
  auto updates = Publish(*src_, "m", {v1}, "");
  for (size_t keep : {size_t{4}, size_t{11}, pack.size() / 2, pack.size() - 1}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(pack.size()) + " bytes");
    ExpectRefused(*dst_, pack.substr(0, keep), updates, RefPolicy::kStrict,
                  Status::Code::kCorruption, {v1.tag_id});
  }
}

TEST_F(PackTest, APackWithAFlippedByteIsRefused) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", RandomFiles(5, 512, 5)));
  std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
  auto updates = Publish(*src_, "m", {v1}, "");
  for (size_t at :
       {size_t{2}, size_t{7}, size_t{20}, pack.size() / 2, pack.size() - 25, pack.size() - 1}) {
    SCOPED_TRACE("flipped byte " + std::to_string(at) + " of " + std::to_string(pack.size()));
    std::string damaged = pack;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    ExpectRefused(*dst_, damaged, updates, RefPolicy::kStrict, Status::Code::kCorruption,
                  {v1.tag_id});
  }
}

TEST_F(PackTest, AMalformedTreeAmongHundredsOfBlobsIsRefusedWhateverTheChecksum) {
  std::vector<std::pair<int, std::string>> objects;
  for (int i = 0; i < 500; ++i) objects.emplace_back(3, "blob " + std::to_string(i));
  objects.emplace_back(2, std::string("100644 a.proto\0short", 20));  // an id cut short
  for (int i = 500; i < 700; ++i) objects.emplace_back(3, "blob " + std::to_string(i));
  ExpectRefused(*dst_, HandMadePack(objects), {}, RefPolicy::kMirror, Status::Code::kCorruption);
  auto applied = dst_->ApplyPack(HandMadePack(objects), {}, RefPolicy::kMirror);
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.status().message().find("badTree"), std::string::npos)
      << applied.status().ToString();
}

TEST_F(PackTest, AHandMadePackOfWellFormedObjectsIsIndexed) {
  // The control for the test above: the same making, without the lie, is accepted.
  std::vector<std::pair<int, std::string>> objects;
  for (int i = 0; i < 700; ++i) objects.emplace_back(3, "blob " + std::to_string(i));
  auto applied = dst_->ApplyPack(HandMadePack(objects), {}, RefPolicy::kMirror);
  EXPECT_TRUE(applied.ok()) << applied.status().ToString();
}

TEST_F(PackTest, AnUpdatePointingAtAMissingObjectIsRefused) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", OneFile("one")));
  std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
  auto updates = Publish(*src_, "m", {v1}, "");
  updates.push_back({VersionTagRef("m", "v9.0.0"), "", std::string(40, '7')});
  ExpectRefused(*dst_, pack, updates, RefPolicy::kStrict, Status::Code::kCorruption, {v1.tag_id});
  ExpectRefused(*dst_, "", {{ModuleBranchRef("m"), "", v1.commit_id}}, RefPolicy::kMirror,
                Status::Code::kCorruption);
}

TEST_F(PackTest, ADeltaPackIntoAStoreWithoutItsBaseIsRefused) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", RandomFiles(5, 256, 6)));
  VersionInfo v2 = MustPut(*src_, MakeRequest("m", "v1.1.0", RandomFiles(6, 256, 6)));
  std::string delta = MustBuildPack(*src_, {v2.tag_id}, {v1.commit_id});
  ExpectRefused(*dst_, delta, Publish(*src_, "m", {v2}, ""), RefPolicy::kStrict,
                Status::Code::kCorruption, {v2.tag_id});
}

TEST_F(PackTest, UpdatesOfRefsThatAreNotSpokeRefsAreRefused) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", OneFile("one")));
  std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
  for (const std::string& name :
       std::vector<std::string>{"refs/heads/main", "refs/tags/v1.0.0", "refs/notes/m/v1.0.0",
                                "refs/heads/m/history", "refs/tags/M/v1.0.0", "HEAD"}) {
    SCOPED_TRACE(name);
    std::string target = name.find("tags") != std::string::npos ? v1.tag_id : v1.commit_id;
    ExpectRefused(*dst_, pack, {{name, "", target}}, RefPolicy::kStrict,
                  Status::Code::kInvalidArgument, {v1.tag_id});
  }
}

TEST_F(PackTest, AVersionRefMustPointAtAnAnnotatedTagAndABranchAtACommit) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", OneFile("one")));
  std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
  ExpectRefused(*dst_, pack, {{VersionTagRef("m", "v1.0.0"), "", v1.commit_id}}, RefPolicy::kStrict,
                Status::Code::kCorruption, {v1.tag_id});
  ExpectRefused(*dst_, pack, {{ModuleBranchRef("m"), "", v1.tag_id}}, RefPolicy::kStrict,
                Status::Code::kCorruption, {v1.tag_id});
}

TEST_F(PackTest, AVersionTagUnderAnotherVersionsRefIsRefused) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", OneFile("one")));
  std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
  ExpectRefused(*dst_, pack, {{VersionTagRef("m", "v2.0.0"), "", v1.tag_id}}, RefPolicy::kStrict,
                Status::Code::kCorruption, {v1.tag_id});
  ExpectRefused(*dst_, pack, {{VersionTagRef("other", "v1.0.0"), "", v1.tag_id}},
                RefPolicy::kMirror, Status::Code::kCorruption, {v1.tag_id});
}

TEST_F(PackTest, ATagWhoseManifestDoesNotMatchItsFilesIsRefused) {
  ScratchRepo scratch(dir_.Sub("scratch"));
  FileSet claimed = {{"api.proto", "what the manifest promises\n"}};
  Forged forged = ForgeVersion(scratch,
                               {{"api.proto", "what is really there\n"},
                                {kManifestPath, ManifestFor("m", "v1.0.0", claimed)}},
                               "m/v1.0.0");
  ExpectRefused(*dst_, forged.pack,
                {{VersionTagRef("m", "v1.0.0"), "", forged.tag_id},
                 {ModuleBranchRef("m"), "", forged.commit_id}},
                RefPolicy::kStrict, Status::Code::kCorruption, {forged.tag_id, forged.commit_id});
  ExpectRefused(*dst_, forged.pack, PublishForged(forged, "m", "v1.0.0"), RefPolicy::kMirror,
                Status::Code::kCorruption, {forged.tag_id});
}

TEST_F(PackTest, ATagWithAFileTheManifestDoesNotListIsRefused) {
  ScratchRepo scratch(dir_.Sub("scratch"));
  FileSet claimed = {{"api.proto", "listed\n"}};
  Forged forged = ForgeVersion(scratch,
                               {{"api.proto", "listed\n"},
                                {"smuggled.proto", "not listed\n"},
                                {kManifestPath, ManifestFor("m", "v1.0.0", claimed)}},
                               "m/v1.0.0");
  ExpectRefused(*dst_, forged.pack, PublishForged(forged, "m", "v1.0.0"), RefPolicy::kStrict,
                Status::Code::kCorruption, {forged.tag_id});
}

TEST_F(PackTest, ATagWithAMissingFileIsRefused) {
  ScratchRepo scratch(dir_.Sub("scratch"));
  FileSet claimed = {{"api.proto", "here\n"}, {"gone.proto", "not here\n"}};
  Forged forged = ForgeVersion(
      scratch, {{"api.proto", "here\n"}, {kManifestPath, ManifestFor("m", "v1.0.0", claimed)}},
      "m/v1.0.0");
  ExpectRefused(*dst_, forged.pack, PublishForged(forged, "m", "v1.0.0"), RefPolicy::kStrict,
                Status::Code::kCorruption, {forged.tag_id});
}

TEST_F(PackTest, AManifestThatMisstatesAFileSizeIsRefused) {
  ScratchRepo scratch(dir_.Sub("scratch"));
  const std::string content = "message X {}\n";
  Manifest m;
  m.module = "m";
  m.version = "v1.0.0";
  m.files = DescribeFiles({{"api.proto", content}});
  m.files[0].size = 999999;  // the hash is right; the size is not
  m.digest = ComputeDigest(m.files);
  Forged forged =
      ForgeVersion(scratch, {{"api.proto", content}, {kManifestPath, m.Serialize()}}, "m/v1.0.0");
  ExpectRefused(*dst_, forged.pack, PublishForged(forged, "m", "v1.0.0"), RefPolicy::kStrict,
                Status::Code::kCorruption, {forged.tag_id});
}

TEST_F(PackTest, ATagWithoutAManifestOrWithABrokenOneIsRefused) {
  ScratchRepo scratch(dir_.Sub("scratch"));
  Forged bare = ForgeVersion(scratch, {{"api.proto", "x\n"}}, "m/v1.0.0");
  ExpectRefused(*dst_, bare.pack, PublishForged(bare, "m", "v1.0.0"), RefPolicy::kStrict,
                Status::Code::kCorruption, {bare.tag_id});
  std::string lying = ManifestFor("m", "v2.0.0", {{"api.proto", "x\n"}});
  size_t digest_at = lying.find("sha256:");
  ASSERT_NE(digest_at, std::string::npos);
  lying[digest_at + 7] = lying[digest_at + 7] == '0' ? '1' : '0';
  Forged broken = ForgeVersion(scratch, {{"api.proto", "x\n"}, {kManifestPath, lying}}, "m/v2.0.0");
  ExpectRefused(*dst_, broken.pack, PublishForged(broken, "m", "v2.0.0"), RefPolicy::kStrict,
                Status::Code::kCorruption, {broken.tag_id});
}

TEST_F(PackTest, ATagNamedForAnotherVersionThanItsManifestIsRefused) {
  ScratchRepo scratch(dir_.Sub("scratch"));
  FileSet files = {{"api.proto", "x\n"}};
  Forged forged = ForgeVersion(
      scratch, {{"api.proto", "x\n"}, {kManifestPath, ManifestFor("m", "v1.0.0", files)}},
      "m/v2.0.0");
  ExpectRefused(*dst_, forged.pack, PublishForged(forged, "m", "v2.0.0"), RefPolicy::kStrict,
                Status::Code::kCorruption, {forged.tag_id});
}

// libgit2 refuses to write a ".GIT" tree entry, but nothing stops another client from sending one;
// a store that took it would fail `git fsck` and could not be checked out on macOS or Windows.
TEST_F(PackTest, AVersionWithAPathGitTreatsAsDotGitIsRefused) {
  ScratchRepo scratch(dir_.Sub("scratch"));
  const std::string content = "message X {}\n";
  for (const std::string& dir_name : std::vector<std::string>{".GIT", "git~1", ".git."}) {
    SCOPED_TRACE(dir_name);
    std::string path = dir_name + "/x.proto";
    git_oid inner = scratch.RawTree({{"100644", "x.proto", scratch.Blob(content)}});
    git_oid root = scratch.RawTree(
        {{"40000", dir_name, inner},
         {"100644", kManifestPath, scratch.Blob(ManifestFor("m", "v1.0.0", {{path, content}}))}});
    Forged forged = ForgeVersionOfTree(scratch, root, "m/v1.0.0");
    std::vector<RefUpdate> updates = {{VersionTagRef("m", "v1.0.0"), "", forged.tag_id},
                                      {ModuleBranchRef("m"), "", forged.commit_id}};
    std::vector<RefEntry> before = AllRefs(*dst_);
    auto applied = dst_->ApplyPack(forged.pack, updates, RefPolicy::kStrict);
    EXPECT_FALSE(applied.ok()) << "a version holding " << path << " was accepted";
    EXPECT_EQ(AllRefs(*dst_), before);
    EXPECT_FALSE(dst_->HasObject(forged.tag_id));
    EXPECT_TRUE(GitFsckStrict(dst_->path()));
  }
}

TEST_F(PackTest, AWellFormedForgedVersionIsAccepted) {
  // The forging helpers make what Spoke makes; so the refusals above are about the lies alone.
  ScratchRepo scratch(dir_.Sub("scratch"));
  FileSet files = {{"api.proto", "x\n"}};
  Forged forged = ForgeVersion(
      scratch, {{"api.proto", "x\n"}, {kManifestPath, ManifestFor("m", "v1.0.0", files)}},
      "m/v1.0.0");
  auto applied = dst_->ApplyPack(forged.pack,
                                 {{VersionTagRef("m", "v1.0.0"), "", forged.tag_id},
                                  {ModuleBranchRef("m"), "", forged.commit_id}},
                                 RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  auto got = dst_->GetVersion("m", "v1.0.0");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  auto read = dst_->ReadFiles(*got);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, files);
  auto log = dst_->Log("m");
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].tag_id, forged.tag_id);
  auto module = dst_->GetModule("m");
  ASSERT_TRUE(module.ok());
  EXPECT_EQ(module->description, "forged");
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

TEST_F(PackTest, AStrictBranchUpdateThatIsNotAFastForwardIsRefused) {
  VersionInfo v1 = ShareFirstVersion();
  auto other = Open("other");
  ASSERT_NE(other, nullptr);
  VersionInfo unrelated = MustPut(*other, MakeRequest("m", "v2.0.0", OneFile("two"), "from other"));
  std::string pack = MustBuildPack(*other, {unrelated.tag_id}, {v1.commit_id});
  // The old value is right, but the new tip does not descend from it.
  ExpectRefused(*dst_, pack, Publish(*other, "m", {unrelated}, v1.commit_id), RefPolicy::kStrict,
                Status::Code::kConflict, {unrelated.tag_id, unrelated.commit_id});
}

TEST_F(PackTest, AStrictBranchUpdateWithAStaleOldValueIsRefused) {
  VersionInfo v1 = ShareFirstVersion();
  VersionInfo v2 = MustPut(*src_, MakeRequest("m", "v1.1.0", OneFile("two")));
  std::string pack = MustBuildPack(*src_, {v2.tag_id}, {v1.commit_id});
  ExpectRefused(*dst_, pack, Publish(*src_, "m", {v2}, ""), RefPolicy::kStrict,
                Status::Code::kConflict, {v2.tag_id});
  ExpectRefused(*dst_, pack, Publish(*src_, "m", {v2}, std::string(40, '3')), RefPolicy::kStrict,
                Status::Code::kConflict, {v2.tag_id});
  // A new tag must be expected absent.
  ExpectRefused(*dst_, pack, {{VersionTagRef("m", "v1.1.0"), v1.tag_id, v2.tag_id}},
                RefPolicy::kStrict, Status::Code::kConflict, {v2.tag_id});
}

// A push that retried after its first attempt landed: the same content under another commit. The
// tag is already there, so the branch stays where it is instead of gaining a duplicate version.
TEST_F(PackTest, RepublishingExistingContentUnderAnotherCommitLeavesTheBranchAlone) {
  VersionInfo v1 = ShareFirstVersion();
  auto other = Open("other");
  ASSERT_NE(other, nullptr);
  VersionInfo same =
      MustPut(*other, MakeRequest("m", "v1.0.0", OneFile("one"), "said differently"));
  ASSERT_NE(same.commit_id, v1.commit_id);
  auto refs = AllRefs(*dst_);
  std::string pack = MustBuildPack(*other, {same.tag_id}, {});
  auto applied = dst_->ApplyPack(pack,
                                 {{VersionTagRef("m", "v1.0.0"), "", same.tag_id},
                                  {ModuleBranchRef("m"), v1.commit_id, same.commit_id}},
                                 RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_EQ(applied->size(), 2u);
  EXPECT_EQ((*applied)[0].change, RefChange::kUnchanged);
  EXPECT_EQ((*applied)[1].change, RefChange::kUnchanged);
  EXPECT_EQ((*applied)[1].target, v1.commit_id);
  EXPECT_EQ(AllRefs(*dst_), refs);
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

// A mirror follows the registry: the old value it was given (here a wrong one) does not matter.
TEST_F(PackTest, AMirrorApplyMovesABranchWhateverItWas) {
  VersionInfo v1 = ShareFirstVersion();
  auto other = Open("other");
  ASSERT_NE(other, nullptr);
  VersionInfo unrelated = MustPut(*other, MakeRequest("m", "v2.0.0", OneFile("two"), "from other"));
  std::string pack = MustBuildPack(*other, {unrelated.tag_id}, {v1.commit_id});
  auto applied = dst_->ApplyPack(pack, Publish(*other, "m", {unrelated}, std::string(40, '3')),
                                 RefPolicy::kMirror);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  auto tip = dst_->ResolveRef(ModuleBranchRef("m"));
  ASSERT_TRUE(tip.ok());
  EXPECT_EQ(*tip, unrelated.commit_id);
  // Tags are never dropped: v1.0.0 is still there beside the mirrored v2.0.0.
  auto versions = dst_->ListVersions("m");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(*versions, (std::vector<std::string>{"v1.0.0", "v2.0.0"}));
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

TEST_F(PackTest, ATagThatExistsWithDifferentContentIsAlreadyExists) {
  VersionInfo v1 = ShareFirstVersion();
  auto other = Open("other");
  ASSERT_NE(other, nullptr);
  VersionInfo clash = MustPut(*other, MakeRequest("m", "v1.0.0", OneFile("different")));
  std::string pack = MustBuildPack(*other, {clash.tag_id}, {});
  for (RefPolicy policy : {RefPolicy::kStrict, RefPolicy::kMirror}) {
    ExpectRefused(*dst_, pack, Publish(*other, "m", {clash}, v1.commit_id), policy,
                  Status::Code::kAlreadyExists, {clash.tag_id});
  }
}

TEST_F(PackTest, ATagThatExistsWithTheSameContentIsUnchanged) {
  VersionInfo v1 = ShareFirstVersion();
  auto other = Open("other");
  ASSERT_NE(other, nullptr);
  // Same files, another description: another commit and tag, but the same content digest.
  VersionInfo same =
      MustPut(*other, MakeRequest("m", "v1.0.0", OneFile("one"), "said differently"));
  ASSERT_NE(same.tag_id, v1.tag_id);
  auto refs = AllRefs(*dst_);
  std::string pack = MustBuildPack(*other, {same.tag_id}, {});
  auto applied =
      dst_->ApplyPack(pack, {{VersionTagRef("m", "v1.0.0"), "", same.tag_id}}, RefPolicy::kStrict);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0].change, RefChange::kUnchanged);
  EXPECT_EQ((*applied)[0].target, v1.tag_id);
  EXPECT_EQ(AllRefs(*dst_), refs);
  EXPECT_TRUE(GitFsckStrict(dst_->path()));
}

TEST_F(PackTest, AnUpdateListNamingOneRefTwiceIsRefused) {
  VersionInfo v1 = MustPut(*src_, MakeRequest("m", "v1.0.0", OneFile("one")));
  std::string pack = MustBuildPack(*src_, {v1.tag_id}, {});
  RefUpdate tag = {VersionTagRef("m", "v1.0.0"), "", v1.tag_id};
  ExpectRefused(*dst_, pack, {tag, tag}, RefPolicy::kStrict, Status::Code::kInvalidArgument,
                {v1.tag_id});
  RefUpdate deletion = {ModuleBranchRef("m"), "", ""};
  ExpectRefused(*dst_, pack, {deletion}, RefPolicy::kMirror, Status::Code::kInvalidArgument,
                {v1.tag_id});
}

}  // namespace
}  // namespace spoke
