// spoke-server migrate's library half: a store on files checked, compared with the database,
// and its missing refs inserted with the packs of the objects they need, in one transaction.
#include "spoke/sys/postgres_import.h"

#include <git2.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "postgres/connection.h"
#include "spoke/store.h"
#include "spoke/sys/store_backend.h"
#include "store/git_handles.h"
#include "store/object_checks.h"
#include "store/object_map_odb.h"
#include "store/pack_write.h"
#include "store/postgres_packs.h"
#include "store/postgres_refs.h"
#include "store/postgres_schema.h"

namespace spoke {
namespace {

// A temporary directory, removed with everything in it when this goes.
struct TempDirectory {
  std::string path;
  ~TempDirectory() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};

Result<std::unique_ptr<TempDirectory>> MakeTempDirectory() {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string path = (base / "spoke-migrate-XXXXXX").string();
  if (mkdtemp(path.data()) == nullptr) {
    return Status::IOError("cannot create a directory in " + base.string() + ": " +
                           std::strerror(errno));
  }
  auto dir = std::make_unique<TempDirectory>();
  dir->path = path;
  return dir;
}

// The source's refs under refs/ (symbolic ones, HEAD, left out), by name.
Result<std::map<std::string, std::string>> SourceRefs(git_repository* repo) {
  git_reference_iterator* raw = nullptr;
  int rc = git_reference_iterator_new(&raw, repo);
  if (rc != 0) return GitError(rc, "cannot list the store's refs");
  RefIterPtr iterator(raw);
  std::map<std::string, std::string> refs;
  git_reference* ref = nullptr;
  while ((rc = git_reference_next(&ref, raw)) == 0) {
    RefPtr owned(ref);
    const char* name = git_reference_name(ref);
    if (git_reference_type(ref) != GIT_REFERENCE_DIRECT || std::strncmp(name, "refs/", 5) != 0) {
      continue;
    }
    refs[name] = OidHex(*git_reference_target(ref));
  }
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot list the store's refs");
  return refs;
}

// Walks the objects refs reach, checking each once as a received object is checked: present,
// hashing to its id (libgit2 verifies every read), of the type that names it, and passing
// CheckObject's rules.
class CheckedWalk {
 public:
  explicit CheckedWalk(git_odb* odb) : odb_(odb) {}

  // Walks from `target`, the target of `ref`, past the objects visited before; appends the objects
  // first reached here to `reached` (may be null).
  Status Walk(const std::string& ref, const std::string& target, std::vector<git_oid>* reached) {
    SPOKE_ASSIGN_OR_RETURN(git_oid start, ParseOid(target));
    std::vector<std::pair<git_oid, git_object_t>> stack = {{start, GIT_OBJECT_ANY}};
    std::vector<ObjectLink> links;
    while (!stack.empty()) {
      auto [id, expected] = stack.back();
      stack.pop_back();
      if (!seen_.insert(RawOidOf(id)).second) continue;
      git_odb_object* raw = nullptr;
      int rc = git_odb_read(&raw, odb_, &id);
      if (rc == GIT_ENOTFOUND) {
        return Status::Corruption("the store fails its fsck: " + ref + " reaches object " +
                                  OidHex(id) + ", which it lacks");
      }
      if (rc != 0) {
        return GitError(rc, "the store fails its fsck: " + ref + " reaches object " + OidHex(id) +
                                ", which cannot be read");
      }
      OdbObjectPtr object(raw);
      const git_object_t type = git_odb_object_type(raw);
      if (expected != GIT_OBJECT_ANY && type != expected) {
        return Status::Corruption("the store fails its fsck: " + ref + " reaches object " +
                                  OidHex(id) + " as a " + git_object_type2string(expected) +
                                  ", but it is a " + git_object_type2string(type));
      }
      links.clear();
      Status checked =
          CheckObject(type, id,
                      std::string_view(static_cast<const char*>(git_odb_object_data(raw)),
                                       git_odb_object_size(raw)),
                      &links);
      if (!checked.ok()) {
        return checked.WithContext("the store fails its fsck (reached from " + ref + ")");
      }
      ++checked_;
      if (reached != nullptr) reached->push_back(id);
      for (const ObjectLink& link : links) stack.emplace_back(link.to, link.type);
    }
    return Status::Ok();
  }

  int64_t checked() const { return checked_; }

 private:
  git_odb* odb_;
  std::set<std::string> seen_;  // by RawOidOf
  int64_t checked_ = 0;
};

// Whether commit `ancestor` is an ancestor of commit `descendant` in `repo` (false when either is
// not a commit there).
bool IsAncestor(git_repository* repo, const std::string& ancestor, const std::string& descendant) {
  Result<git_oid> from = ParseOid(ancestor);
  Result<git_oid> to = ParseOid(descendant);
  if (!from.ok() || !to.ok()) return false;
  git_object* raw = nullptr;
  if (git_object_lookup(&raw, repo, &*from, GIT_OBJECT_COMMIT) != 0) return false;
  ObjectPtr commit(raw);
  return git_graph_descendant_of(repo, &*to, &*from) == 1;
}

}  // namespace

Result<PostgresImport> ImportStoreToPostgres(
    const std::string& store_dir, const std::string& url,
    const std::function<void(const std::string&)>& progress) {
  auto say = [&progress](const std::string& line) {
    if (progress) progress(line);
  };
  EnsureLibgit2();
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<StoreBackend> source,
                         OpenFilesystemBackend(store_dir, /*create=*/false));
  SPOKE_ASSIGN_OR_RETURN(git_repository * raw_repo, source->OpenHandle());
  RepoPtr repo(raw_repo);
  git_odb* raw_odb = nullptr;
  int rc = git_repository_odb(&raw_odb, raw_repo);
  if (rc != 0) return GitError(rc, "cannot read the objects of " + source->Describe());
  OdbPtr odb(raw_odb);
  SPOKE_ASSIGN_OR_RETURN(auto refs, SourceRefs(raw_repo));
  PostgresImport summary;
  summary.refs = static_cast<int64_t>(refs.size());
  say("read " + std::to_string(refs.size()) + " refs from " + source->Describe());

  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<postgres::Connection> connection,
                         postgres::Connection::Open(url));
  SPOKE_RETURN_IF_ERROR(MigratePostgresSchema(*connection).status());
  SPOKE_ASSIGN_OR_RETURN(std::vector<RefEntry> stored, ListPostgresRefs(*connection, "refs/"));
  std::map<std::string, std::string> in_database;
  for (RefEntry& ref : stored) in_database[ref.name] = std::move(ref.target);

  // Present refs first: what they reach is stored already, so the missing refs' walk stops there.
  // A branch the store moved on since an earlier import (the database's target is an ancestor of
  // the store's) is moved too; its old target's closure is stored, so it is walked as present.
  std::vector<std::string> present, missing, conflicts;
  std::map<std::string, std::string> moved;  // name -> the database's target
  for (const auto& [name, target] : refs) {
    auto found = in_database.find(name);
    if (found == in_database.end()) {
      missing.push_back(name);
    } else if (found->second == target) {
      present.push_back(name);
    } else if (IsAncestor(raw_repo, found->second, target)) {
      moved[name] = found->second;
      missing.push_back(name);
    } else {
      std::string conflict = name;
      conflict += ": the database has " + found->second + ", the store " + target;
      conflicts.push_back(std::move(conflict));
    }
  }
  for (const auto& [name, target] : in_database) {
    if (!refs.count(name)) ++summary.other_refs;
  }
  summary.refs_present = static_cast<int64_t>(present.size());
  CheckedWalk walk(raw_odb);
  for (const std::string& name : present)
    SPOKE_RETURN_IF_ERROR(walk.Walk(name, refs[name], nullptr));
  std::vector<git_oid> unstored;
  for (const std::string& name : missing) {
    SPOKE_RETURN_IF_ERROR(walk.Walk(name, refs[name], &unstored));
  }
  summary.objects_checked = walk.checked();
  say("checked " + std::to_string(walk.checked()) + " objects: the store passes its fsck");
  if (!conflicts.empty()) {
    std::string listed;
    for (const std::string& conflict : conflicts) listed += "\n  " + conflict;
    return Status::Conflict(std::to_string(conflicts.size()) + " of the store's refs are in " +
                            connection->description() +
                            " with other targets; nothing was written:" + listed);
  }
  if (missing.empty()) {
    say("nothing to add: every ref is in the database already");
    return summary;
  }

  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<TempDirectory> work, MakeTempDirectory());
  std::vector<WrittenPack> packs;
  for (size_t begin = 0; begin < unstored.size(); begin += kImportPackObjects) {
    const size_t end = std::min(unstored.size(), begin + static_cast<size_t>(kImportPackObjects));
    const std::string dir = work->path + "/" + std::to_string(packs.size());
    std::error_code ec;
    std::filesystem::create_directory(dir, ec);
    if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
    SPOKE_ASSIGN_OR_RETURN(WrittenPack pack,
                           WritePackOf(raw_repo, unstored.data() + begin, end - begin, dir));
    say("packed " + std::to_string(pack.object_count) + " objects as pack " + pack.name);
    packs.push_back(std::move(pack));
  }

  SPOKE_ASSIGN_OR_RETURN(postgres::Transaction transaction,
                         postgres::Transaction::Begin(*connection));
  int64_t first_pack_id = 0;
  for (const WrittenPack& pack : packs) {
    Result<StoredPack> stored_pack = FindPack(*connection, pack.name);
    if (!stored_pack.ok() && stored_pack.status().code() != Status::Code::kNotFound) {
      return stored_pack.status();
    }
    if (!stored_pack.ok()) {
      SPOKE_ASSIGN_OR_RETURN(stored_pack, StorePackFiles(*connection, pack.name, pack.object_count,
                                                         pack.pack_path, pack.index_path));
      ++summary.packs_added;
      summary.pack_bytes += stored_pack->size + stored_pack->index_size;
      say("stored pack " + pack.name + " (" +
          std::to_string(stored_pack->size + stored_pack->index_size) + " bytes)");
    }
    if (first_pack_id == 0) first_pack_id = stored_pack->id;
  }
  SPOKE_RETURN_IF_ERROR(SetRefChangesPack(*connection, first_pack_id));
  std::vector<RefUpdate> updates;
  for (const std::string& name : missing) {
    auto old_target = moved.find(name);
    updates.push_back({name, old_target == moved.end() ? "" : old_target->second, refs[name]});
  }
  SPOKE_RETURN_IF_ERROR(ApplyRefUpdates(*connection, updates));
  SPOKE_RETURN_IF_ERROR(transaction.Commit());
  summary.refs_moved = static_cast<int64_t>(moved.size());
  summary.refs_added = static_cast<int64_t>(missing.size() - moved.size());
  summary.objects_added = static_cast<int64_t>(unstored.size());
  say("inserted " + std::to_string(summary.refs_added) + " refs and moved " +
      std::to_string(summary.refs_moved) + " in one transaction");
  return summary;
}

}  // namespace spoke
