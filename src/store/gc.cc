// `spoke gc` (gc.h): the gc lock, the survey of objects/ (loose objects and packs with their ids),
// the walk of everything the refs reach, the artifacts' eviction, the repack and the removal.
#include "spoke/gc.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "spoke/artifact_use.h"
#include "spoke/files.h"
#include "spoke/quarantine.h"
#include "spoke/refs.h"
#include "store/durable.h"
#include "store/git_handles.h"
#include "store/store_impl.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

// An flock held for as long as this object lives; the kernel drops it if the process dies.
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Takes the lock on `path` (created when absent). With `wait` false, Conflict when another
  // process holds it.
  Status Take(const std::string& path, bool wait) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
      if (errno == EWOULDBLOCK && !wait) return Status::Conflict("held");
      if (errno != EINTR)
        return Status::IOError("cannot lock " + path + ": " + std::strerror(errno));
    }
    return Status::Ok();
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// The gc lock: one gc per store. Its file holds the holder's pid, so a refusal can name it.
Status TakeGcLock(const std::string& store_path, FileLock* lock) {
  const std::string path = (fs::path(store_path) / "gc.lock").string();
  Status taken = lock->Take(path, /*wait=*/false);
  if (taken.code() == Status::Code::kConflict) {
    auto holder = ReadFileToString(path);
    std::string pid = holder.ok() ? *holder : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Status::Conflict("another gc is running on " + store_path +
                            (pid.empty() ? "" : " (pid " + pid + ")") + "; wait for it to finish");
  }
  SPOKE_RETURN_IF_ERROR(taken);
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock->fd(), 0) != 0 ||
      ::pwrite(lock->fd(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

// A file of objects/ that holds objects: a loose object, or a pack (with its index and the files
// beside it).
struct Container {
  std::vector<fs::path> files;  // for a pack: .idx first, so it disappears from readers first
  std::vector<git_oid> ids;
  fs::path dated;  // the file whose mtime says how fresh the objects are (the .pack of a pack)
  int64_t mtime = 0;
  uint64_t bytes = 0;
  bool pack = false;
  bool keep = false;  // a pack with a .keep file, which git never repacks either
};

struct OidHash {
  size_t operator()(const git_oid& id) const {
    size_t h;
    std::memcpy(&h, id.id, sizeof(h));
    return h;
  }
};
struct OidEq {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_equal(&a, &b); }
};
using OidSet = std::unordered_set<git_oid, OidHash, OidEq>;

bool IsHex(const std::string& text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

uint64_t FileSize(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

int64_t ModifiedAt(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtime);
}

// The object ids a pack index (version 2, the only one git has written since 2007) lists.
Status ReadPackIndexIds(const fs::path& idx, std::vector<git_oid>* ids) {
  auto read = ReadFileToString(idx.string());
  if (!read.ok()) return read.status();
  const std::string& bytes = *read;
  static const unsigned char kMagic[] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
  constexpr size_t kHeader = 8, kFanout = 256 * 4;
  if (bytes.size() < kHeader + kFanout || std::memcmp(bytes.data(), kMagic, kHeader) != 0)
    return Status::Corruption(idx.string() + " is not a version 2 pack index");
  const auto* last = reinterpret_cast<const unsigned char*>(bytes.data() + kHeader + kFanout - 4);
  const size_t count =
      (size_t{last[0]} << 24) | (size_t{last[1]} << 16) | (size_t{last[2]} << 8) | size_t{last[3]};
  if (bytes.size() < kHeader + kFanout + count * GIT_OID_RAWSZ)
    return Status::Corruption(idx.string() + " is cut short");
  ids->resize(count);
  for (size_t i = 0; i < count; ++i) {
    git_oid_fromraw(&(*ids)[i], reinterpret_cast<const unsigned char*>(
                                    bytes.data() + kHeader + kFanout + i * GIT_OID_RAWSZ));
  }
  return Status::Ok();
}

// Every loose object and every pack of objects/.
Result<std::vector<Container>> SurveyObjects(const fs::path& objects) {
  std::vector<Container> found;
  std::error_code ec;
  for (fs::directory_iterator dir(objects, ec), end; !ec && dir != end; dir.increment(ec)) {
    const std::string fan = dir->path().filename().string();
    if (!IsHex(fan, 2)) continue;
    std::error_code inner_ec;
    for (fs::directory_iterator file(dir->path(), inner_ec); !inner_ec && file != end;
         file.increment(inner_ec)) {
      const std::string rest = file->path().filename().string();
      if (!IsHex(rest, 2 * GIT_OID_RAWSZ - 2)) continue;  // a temporary file of a writer
      Container loose;
      git_oid id;
      if (git_oid_fromstr(&id, (fan + rest).c_str()) != 0) continue;
      loose.ids.push_back(id);
      loose.files.push_back(file->path());
      loose.dated = file->path();
      loose.mtime = ModifiedAt(file->path());
      loose.bytes = FileSize(file->path());
      found.push_back(std::move(loose));
    }
  }
  if (ec) return Status::IOError("cannot list " + objects.string() + ": " + ec.message());
  const fs::path packs = objects / "pack";
  for (fs::directory_iterator file(packs, ec), end; !ec && file != end; file.increment(ec)) {
    const fs::path idx = file->path();
    if (idx.extension() != ".idx") continue;
    fs::path pack_file = idx;
    pack_file.replace_extension(".pack");
    if (!fs::exists(pack_file)) continue;  // a pack being moved in: .pack comes before .idx
    Container pack;
    pack.pack = true;
    SPOKE_RETURN_IF_ERROR(ReadPackIndexIds(idx, &pack.ids));
    pack.files.push_back(idx);
    for (const char* ext : {".pack", ".rev", ".bitmap", ".mtimes"}) {
      fs::path other = idx;
      other.replace_extension(ext);
      if (fs::exists(other)) pack.files.push_back(other);
    }
    for (const auto& f : pack.files) pack.bytes += FileSize(f);
    fs::path keep = idx;
    keep.replace_extension(".keep");
    pack.keep = fs::exists(keep);
    // libgit2 and git freshen an object that a write finds already stored by touching its pack.
    pack.dated = pack_file;
    pack.mtime = ModifiedAt(pack_file);
    found.push_back(std::move(pack));
  }
  return found;
}

// Every direct ref, name -> target; `skip` names refs to leave out (artifacts being dropped).
Result<std::map<std::string, git_oid>> SnapshotRefs(git_repository* repo,
                                                    const std::set<std::string>& skip) {
  git_reference_iterator* raw = nullptr;
  int rc = git_reference_iterator_new(&raw, repo);
  if (rc != 0) return GitError(rc, "cannot list refs");
  RefIterPtr iter(raw);
  std::map<std::string, git_oid> refs;
  git_reference* ref = nullptr;
  while ((rc = git_reference_next(&ref, iter.get())) == 0) {
    RefPtr owned(ref);
    if (git_reference_type(ref) != GIT_REFERENCE_DIRECT) continue;
    if (skip.count(git_reference_name(ref))) continue;
    refs[git_reference_name(ref)] = *git_reference_target(ref);
  }
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot list refs");
  return refs;
}

// Adds to `reached` everything `start` reaches (a tag's target, a commit's tree and parents, a
// tree's entries) that is not in `stop`, nor in `reached` already. An object the store lacks is
// left out (the walk does not fail on a store an older Spoke left incomplete).
Status Walk(git_repository* repo, git_odb* odb, const git_oid& start, const OidSet& stop,
            OidSet* reached) {
  std::vector<git_oid> pending = {start};
  while (!pending.empty()) {
    git_oid id = pending.back();
    pending.pop_back();
    if (stop.count(id) || reached->count(id)) continue;
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, odb, &id) != 0) continue;
    reached->insert(id);
    if (type == GIT_OBJECT_BLOB) continue;
    git_object* raw = nullptr;
    int rc = git_object_lookup(&raw, repo, &id, type);
    if (rc != 0) return GitError(rc, "cannot read object " + OidHex(id));
    ObjectPtr object(raw);
    if (type == GIT_OBJECT_TAG) {
      pending.push_back(*git_tag_target_id(reinterpret_cast<git_tag*>(raw)));
    } else if (type == GIT_OBJECT_COMMIT) {
      auto* commit = reinterpret_cast<git_commit*>(raw);
      pending.push_back(*git_commit_tree_id(commit));
      for (unsigned i = 0; i < git_commit_parentcount(commit); ++i)
        pending.push_back(*git_commit_parent_id(commit, i));
    } else if (type == GIT_OBJECT_TREE) {
      auto* tree = reinterpret_cast<git_tree*>(raw);
      for (size_t i = 0; i < git_tree_entrycount(tree); ++i) {
        const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
        if (git_tree_entry_type(entry) == GIT_OBJECT_COMMIT) continue;  // a gitlink
        pending.push_back(*git_tree_entry_id(entry));
      }
    }
  }
  return Status::Ok();
}

// The bytes of the distinct blobs of an artifact's snapshot commit.
uint64_t ArtifactBytes(git_repository* repo, git_odb* odb, const git_oid& commit) {
  OidSet blobs, none;
  if (!Walk(repo, odb, commit, none, &blobs).ok()) return 0;
  uint64_t bytes = 0;
  for (const auto& id : blobs) {
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, odb, &id) == 0 && type == GIT_OBJECT_BLOB) bytes += size;
  }
  return bytes;
}

struct ArtifactRefEntry {
  std::string ref;
  git_oid target;
  GcArtifact artifact;
};

// Picks the least recently used artifacts to drop until the rest fit in `max_bytes`.
Result<std::vector<ArtifactRefEntry>> PlanArtifactEviction(git_repository* repo, git_odb* odb,
                                                           const std::string& store_path,
                                                           uint64_t max_bytes, GcReport* report) {
  SPOKE_ASSIGN_OR_RETURN(auto refs, SnapshotRefs(repo, {}));
  std::vector<ArtifactRefEntry> artifacts;
  for (const auto& [name, target] : refs) {
    std::string key;
    if (!ParseArtifactRef(name, &key)) continue;
    ArtifactRefEntry entry{name, target, {key, ArtifactBytes(repo, odb, target), 0}};
    entry.artifact.last_used = LastArtifactUse(store_path, key);
    // Never used since it was stored: the ref's own file says when that was.
    if (entry.artifact.last_used == 0)
      entry.artifact.last_used = ModifiedAt(fs::path(store_path) / name);
    report->artifact_bytes_before += entry.artifact.bytes;
    artifacts.push_back(std::move(entry));
  }
  report->artifacts_before = artifacts.size();
  report->artifact_bytes_after = report->artifact_bytes_before;
  std::vector<ArtifactRefEntry> evict;
  if (max_bytes == 0 || report->artifact_bytes_before <= max_bytes) return evict;
  std::sort(artifacts.begin(), artifacts.end(), [](const auto& a, const auto& b) {
    return a.artifact.last_used != b.artifact.last_used
               ? a.artifact.last_used < b.artifact.last_used
               : a.artifact.key < b.artifact.key;
  });
  for (auto& entry : artifacts) {
    if (report->artifact_bytes_after <= max_bytes) break;
    report->artifact_bytes_after -= entry.artifact.bytes;
    report->artifacts_removed.push_back(entry.artifact);
    evict.push_back(std::move(entry));
  }
  return evict;
}

// Deletes the artifact refs of `evict` that still point where they did, under the ref writer lock
// every Spoke writer takes (refs.cc).
Status DeleteArtifactRefs(git_repository* repo, const std::string& store_path,
                          const std::vector<ArtifactRefEntry>& evict) {
  FileLock refs_lock;
  SPOKE_RETURN_IF_ERROR(
      refs_lock.Take((fs::path(store_path) / "spoke-refs.lock").string(), /*wait=*/true));
  for (const auto& entry : evict) {
    git_reference* raw = nullptr;
    int rc = git_reference_lookup(&raw, repo, entry.ref.c_str());
    if (rc == GIT_ENOTFOUND) continue;
    if (rc != 0) return GitError(rc, "cannot read " + entry.ref);
    RefPtr ref(raw);
    if (!git_oid_equal(git_reference_target(raw), &entry.target)) continue;
    rc = git_reference_delete(raw);
    if (rc != 0) return GitError(rc, "cannot delete " + entry.ref);
    ForgetArtifactUse(store_path, entry.artifact.key);
  }
  return Status::Ok();
}

// Stale quarantines: spoke-incoming/ entries older than the grace whose lock no process holds.
int SweepStaleQuarantines(const std::string& store_path, int64_t cutoff, bool dry_run) {
  const fs::path root = fs::path(store_path) / "spoke-incoming";
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path path = it->path();
    const std::string name = path.filename().string();
    if (name.rfind("q-", 0) != 0 && name.rfind("n-", 0) != 0) continue;
    if (ModifiedAt(path) >= cutoff) continue;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      std::error_code remove_ec;
      if (dry_run || (fs::remove_all(path, remove_ec) > 0 && !remove_ec)) ++removed;
    }
    ::close(fd);
  }
  return removed;
}

// Writes every object of `ids` as one pack into objects/pack/ (through a quarantine, synced, .pack
// before .idx); returns its name ("pack-<hash>"), or "" when `ids` is empty.
Result<std::string> WritePack(git_repository* repo, const std::string& store_path,
                              const OidSet& ids) {
  if (ids.empty()) return std::string();
  git_packbuilder* raw = nullptr;
  int rc = git_packbuilder_new(&raw, repo);
  if (rc != 0) return GitError(rc, "cannot start a pack");
  PackbuilderPtr pb(raw);
  git_packbuilder_set_threads(raw, 0);
  for (const auto& id : ids) {
    rc = git_packbuilder_insert(raw, &id, nullptr);
    if (rc != 0) return GitError(rc, "cannot add " + OidHex(id) + " to the pack");
  }
  Quarantine quarantine(store_path);
  if (!quarantine.ok()) return Status::IOError("cannot create a quarantine in " + store_path);
  rc = git_packbuilder_write(raw, quarantine.dir().c_str(), 0, nullptr, nullptr);
  if (rc != 0) return GitError(rc, "cannot write the pack");
  const std::string name = std::string("pack-") + git_packbuilder_name(raw);
  const fs::path packs = fs::path(store_path) / "objects" / "pack";
  for (const char* ext : {".pack", ".idx"}) {
    const fs::path from = quarantine.dir() / (name + ext);
    SPOKE_RETURN_IF_ERROR(SyncPath(from.string()));
    if (::rename(from.c_str(), (packs / (name + ext)).c_str()) != 0)
      return Status::IOError("cannot move " + from.string() + " into " + packs.string() + ": " +
                             std::strerror(errno));
  }
  SPOKE_RETURN_IF_ERROR(SyncPath(packs.string()));
  return name;
}

// Tells every process with the store open that packs were removed (store_impl.h, GcStamp).
Status MoveGcStamp(const std::string& store_path) {
  const std::string stamp = (fs::path(store_path) / kGcStampFile).string();
  int fd = ::open(stamp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot write " + stamp + ": " + std::strerror(errno));
  const int rc = ::futimens(fd, nullptr);
  ::close(fd);
  if (rc != 0) return Status::IOError("cannot touch " + stamp + ": " + std::strerror(errno));
  return Status::Ok();
}

struct Totals {
  uint64_t objects = 0, bytes = 0, packs = 0, loose = 0;
};

Totals Count(const std::vector<Container>& containers) {
  Totals totals;
  OidSet ids;
  for (const auto& c : containers) {
    totals.bytes += c.bytes;
    (c.pack ? totals.packs : totals.loose) += 1;
    ids.insert(c.ids.begin(), c.ids.end());
  }
  totals.objects = ids.size();
  return totals;
}

}  // namespace

Result<GcReport> CollectGarbage(const std::string& store_path, const GcOptions& options) {
  EnsureLibgit2();
  const fs::path root = store_path;
  std::error_code ec;
  if (!fs::exists(root / "HEAD", ec) || !fs::is_directory(root / "objects", ec))
    return Status::NotFound("no store at " + store_path);
  FileLock gc_lock;
  SPOKE_RETURN_IF_ERROR(TakeGcLock(store_path, &gc_lock));
  git_repository* repo_raw = nullptr;
  int rc = git_repository_open_bare(&repo_raw, store_path.c_str());
  if (rc != 0) return GitError(rc, "cannot open the store at " + store_path);
  RepoPtr repo(repo_raw);
  git_odb* odb_raw = nullptr;
  rc = git_repository_odb(&odb_raw, repo.get());
  if (rc != 0) return GitError(rc, "cannot open the objects of " + store_path);
  OdbPtr odb(odb_raw);

  GcReport report;
  report.dry_run = options.dry_run;
  const int64_t cutoff =
      static_cast<int64_t>(std::time(nullptr)) - options.prune_older_than.count();
  report.quarantines_removed = SweepStaleQuarantines(store_path, cutoff, options.dry_run);

  SPOKE_ASSIGN_OR_RETURN(auto evict, PlanArtifactEviction(repo.get(), odb.get(), store_path,
                                                          options.max_artifact_bytes, &report));
  std::set<std::string> dropped;
  for (const auto& entry : evict) dropped.insert(entry.ref);
  if (!options.dry_run) SPOKE_RETURN_IF_ERROR(DeleteArtifactRefs(repo.get(), store_path, evict));

  // Survey first, then the refs: an object written after the survey is in no container this gc
  // removes, and one written before it that a later ref reaches is caught at the final step.
  SPOKE_ASSIGN_OR_RETURN(std::vector<Container> containers, SurveyObjects(root / "objects"));
  const Totals before = Count(containers);
  report.objects_before = before.objects;
  report.bytes_before = before.bytes;
  report.packs_before = before.packs;
  report.loose_before = before.loose;

  SPOKE_ASSIGN_OR_RETURN(auto first_refs, SnapshotRefs(repo.get(), dropped));
  OidSet reachable;
  const OidSet none;
  for (const auto& [name, target] : first_refs)
    SPOKE_RETURN_IF_ERROR(Walk(repo.get(), odb.get(), target, none, &reachable));

  // What stays where it is: packs with a .keep, and fresh files (younger than the grace) holding
  // an object no ref reaches, which may be a write in flight. A file whose every object is
  // reachable goes whatever its age: the new pack holds all of them (an earlier gc's pack too).
  const bool grace = options.prune_older_than.count() > 0;
  std::vector<bool> keep(containers.size(), false);
  for (size_t i = 0; i < containers.size(); ++i) {
    const Container& c = containers[i];
    bool unreferenced = false;
    for (const auto& id : c.ids) unreferenced = unreferenced || !reachable.count(id);
    keep[i] = c.keep || (grace && c.mtime >= cutoff && unreferenced);
  }
  auto plan_after = [&]() {
    OidSet after = reachable;
    for (size_t i = 0; i < containers.size(); ++i) {
      if (keep[i]) after.insert(containers[i].ids.begin(), containers[i].ids.end());
    }
    return after;
  };
  {
    OidSet all;
    for (const auto& c : containers) all.insert(c.ids.begin(), c.ids.end());
    OidSet after = plan_after();
    for (const auto& id : all) {
      if (reachable.count(id)) continue;
      ++report.unreferenced;
      if (after.count(id)) ++report.kept_by_grace;
    }
    report.objects_removed = report.unreferenced - report.kept_by_grace;
  }

  if (options.dry_run) {
    // What certainly goes: the containers that are not kept and hold nothing a ref reaches. The
    // rest is repacked, at about the size it has now.
    report.objects_after = report.objects_before - report.objects_removed;
    report.bytes_after = report.bytes_before;
    report.packs_after = report.packs_before;
    report.loose_after = report.loose_before;
    for (size_t i = 0; i < containers.size(); ++i) {
      const Container& c = containers[i];
      if (keep[i]) continue;
      bool holds_reachable = false;
      for (const auto& id : c.ids) holds_reachable = holds_reachable || reachable.count(id) > 0;
      if (holds_reachable) continue;
      report.bytes_after -= c.bytes;
      (c.pack ? report.packs_after : report.loose_after) -= 1;
    }
    return report;
  }

  SPOKE_ASSIGN_OR_RETURN(std::string new_pack, WritePack(repo.get(), store_path, reachable));
  if (options.before_final_step) options.before_final_step();
  {
    // The final step: no ref moves while the refs are read again and the old files go.
    FileLock refs_lock;
    SPOKE_RETURN_IF_ERROR(refs_lock.Take((root / "spoke-refs.lock").string(), /*wait=*/true));
    SPOKE_ASSIGN_OR_RETURN(auto second_refs, SnapshotRefs(repo.get(), {}));
    OidSet late;
    for (const auto& [name, target] : second_refs) {
      auto first = first_refs.find(name);
      if (first != first_refs.end() && git_oid_equal(&first->second, &target)) continue;
      SPOKE_RETURN_IF_ERROR(Walk(repo.get(), odb.get(), target, reachable, &late));
    }
    for (size_t i = 0; i < containers.size(); ++i) {
      const Container& c = containers[i];
      if (c.pack && !new_pack.empty() && c.files[0].stem() == new_pack) keep[i] = true;
      bool unreferenced = false;
      for (const auto& id : c.ids) {
        keep[i] = keep[i] || late.count(id) > 0;
        unreferenced = unreferenced || !reachable.count(id);
      }
      // Freshened since the survey: a write found an object here and relies on it (libgit2 and
      // git touch the file instead of writing the object again). One that finds the file gone
      // after this writes the object anew.
      if (grace && unreferenced && ModifiedAt(c.dated) >= cutoff) keep[i] = true;
    }
    std::set<fs::path> fan_dirs;
    for (size_t i = 0; i < containers.size(); ++i) {
      if (keep[i]) continue;
      for (const auto& file : containers[i].files) {
        if (::unlink(file.c_str()) != 0 && errno != ENOENT)
          return Status::IOError("cannot remove " + file.string() + ": " + std::strerror(errno));
      }
      if (!containers[i].pack) fan_dirs.insert(containers[i].files[0].parent_path());
    }
    for (const auto& dir : fan_dirs) {
      if (::rmdir(dir.c_str()) != 0) SPOKE_RETURN_IF_ERROR(SyncPath(dir.string()));
    }
    SPOKE_RETURN_IF_ERROR(SyncPath((root / "objects" / "pack").string()));
    SPOKE_RETURN_IF_ERROR(SyncPath((root / "objects").string()));
    // Before the lock goes: a writer that takes it next already sees the stamp moved.
    SPOKE_RETURN_IF_ERROR(MoveGcStamp(store_path));
  }
  SPOKE_ASSIGN_OR_RETURN(std::vector<Container> remaining, SurveyObjects(root / "objects"));
  const Totals after = Count(remaining);
  report.objects_after = after.objects;
  report.bytes_after = after.bytes;
  report.packs_after = after.packs;
  report.loose_after = after.loose;
  return report;
}

}  // namespace spoke
