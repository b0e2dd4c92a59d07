// Object enumeration for fetch and push, and a parallel pack writer without deltas.
#include "store/pack_writer.h"

#include <zlib.h>

#include <cstring>
#include <thread>
#include <unordered_set>

#include "spoke/digest.h"
#include "store/git_handles.h"
#include "store/pack_reuse.h"
#include "util/parallel.h"

namespace spoke {
namespace {

struct OidHash {
  size_t operator()(const git_oid& id) const {
    size_t h;
    std::memcpy(&h, id.id, sizeof(h));
    return h;
  }
};
struct OidEqual {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_equal(&a, &b); }
};
using OidSet = std::unordered_set<git_oid, OidHash, OidEqual>;

// Adds a tree and everything under it that is not in `skip` to `out`, once.
Status AddTree(git_repository* repo, const git_oid& tree_id, OidSet* seen,
               std::vector<git_oid>* out) {
  if (!seen->insert(tree_id).second) return Status::Ok();
  git_tree* raw = nullptr;
  int rc = git_tree_lookup(&raw, repo, &tree_id);
  if (rc != 0) return GitError(rc, "cannot read tree " + OidHex(tree_id));
  TreePtr tree(raw);
  out->push_back(tree_id);
  size_t count = git_tree_entrycount(raw);
  for (size_t i = 0; i < count; ++i) {
    const git_tree_entry* entry = git_tree_entry_byindex(raw, i);
    const git_oid* id = git_tree_entry_id(entry);
    git_object_t type = git_tree_entry_type(entry);
    if (type == GIT_OBJECT_TREE) {
      SPOKE_RETURN_IF_ERROR(AddTree(repo, *id, seen, out));
    } else if (type == GIT_OBJECT_BLOB && seen->insert(*id).second) {
      out->push_back(*id);
    }
  }
  return Status::Ok();
}

// Marks a tree and everything under it as already present on the other side.
Status MarkTreeSeen(git_repository* repo, const git_oid& tree_id, OidSet* seen) {
  if (!seen->insert(tree_id).second) return Status::Ok();
  git_tree* raw = nullptr;
  int rc = git_tree_lookup(&raw, repo, &tree_id);
  if (rc != 0) return Status::Ok();  // the other side's claim; nothing to skip then
  TreePtr tree(raw);
  size_t count = git_tree_entrycount(raw);
  for (size_t i = 0; i < count; ++i) {
    const git_tree_entry* entry = git_tree_entry_byindex(raw, i);
    if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) {
      SPOKE_RETURN_IF_ERROR(MarkTreeSeen(repo, *git_tree_entry_id(entry), seen));
    } else {
      seen->insert(*git_tree_entry_id(entry));
    }
  }
  return Status::Ok();
}

int PackType(git_object_t type) {
  switch (type) {
    case GIT_OBJECT_COMMIT:
      return 1;
    case GIT_OBJECT_TREE:
      return 2;
    case GIT_OBJECT_BLOB:
      return 3;
    case GIT_OBJECT_TAG:
      return 4;
    default:
      return 0;
  }
}

// Appends one whole object read from `odb`.
Status AppendEntry(git_odb* odb, const git_oid& id, std::string* out,
                   std::vector<unsigned char>* scratch) {
  git_odb_object* raw = nullptr;
  int rc = git_odb_read(&raw, odb, &id);
  if (rc != 0) return GitError(rc, "cannot read object " + OidHex(id));
  OdbObjectPtr obj(raw);
  int type = PackType(git_odb_object_type(raw));
  if (type == 0) return Status::Corruption("object " + OidHex(id) + " has an unexpected type");
  std::string_view content(static_cast<const char*>(git_odb_object_data(raw)),
                           git_odb_object_size(raw));
  if (!AppendWholeEntry(type, content, out, scratch)) {
    return Status::Internal("zlib could not compress object " + OidHex(id));
  }
  return Status::Ok();
}

}  // namespace

void AppendPackHeader(uint32_t object_count, std::string* out) {
  const char header[12] = {'P',
                           'A',
                           'C',
                           'K',
                           0,
                           0,
                           0,
                           2,
                           static_cast<char>(object_count >> 24),
                           static_cast<char>(object_count >> 16),
                           static_cast<char>(object_count >> 8),
                           static_cast<char>(object_count)};
  out->append(header, sizeof(header));
}

void AppendEntryHeader(int type, uint64_t size, std::string* out) {
  uint64_t rest = size >> 4;
  out->push_back(static_cast<char>((type << 4) | (size & 0x0f) | (rest ? 0x80 : 0)));
  while (rest) {
    out->push_back(static_cast<char>((rest & 0x7f) | (rest >> 7 ? 0x80 : 0)));
    rest >>= 7;
  }
}

bool AppendWholeEntry(int type, std::string_view content, std::string* out,
                      std::vector<unsigned char>* scratch) {
  const size_t size = content.size();
  AppendEntryHeader(type, size, out);
  uLongf bound = compressBound(static_cast<uLong>(size));
  if (scratch->size() < bound) scratch->resize(bound);
  uLongf written = bound;
  if (compress2(scratch->data(), &written, reinterpret_cast<const Bytef*>(content.data()),
                static_cast<uLong>(size), Z_BEST_SPEED) != Z_OK) {
    return false;
  }
  out->append(reinterpret_cast<const char*>(scratch->data()), written);
  return true;
}

Result<std::vector<git_oid>> CollectPackObjects(git_repository* repo,
                                                const std::vector<std::string>& wants,
                                                const std::vector<std::string>& haves) {
  OidSet seen;
  std::vector<git_oid> out;
  git_revwalk* walk_raw = nullptr;
  int rc = git_revwalk_new(&walk_raw, repo);
  if (rc != 0) return GitError(rc, "cannot start a walk");
  RevwalkPtr walk(walk_raw);
  std::vector<git_oid> other_roots;  // wanted trees and blobs
  bool any_commit = false;
  for (const auto& want : wants) {
    SPOKE_ASSIGN_OR_RETURN(git_oid id, ParseOid(want));
    git_object* obj_raw = nullptr;
    rc = git_object_lookup(&obj_raw, repo, &id, GIT_OBJECT_ANY);
    if (rc == GIT_ENOTFOUND) return Status::NotFound("object " + want + " is not in this store");
    if (rc != 0) return GitError(rc, "cannot read " + want);
    ObjectPtr obj(obj_raw);
    while (git_object_type(obj.get()) == GIT_OBJECT_TAG) {
      if (seen.insert(*git_object_id(obj.get())).second) out.push_back(*git_object_id(obj.get()));
      git_object* target = nullptr;
      rc = git_tag_target(&target, reinterpret_cast<git_tag*>(obj.get()));
      if (rc != 0) return GitError(rc, "cannot peel tag " + want);
      obj.reset(target);
    }
    if (git_object_type(obj.get()) == GIT_OBJECT_COMMIT) {
      rc = git_revwalk_push(walk_raw, git_object_id(obj.get()));
      if (rc != 0) return GitError(rc, "cannot walk from " + want);
      any_commit = true;
    } else {
      other_roots.push_back(*git_object_id(obj.get()));
    }
  }
  OidSet skip_commits;
  for (const auto& have : haves) {
    auto id = ParseOid(have);
    if (!id.ok()) return id.status();
    git_object* obj_raw = nullptr;
    if (git_object_lookup(&obj_raw, repo, &*id, GIT_OBJECT_ANY) != 0) continue;
    ObjectPtr obj(obj_raw);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, obj_raw, GIT_OBJECT_COMMIT) != 0) continue;
    ObjectPtr peeled_owned(peeled);
    if (any_commit) git_revwalk_hide(walk_raw, git_object_id(peeled));
    SPOKE_RETURN_IF_ERROR(
        MarkTreeSeen(repo, *git_commit_tree_id(reinterpret_cast<git_commit*>(peeled)), &seen));
  }
  if (any_commit) {
    git_oid commit_id;
    std::vector<git_oid> trees;
    while ((rc = git_revwalk_next(&commit_id, walk_raw)) == 0) {
      if (!seen.insert(commit_id).second) continue;
      out.push_back(commit_id);
      git_commit* commit = nullptr;
      rc = git_commit_lookup(&commit, repo, &commit_id);
      if (rc != 0) return GitError(rc, "cannot read commit " + OidHex(commit_id));
      trees.push_back(*git_commit_tree_id(commit));
      git_commit_free(commit);
    }
    if (rc != GIT_ITEROVER) return GitError(rc, "cannot walk history");
    for (const auto& tree : trees) SPOKE_RETURN_IF_ERROR(AddTree(repo, tree, &seen, &out));
  }
  for (const auto& root : other_roots) {
    git_object* obj_raw = nullptr;
    rc = git_object_lookup(&obj_raw, repo, &root, GIT_OBJECT_ANY);
    if (rc != 0) return GitError(rc, "cannot read " + OidHex(root));
    ObjectPtr obj(obj_raw);
    if (git_object_type(obj_raw) == GIT_OBJECT_TREE) {
      SPOKE_RETURN_IF_ERROR(AddTree(repo, root, &seen, &out));
    } else if (seen.insert(root).second) {
      out.push_back(root);
    }
  }
  return out;
}

Result<std::string> WritePack(git_odb* odb, const std::vector<git_oid>& objects, unsigned threads,
                              const PackReuse* reuse) {
  if (threads < 1) threads = 1;
  // Small packs are not worth a thread.
  if (objects.size() < 256) threads = 1;
  std::vector<std::string> parts(threads);
  auto work = [&](unsigned part) -> Status {
    std::vector<unsigned char> scratch;
    size_t begin = objects.size() * part / threads, end = objects.size() * (part + 1) / threads;
    for (size_t i = begin; i < end; ++i) {
      if (reuse) {
        std::string_view stored = reuse->WholeEntry(objects[i]);
        if (!stored.empty()) {
          parts[part].append(stored);
          continue;
        }
      }
      Status s = AppendEntry(odb, objects[i], &parts[part], &scratch);
      if (!s.ok()) {
        return s;
      }
    }
    return Status::Ok();
  };
  SPOKE_RETURN_IF_ERROR(RunInParallel(threads, work));

  std::string pack;
  size_t total = 12 + 20;
  for (const auto& part : parts) total += part.size();
  pack.reserve(total);
  uint32_t count = static_cast<uint32_t>(objects.size());
  AppendPackHeader(count, &pack);
  for (auto& part : parts) {
    pack.append(part);
    std::string().swap(part);
  }
  Sha1 trailer;
  trailer.Update(pack);
  pack.append(trailer.Finish());
  return pack;
}

}  // namespace spoke
