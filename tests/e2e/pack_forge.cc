// Honest and forged push payloads. Forged objects are written with libgit2 into a scratch store,
// then packed by spoke::Store::BuildPack, which packs whatever the scratch store holds without
// judging it.
#include "pack_forge.h"

#include <git2.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <cstring>

#include "spoke/json.h"
#include "spoke/manifest.h"

namespace spoke::e2e {
namespace {

std::string Hex(const git_oid& id) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof(buf), &id);
  return buf;
}

std::string LastGitError() {
  const git_error* err = git_error_last();
  return err && err->message ? err->message : "unknown libgit2 error";
}

std::unique_ptr<Store> OpenScratch(const std::string& dir) {
  auto store = Store::Open(dir, /*create=*/true);
  if (!store.ok()) {
    ADD_FAILURE() << "cannot open scratch store " << dir << ": " << store.status().ToString();
    return nullptr;
  }
  return std::move(*store);
}

PushPayload Pack(Store& store, const std::string& module, const std::string& version,
                 const std::string& tag_id, const std::string& commit_id) {
  PushPayload payload;
  auto pack = store.BuildPack({tag_id}, {}, nullptr);
  if (!pack.ok()) {
    ADD_FAILURE() << "cannot pack " << tag_id << ": " << pack.status().ToString();
    return payload;
  }
  payload.pack = std::move(*pack);
  payload.tag_id = tag_id;
  payload.commit_id = commit_id;
  payload.updates = {{VersionTagRef(module, version), "", tag_id},
                     {ModuleBranchRef(module), "", commit_id}};
  return payload;
}

using IndexPtr = std::unique_ptr<git_index, void (*)(git_index*)>;
using TreePtr = std::unique_ptr<git_tree, void (*)(git_tree*)>;
using SignaturePtr = std::unique_ptr<git_signature, void (*)(git_signature*)>;
using ObjectPtr = std::unique_ptr<git_object, void (*)(git_object*)>;

// Each step returns the new object's id, or "" after recording a test failure.
std::string Failed(const std::string& what) {
  ADD_FAILURE() << "forging " << what << ": " << LastGitError();
  return "";
}

// A tree holding exactly `files`; an in-memory index builds the nested trees from the paths.
std::string WriteTree(git_repository* repo, const FileSet& files) {
  git_index* index = nullptr;
  if (git_index_new(&index) != 0) return Failed("an index");
  IndexPtr index_owned(index, git_index_free);
  for (const auto& [path, content] : files) {
    git_index_entry entry{};
    entry.mode = GIT_FILEMODE_BLOB;
    entry.path = path.c_str();
    if (git_blob_create_from_buffer(&entry.id, repo, content.data(), content.size()) != 0)
      return Failed(path);
    if (git_index_add(index, &entry) != 0) return Failed(path);
  }
  git_oid tree_id;
  if (git_index_write_tree_to(&tree_id, index, repo) != 0) return Failed("a tree");
  return Hex(tree_id);
}

// A commit of `files` whose parent is `parent` ("" for none).
std::string WriteCommit(git_repository* repo, const FileSet& files, const std::string& parent,
                        const std::string& message) {
  std::string tree_hex = WriteTree(repo, files);
  if (tree_hex.empty()) return "";
  git_oid tree_id, parent_id, commit_id;
  git_oid_fromstr(&tree_id, tree_hex.c_str());
  git_tree* tree = nullptr;
  if (git_tree_lookup(&tree, repo, &tree_id) != 0) return Failed("a tree");
  TreePtr tree_owned(tree, git_tree_free);
  git_commit* parent_commit = nullptr;
  if (!parent.empty()) {
    git_oid_fromstr(&parent_id, parent.c_str());
    if (git_commit_lookup(&parent_commit, repo, &parent_id) != 0)
      return Failed("the parent " + parent);
  }
  ObjectPtr parent_owned(reinterpret_cast<git_object*>(parent_commit), git_object_free);
  git_signature* sig = nullptr;
  if (git_signature_now(&sig, "Forger", "forger@localhost") != 0) return Failed("a signature");
  SignaturePtr sig_owned(sig, git_signature_free);
  const git_commit* parents[1] = {parent_commit};
  if (git_commit_create(&commit_id, repo, nullptr, sig, sig, "UTF-8", message.c_str(), tree,
                        parent_commit ? 1 : 0, parents) != 0) {
    return Failed("a commit");
  }
  return Hex(commit_id);
}

// An annotated tag named `name` on `commit`.
std::string WriteTag(git_repository* repo, const std::string& name, const std::string& commit) {
  git_oid commit_id, tag_id;
  git_oid_fromstr(&commit_id, commit.c_str());
  git_object* target = nullptr;
  if (git_object_lookup(&target, repo, &commit_id, GIT_OBJECT_COMMIT) != 0)
    return Failed("the commit");
  ObjectPtr target_owned(target, git_object_free);
  git_signature* sig = nullptr;
  if (git_signature_now(&sig, "Forger", "forger@localhost") != 0) return Failed("a signature");
  SignaturePtr sig_owned(sig, git_signature_free);
  if (git_tag_annotation_create(&tag_id, repo, name.c_str(), target, sig, "forged\n") != 0)
    return Failed("a tag");
  return Hex(tag_id);
}

// The manifest's text with every path as its raw bytes, as a hostile client writes it
// (Manifest::Serialize() writes bytes that are not UTF-8 as U+FFFD).
std::string SerializeWithRawPaths(Manifest manifest) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < manifest.files.size(); ++i) {
    paths.push_back(manifest.files[i].path);
    manifest.files[i].path = "@path" + std::to_string(i) + "@";
  }
  std::string text = manifest.Serialize();
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string placeholder = "\"@path" + std::to_string(i) + "@\"";
    text.replace(text.find(placeholder), placeholder.size(), "\"" + paths[i] + "\"");
  }
  return text;
}

// The tree of a version that lies as asked: its files and a manifest.
FileSet LyingTree(const NewVersion& version, ManifestLie lie) {
  FileSet tree = version.files;
  if (lie == ManifestLie::kUnlistedFile) tree.emplace("smuggled.proto", "syntax = \"proto3\";\n");
  Manifest manifest;
  manifest.module = version.module;
  manifest.version = version.version;
  manifest.description = version.description;
  manifest.files = DescribeFiles(version.files);
  manifest.digest = ComputeDigest(manifest.files);
  if (lie == ManifestLie::kWrongDigest) manifest.digest = "sha256:" + std::string(64, '0');
  if (lie == ManifestLie::kWrongFileHash) {
    manifest.files.front().sha256 = std::string(64, 'a');
    manifest.digest = ComputeDigest(manifest.files);
  }
  tree.emplace(kManifestPath,
               lie == ManifestLie::kNone ? SerializeWithRawPaths(manifest) : manifest.Serialize());
  return tree;
}

// Runs `write` on a libgit2 handle of `store`'s repository; its result says whether it worked.
template <typename Write>
bool WithScratchRepo(const Store& store, Write write) {
  git_repository* repo = nullptr;
  if (git_repository_open_bare(&repo, store.path().c_str()) != 0) {
    ADD_FAILURE() << "cannot open " << store.path() << ": " << LastGitError();
    return false;
  }
  bool ok = write(repo);
  git_repository_free(repo);
  return ok;
}

}  // namespace

PushPayload BuildVersionPack(const std::string& scratch_dir, const NewVersion& version) {
  auto store = OpenScratch(scratch_dir);
  if (!store) return {};
  auto prepared = store->PrepareVersion(version, "");
  if (!prepared.ok()) {
    ADD_FAILURE() << "cannot prepare " << version.module << "@" << version.version << ": "
                  << prepared.status().ToString();
    return {};
  }
  return Pack(*store, version.module, version.version, prepared->tag_id, prepared->commit_id);
}

PushPayload ForgeVersionPack(const std::string& scratch_dir, const NewVersion& version,
                             ManifestLie lie) {
  auto store = OpenScratch(scratch_dir);
  if (!store) return {};
  std::string tag, commit;
  bool written = WithScratchRepo(*store, [&](git_repository* repo) {
    commit = WriteCommit(repo, LyingTree(version, lie), "",
                         version.module + " " + version.version + "\n");
    if (commit.empty()) return false;
    std::string tag_version =
        lie == ManifestLie::kTagNamedForAnotherVersion ? "v9.9.9" : version.version;
    tag = WriteTag(repo, version.module + "/" + tag_version, commit);
    return !tag.empty();
  });
  if (!written) return {};
  return Pack(*store, version.module, version.version, tag, commit);
}

PushPayload ForgeBranchCommit(const std::string& scratch_dir, const std::string& module,
                              const std::string& parent, const FileSet& files) {
  auto store = OpenScratch(scratch_dir);
  if (!store) return {};
  std::string commit;
  WithScratchRepo(*store, [&](git_repository* repo) {
    commit = WriteCommit(repo, files, parent, "not a version\n");
    return !commit.empty();
  });
  if (commit.empty()) return {};
  PushPayload payload;
  auto pack = store->BuildPack(
      {commit}, parent.empty() ? std::vector<std::string>{} : std::vector{parent}, nullptr);
  if (!pack.ok()) {
    ADD_FAILURE() << "cannot pack " << commit << ": " << pack.status().ToString();
    return payload;
  }
  payload.pack = std::move(*pack);
  payload.commit_id = commit;
  payload.updates = {{ModuleBranchRef(module), parent, commit}};
  return payload;
}

namespace {

std::string Sha1Raw(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha1(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

const char* GitTypeName(int type) {
  switch (type) {
    case 1:
      return "commit";
    case 2:
      return "tree";
    case 3:
      return "blob";
    default:
      return "tag";
  }
}

// One whole pack entry: the type-and-size header, then the content deflated.
void AppendEntry(int type, const std::string& content, std::string* pack) {
  uint64_t size = content.size();
  auto byte = static_cast<unsigned char>((type << 4) | (size & 15));
  size >>= 4;
  while (size) {
    pack->push_back(static_cast<char>(byte | 0x80));
    byte = size & 0x7f;
    size >>= 7;
  }
  pack->push_back(static_cast<char>(byte));
  uLongf compressed_size = compressBound(content.size());
  std::string compressed(compressed_size, '\0');
  compress(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
           reinterpret_cast<const Bytef*>(content.data()), content.size());
  pack->append(compressed, 0, compressed_size);
}

}  // namespace

std::string ObjectIdOf(int type, const std::string& content) {
  std::string raw = Sha1Raw(std::string(GitTypeName(type)) + " " + std::to_string(content.size()) +
                            '\0' + content);
  git_oid id;
  std::memcpy(id.id, raw.data(), GIT_OID_RAWSZ);
  return Hex(id);
}

std::string PackWithExtraObjects(const std::string& scratch_dir,
                                 const std::vector<std::pair<int, std::string>>& extra) {
  std::vector<std::pair<int, std::string>> objects;
  git_libgit2_init();
  git_odb* odb = nullptr;
  if (git_odb_open(&odb, (scratch_dir + "/objects").c_str()) != 0) {
    ADD_FAILURE() << "cannot open " << scratch_dir << ": " << LastGitError();
    git_libgit2_shutdown();
    return "";
  }
  struct State {
    git_odb* odb;
    std::vector<std::pair<int, std::string>>* objects;
  } state{odb, &objects};
  git_odb_foreach(
      odb,
      [](const git_oid* id, void* payload) -> int {
        auto* s = static_cast<State*>(payload);
        git_odb_object* obj = nullptr;
        if (git_odb_read(&obj, s->odb, id) != 0) return -1;
        s->objects->emplace_back(static_cast<int>(git_odb_object_type(obj)),
                                 std::string(static_cast<const char*>(git_odb_object_data(obj)),
                                             git_odb_object_size(obj)));
        git_odb_object_free(obj);
        return 0;
      },
      &state);
  git_odb_free(odb);
  git_libgit2_shutdown();
  objects.insert(objects.end(), extra.begin(), extra.end());
  const auto count = static_cast<uint32_t>(objects.size());
  std::string pack = "PACK";
  for (uint32_t v : {2u, count}) {
    for (int shift = 24; shift >= 0; shift -= 8) pack.push_back(static_cast<char>(v >> shift));
  }
  for (const auto& [type, content] : objects) AppendEntry(type, content, &pack);
  return pack + Sha1Raw(pack);
}

std::string PushBody(const std::vector<RefUpdate>& updates, const std::string& pack) {
  Json list = Json::MakeArray();
  for (const auto& u : updates) {
    Json entry = Json::MakeObject();
    entry.Set("name", u.name);
    entry.Set("old", u.old_target);
    entry.Set("new", u.new_target);
    list.Push(std::move(entry));
  }
  Json header = Json::MakeObject();
  header.Set("protocol", 1);
  header.Set("updates", std::move(list));
  return header.Dump() + "\n" + pack;
}

httplib::Result PostPush(httplib::Client& client, const std::vector<RefUpdate>& updates,
                         const std::string& pack) {
  return client.Post("/sync/v1/push", PushBody(updates, pack), "application/x-spoke-push");
}

}  // namespace spoke::e2e
