// Opening a store, the handle pool, and every read-only operation.
#include "spoke/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <thread>

#include "spoke/digest.h"
#include "spoke/names.h"
#include "spoke/refs.h"
#include "spoke/semver.h"
#include "store/blob_pack.h"
#include "store/store_impl.h"
#include "util/parallel.h"

namespace spoke {

Result<TreePtr> CommitTree(git_repository* repo, const std::string& commit_hex) {
  SPOKE_ASSIGN_OR_RETURN(git_oid id, ParseOid(commit_hex));
  git_commit* commit_raw = nullptr;
  int rc = git_commit_lookup(&commit_raw, repo, &id);
  if (rc != 0) return GitError(rc, "cannot read commit " + commit_hex);
  CommitPtr commit(commit_raw);
  git_tree* tree = nullptr;
  rc = git_commit_tree(&tree, commit_raw);
  if (rc != 0) return GitError(rc, "cannot read the tree of commit " + commit_hex);
  return TreePtr(tree);
}

Store::Impl::~Impl() {
  for (git_repository* repo : pool) git_repository_free(repo);
}

Status Store::Impl::RequireDirectory(const std::string& what) const {
  if (!path.empty()) return Status::Ok();
  return Status::FailedPrecondition(backend->Describe() + " keeps no files, so it cannot " + what +
                                    "; use a store on disk (Store::Open with a path)");
}

Result<std::string> Store::Impl::IncomingRoot() const {
  if (!path.empty()) return path;
  if (!incoming_dir.empty()) return incoming_dir;
  SPOKE_RETURN_IF_ERROR(RequireDirectory("receive a pack"));
  return path;
}

void Store::SetIncomingDirectory(const std::string& dir) { impl_->incoming_dir = dir; }

int64_t GcStamp(const std::string& store_path) {
  if (store_path.empty()) return 0;
  struct stat st {};
  const std::string stamp = store_path + "/" + kGcStampFile;
  if (::stat(stamp.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// What the pooled handles were opened under: a gc's stamp on files, the backend's removed-packs
// generation without them.
int64_t HandleStamp(const Store::Impl* impl) {
  return impl->path.empty() ? impl->backend->RemovedPacksGeneration() : GcStamp(impl->path);
}

Result<RepoLease> RepoLease::Take(Store::Impl* impl) {
  const int64_t stamp = HandleStamp(impl);
  {
    std::lock_guard<std::mutex> lock(impl->pool_mutex);
    if (stamp != impl->gc_stamp) {
      // A gc (or the backend) removed packs these handles may hold open: new handles see only
      // what is there.
      for (git_repository* repo : impl->pool) git_repository_free(repo);
      impl->pool.clear();
      impl->gc_stamp = stamp;
    }
    if (!impl->pool.empty()) {
      git_repository* repo = impl->pool.back();
      impl->pool.pop_back();
      return RepoLease(impl, repo, stamp);
    }
  }
  SPOKE_ASSIGN_OR_RETURN(git_repository * repo, impl->backend->OpenHandle());
  return RepoLease(impl, repo, stamp);
}

RepoLease::~RepoLease() {
  if (!repo_) return;
  std::lock_guard<std::mutex> lock(impl_->pool_mutex);
  if (stamp_ != impl_->gc_stamp) {
    git_repository_free(repo_);
    return;
  }
  impl_->pool.push_back(repo_);
}

Result<SignaturePtr> SpokeSignature() {
  const char* name = std::getenv("SPOKE_AUTHOR_NAME");
  const char* email = std::getenv("SPOKE_AUTHOR_EMAIL");
  git_signature* sig = nullptr;
  int rc = git_signature_now(&sig, name && *name ? name : "Spoke",
                             email && *email ? email : "spoke@localhost");
  if (rc != 0) return GitError(rc, "cannot make a signature");
  return SignaturePtr(sig);
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

const std::string& Store::path() const { return impl_->path; }

void Store::SetVersionCheck(VersionCheck check) { impl_->version_check = std::move(check); }
void Store::SetPublishListener(PublishListener listener) {
  impl_->publish_listener = std::move(listener);
}

void Store::SetStageHook(std::function<void(const std::string&)> hook) {
  impl_->stage_hook = std::move(hook);
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, bool create) {
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<StoreBackend> backend,
                         OpenFilesystemBackend(path, create));
  return Open(std::move(backend));
}

Result<std::unique_ptr<Store>> Store::Open(std::unique_ptr<StoreBackend> backend) {
  if (!backend) return Status::InvalidArgument("a store needs a backend");
  EnsureLibgit2();
  auto impl = std::make_unique<Impl>();
  impl->path = backend->directory();
  impl->backend = std::move(backend);
  impl->gc_stamp = HandleStamp(impl.get());
  SPOKE_ASSIGN_OR_RETURN(git_repository * repo, impl->backend->OpenHandle());
  impl->pool.push_back(repo);
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<std::vector<RefEntry>> Store::ListRefs(const std::string& prefix) const {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  git_reference_iterator* raw = nullptr;
  std::string glob = prefix + "*";
  int rc = prefix.empty() ? git_reference_iterator_new(&raw, lease.get())
                          : git_reference_iterator_glob_new(&raw, lease.get(), glob.c_str());
  if (rc != 0) return GitError(rc, "cannot list refs");
  RefIterPtr iter(raw);
  std::vector<RefEntry> refs;
  git_reference* ref = nullptr;
  while ((rc = git_reference_next(&ref, iter.get())) == 0) {
    RefPtr owned(ref);
    if (git_reference_type(ref) != GIT_REFERENCE_DIRECT) continue;
    RefEntry entry;
    entry.name = git_reference_name(ref);
    if (entry.name.rfind(prefix, 0) != 0) continue;
    entry.target = OidHex(*git_reference_target(ref));
    git_object* peeled = nullptr;
    if (entry.name.rfind(kTagRefsPrefix, 0) == 0 &&
        git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0) {
      entry.peeled = OidHex(*git_object_id(peeled));
      git_object_free(peeled);
    }
    refs.push_back(std::move(entry));
  }
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot list refs");
  std::sort(refs.begin(), refs.end(),
            [](const RefEntry& a, const RefEntry& b) { return a.name < b.name; });
  return refs;
}

Result<std::string> Store::ResolveRef(const std::string& name) const {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  git_oid oid;
  int rc = git_reference_name_to_id(&oid, lease.get(), name.c_str());
  if (rc == GIT_ENOTFOUND) return std::string();
  if (rc != 0) return GitError(rc, "cannot resolve " + name);
  return OidHex(oid);
}

bool Store::HasObject(const std::string& id) const {
  auto oid = ParseOid(id);
  if (!oid.ok()) return false;
  auto lease = RepoLease::Take(impl_.get());
  if (!lease.ok()) return false;
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, lease->get()) != 0) return false;
  OdbPtr owned(odb);
  return git_odb_exists(odb, &*oid) == 1;
}

Result<std::vector<std::string>> Store::ListModules() const {
  SPOKE_ASSIGN_OR_RETURN(auto refs, ListRefs(kBranchRefsPrefix));
  std::vector<std::string> modules;
  for (const auto& ref : refs) {
    std::string module;
    if (ParseModuleBranchRef(ref.name, &module)) modules.push_back(module);
  }
  std::sort(modules.begin(), modules.end());
  return modules;
}

Result<std::vector<std::string>> Store::ListVersions(const std::string& module) const {
  SPOKE_RETURN_IF_ERROR(ValidateModuleName(module));
  SPOKE_ASSIGN_OR_RETURN(auto refs, ListRefs(ModuleTagRefsPrefix(module)));
  std::vector<std::string> versions;
  for (const auto& ref : refs) {
    std::string m, v;
    // The prefix also matches tags of modules nested under this one ("a/b/v1.0.0" for "a").
    if (ParseVersionTagRef(ref.name, &m, &v) && m == module) versions.push_back(v);
  }
  SortVersions(&versions);
  return versions;
}

Result<std::string> ReadBlobAtPath(git_repository* repo, git_tree* tree, const std::string& path,
                                   std::string* blob_id) {
  git_tree_entry* entry = nullptr;
  int rc = git_tree_entry_bypath(&entry, tree, path.c_str());
  if (rc == GIT_ENOTFOUND) return Status::NotFound("no file " + path);
  if (rc != 0) return GitError(rc, "cannot read " + path);
  GitPtr<git_tree_entry, git_tree_entry_free> owned(entry);
  if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return Status::NotFound("no file " + path);
  git_blob* raw = nullptr;
  rc = git_blob_lookup(&raw, repo, git_tree_entry_id(entry));
  if (rc != 0) return GitError(rc, "cannot read " + path);
  BlobPtr blob(raw);
  if (blob_id) *blob_id = OidHex(*git_tree_entry_id(entry));
  return std::string(static_cast<const char*>(git_blob_rawcontent(raw)),
                     static_cast<size_t>(git_blob_rawsize(raw)));
}

Result<VersionInfo> ReadVersionFromTag(git_repository* repo, const git_oid& tag_id) {
  git_tag* tag_raw = nullptr;
  int rc = git_tag_lookup(&tag_raw, repo, &tag_id);
  if (rc != 0) return GitError(rc, "version tag " + OidHex(tag_id) + " is not an annotated tag");
  TagPtr tag(tag_raw);
  if (git_tag_target_type(tag_raw) != GIT_OBJECT_COMMIT) {
    return Status::Corruption("version tag " + OidHex(tag_id) + " does not point at a commit");
  }
  git_commit* commit_raw = nullptr;
  rc = git_commit_lookup(&commit_raw, repo, git_tag_target_id(tag_raw));
  if (rc != 0) return GitError(rc, "cannot read the commit of tag " + OidHex(tag_id));
  CommitPtr commit(commit_raw);
  git_tree* tree_raw = nullptr;
  rc = git_commit_tree(&tree_raw, commit_raw);
  if (rc != 0) return GitError(rc, "cannot read the tree of tag " + OidHex(tag_id));
  TreePtr tree(tree_raw);
  auto text = ReadBlobAtPath(repo, tree_raw, kManifestPath, nullptr);
  if (!text.ok()) {
    return Status::Corruption("version commit " + OidHex(*git_commit_id(commit_raw)) + " has no " +
                              kManifestPath);
  }
  SPOKE_ASSIGN_OR_RETURN(Manifest manifest, Manifest::Parse(*text));
  std::string expected_name = manifest.module + "/" + manifest.version;
  if (expected_name != git_tag_name(tag_raw)) {
    return Status::Corruption("tag " + std::string(git_tag_name(tag_raw)) +
                              " holds a manifest for " + expected_name);
  }
  VersionInfo info;
  info.module = manifest.module;
  info.version = manifest.version;
  info.tag_id = OidHex(tag_id);
  info.commit_id = OidHex(*git_commit_id(commit_raw));
  info.created = git_commit_time(commit_raw);
  info.manifest = std::move(manifest);
  return info;
}

Result<VersionInfo> Store::GetVersion(const std::string& module, const std::string& version) const {
  SPOKE_RETURN_IF_ERROR(ValidateModuleName(module));
  std::string resolved = version;
  if (version == "latest") {
    SPOKE_ASSIGN_OR_RETURN(auto versions, ListVersions(module));
    auto highest = HighestRelease(versions);
    if (!highest) return Status::NotFound("module " + module + " has no release version");
    resolved = *highest;
  } else {
    SPOKE_RETURN_IF_ERROR(SemVer::Parse(version).status());
  }
  // A version read before costs no object read, nor even a ref lookup (read_cache.h says why
  // that cannot go stale).
  if (auto tag_hex = impl_->read_cache.FindTag(module, resolved)) {
    if (auto cached = impl_->read_cache.FindVersion(*tag_hex)) return std::move(*cached);
  }
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  git_oid tag_id;
  int rc = git_reference_name_to_id(&tag_id, lease.get(), VersionTagRef(module, resolved).c_str());
  if (rc == GIT_ENOTFOUND)
    return Status::NotFound("version " + module + "@" + resolved + " does not exist");
  if (rc != 0) return GitError(rc, "cannot read " + module + "@" + resolved);
  SPOKE_ASSIGN_OR_RETURN(VersionInfo info, ReadVersionFromTag(lease.get(), tag_id));
  impl_->read_cache.PutVersion(info);
  impl_->read_cache.PutTag(module, resolved, info.tag_id);
  return info;
}

Result<FileSet> ReadVerifiedFiles(git_repository* repo, const git_oid& commit_id,
                                  const Manifest& manifest) {
  git_commit* commit_raw = nullptr;
  int rc = git_commit_lookup(&commit_raw, repo, &commit_id);
  if (rc != 0) return GitError(rc, "cannot read commit " + OidHex(commit_id));
  CommitPtr commit(commit_raw);
  git_tree* tree_raw = nullptr;
  rc = git_commit_tree(&tree_raw, commit_raw);
  if (rc != 0) return GitError(rc, "cannot read tree of " + OidHex(commit_id));
  TreePtr tree(tree_raw);

  struct WalkState {
    git_repository* repo;
    FileSet files;
    Status status;
  } state{repo, {}, Status::Ok()};
  rc = git_tree_walk(
      tree_raw, GIT_TREEWALK_PRE,
      [](const char* root, const git_tree_entry* entry, void* payload) -> int {
        auto* s = static_cast<WalkState*>(payload);
        git_object_t type = git_tree_entry_type(entry);
        if (type == GIT_OBJECT_TREE) return 0;
        std::string path = std::string(root) + git_tree_entry_name(entry);
        if (path == kManifestPath) return 0;
        if (type != GIT_OBJECT_BLOB) {
          s->status = Status::Corruption("unexpected entry " + path + " in a version tree");
          return -1;
        }
        git_blob* blob = nullptr;
        int lookup = git_blob_lookup(&blob, s->repo, git_tree_entry_id(entry));
        if (lookup != 0) {
          s->status = GitError(lookup, "cannot read " + path);
          return -1;
        }
        s->files.emplace(path, std::string(static_cast<const char*>(git_blob_rawcontent(blob)),
                                           static_cast<size_t>(git_blob_rawsize(blob))));
        git_blob_free(blob);
        return 0;
      },
      &state);
  if (!state.status.ok()) return state.status;
  if (rc != 0) return GitError(rc, "cannot walk tree of " + OidHex(commit_id));
  std::vector<ManifestFile> described = DescribeFiles(state.files);
  if (described.size() != manifest.files.size()) {
    return Status::Corruption("version " + manifest.module + "@" + manifest.version + " has " +
                              std::to_string(described.size()) + " files but its manifest lists " +
                              std::to_string(manifest.files.size()));
  }
  for (size_t i = 0; i < described.size(); ++i) {
    const ManifestFile& listed = manifest.files[i];
    if (described[i].path != listed.path || described[i].sha256 != listed.sha256 ||
        described[i].size != listed.size) {
      return Status::Corruption("file " + described[i].path + " of " + manifest.module + "@" +
                                manifest.version + " does not match its manifest");
    }
  }
  return std::move(state.files);
}

Result<FileSet> Store::ReadFiles(const VersionInfo& version) const {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  SPOKE_ASSIGN_OR_RETURN(git_oid commit_id, ParseOid(version.commit_id));
  return ReadVerifiedFiles(lease.get(), commit_id, version.manifest);
}

Result<std::pair<std::string, std::string>> Store::ReadFile(const VersionInfo& version,
                                                            const std::string& path) const {
  SPOKE_RETURN_IF_ERROR(ValidateProtoPath(path));
  if (auto cached = impl_->read_cache.FindFile(version.commit_id, path)) return std::move(*cached);
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  SPOKE_ASSIGN_OR_RETURN(git_oid commit_id, ParseOid(version.commit_id));
  git_commit* commit_raw = nullptr;
  int rc = git_commit_lookup(&commit_raw, lease.get(), &commit_id);
  if (rc != 0) return GitError(rc, "cannot read commit " + version.commit_id);
  CommitPtr commit(commit_raw);
  git_tree* tree_raw = nullptr;
  rc = git_commit_tree(&tree_raw, commit_raw);
  if (rc != 0) return GitError(rc, "cannot read tree of " + version.commit_id);
  TreePtr tree(tree_raw);
  std::string blob_id;
  auto content = ReadBlobAtPath(lease.get(), tree_raw, path, &blob_id);
  if (!content.ok()) {
    if (content.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("file " + path + " is not part of " + version.module + "@" +
                              version.version);
    }
    return content.status();
  }
  impl_->read_cache.PutFile(version.commit_id, path, *content, blob_id);
  return std::make_pair(std::move(*content), blob_id);
}

std::optional<std::pair<std::string, std::string>> Store::CachedFile(
    const std::string& module, const std::string& version, const std::string& path) const {
  auto tag_id = impl_->read_cache.FindTag(module, version);  // never holds "latest"
  if (!tag_id) return std::nullopt;
  auto commit_id = impl_->read_cache.FindVersionCommit(*tag_id);
  if (!commit_id) return std::nullopt;
  return impl_->read_cache.FindFile(*commit_id, path);
}

Result<std::vector<VersionInfo>> Store::Log(const std::string& module) const {
  SPOKE_ASSIGN_OR_RETURN(ModuleInfo info, GetModule(module));
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  std::vector<VersionInfo> log;
  SPOKE_ASSIGN_OR_RETURN(git_oid current, ParseOid(info.branch_tip));
  while (true) {
    git_commit* raw = nullptr;
    int rc = git_commit_lookup(&raw, lease.get(), &current);
    if (rc != 0) return GitError(rc, "cannot read history of " + module);
    CommitPtr commit(raw);
    if (git_commit_parentcount(raw) == 0) break;  // the module's root record
    git_tree* tree_raw = nullptr;
    rc = git_commit_tree(&tree_raw, raw);
    if (rc != 0) return GitError(rc, "cannot read history of " + module);
    TreePtr tree(tree_raw);
    SPOKE_ASSIGN_OR_RETURN(std::string text,
                           ReadBlobAtPath(lease.get(), tree_raw, kManifestPath, nullptr));
    SPOKE_ASSIGN_OR_RETURN(Manifest manifest, Manifest::Parse(text));
    VersionInfo entry;
    entry.module = module;
    entry.version = manifest.version;
    entry.commit_id = OidHex(current);
    entry.created = git_commit_time(raw);
    git_oid tag_id;
    if (git_reference_name_to_id(&tag_id, lease.get(),
                                 VersionTagRef(module, manifest.version).c_str()) == 0) {
      entry.tag_id = OidHex(tag_id);
    }
    entry.manifest = std::move(manifest);
    log.push_back(std::move(entry));
    current = *git_commit_parent_id(raw, 0);
  }
  return log;
}

}  // namespace spoke

namespace spoke {
namespace {

// Collects path -> blob id for every blob under a commit's tree. Corruption for an entry that is
// neither a tree nor a blob (a submodule link, say), which no version may hold.
Result<std::map<std::string, std::string>> TreeBlobIds(git_repository* repo,
                                                       const std::string& commit_hex) {
  SPOKE_ASSIGN_OR_RETURN(TreePtr tree, CommitTree(repo, commit_hex));
  git_tree* tree_raw = tree.get();
  struct WalkState {
    std::map<std::string, std::string> ids;
    std::string unexpected;
  } state;
  int rc = git_tree_walk(
      tree_raw, GIT_TREEWALK_PRE,
      [](const char* root, const git_tree_entry* entry, void* payload) -> int {
        auto* s = static_cast<WalkState*>(payload);
        git_object_t type = git_tree_entry_type(entry);
        if (type == GIT_OBJECT_TREE) return 0;
        std::string path = std::string(root) + git_tree_entry_name(entry);
        if (type != GIT_OBJECT_BLOB) {
          s->unexpected = path;
          return -1;
        }
        s->ids[path] = OidHex(*git_tree_entry_id(entry));
        return 0;
      },
      &state);
  if (!state.unexpected.empty()) {
    return Status::Corruption("unexpected entry " + state.unexpected + " in the tree of " +
                              commit_hex);
  }
  if (rc != 0) return GitError(rc, "cannot walk tree of " + commit_hex);
  return std::move(state.ids);
}

}  // namespace

Status VerifyVersionFiles(git_repository* repo, git_odb* odb, const VersionInfo& version,
                          std::map<std::string, BlobDigest>* known, FileSet* files) {
  SPOKE_ASSIGN_OR_RETURN(auto ids, TreeBlobIds(repo, version.commit_id));
  ids.erase(kManifestPath);
  const auto& listed = version.manifest.files;
  const std::string name = version.module + "@" + version.version;
  if (ids.size() != listed.size()) {
    return Status::Corruption("version " + name + " has " + std::to_string(ids.size()) +
                              " files but its manifest lists " + std::to_string(listed.size()));
  }
  std::vector<std::pair<std::string, std::string>> entries(ids.begin(), ids.end());
  // The content of entry i, when `files` wants it.
  std::vector<std::string> contents(files ? entries.size() : 0);
  // Entries to read from the odb; a blob the indexer did not see is hashed as it is read.
  struct ToRead {
    size_t index;
    bool hash;
  };
  std::vector<ToRead> to_read;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first != listed[i].path) {
      return Status::Corruption("file " + entries[i].first + " of " + name +
                                " is not in its manifest");
    }
    auto it = known->find(entries[i].second);
    if (it == known->end()) {
      to_read.push_back({i, true});
      continue;
    }
    if (it->second.size != listed[i].size || it->second.sha256 != listed[i].sha256) {
      return Status::Corruption("file " + entries[i].first + " of " + name +
                                " does not match its manifest");
    }
    if (!files) continue;
    if (it->second.content_kept) {
      // Moved, not copied: the version's files are held once. A second path with the same blob
      // reads it again.
      contents[i] = std::move(it->second.content);
      it->second.content_kept = false;
    } else {
      to_read.push_back({i, false});
    }
  }
  unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  if (to_read.size() < 64) threads = 1;
  auto work = [&](unsigned part) -> Status {
    size_t begin = to_read.size() * part / threads, end = to_read.size() * (part + 1) / threads;
    for (size_t r = begin; r < end; ++r) {
      const size_t i = to_read[r].index;
      const auto& [path, id] = entries[i];
      auto oid = ParseOid(id);
      git_odb_object* raw = nullptr;
      int rc = oid.ok() ? git_odb_read(&raw, odb, &*oid) : -1;
      if (rc != 0) return GitError(rc, "cannot read " + path + " of " + name);
      OdbObjectPtr obj(raw);
      std::string_view content(static_cast<const char*>(git_odb_object_data(raw)),
                               git_odb_object_size(raw));
      if (git_odb_object_type(raw) != GIT_OBJECT_BLOB || content.size() != listed[i].size ||
          (to_read[r].hash && Sha256Hex(content) != listed[i].sha256)) {
        return Status::Corruption("file " + path + " of " + name + " does not match its manifest");
      }
      if (files) contents[i].assign(content);
    }
    return Status::Ok();
  };
  SPOKE_RETURN_IF_ERROR(RunInParallel(threads, work));
  if (files) {
    files->clear();
    for (size_t i = 0; i < entries.size(); ++i)
      files->emplace(std::move(entries[i].first), std::move(contents[i]));
  }
  return Status::Ok();
}

Result<std::map<std::string, std::string>> Store::ListFileIds(const VersionInfo& version) const {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  SPOKE_ASSIGN_OR_RETURN(auto ids, TreeBlobIds(lease.get(), version.commit_id));
  ids.erase(kManifestPath);
  return ids;
}

Result<std::string> Store::ReadBlob(const std::string& id) const {
  SPOKE_ASSIGN_OR_RETURN(git_oid oid, ParseOid(id));
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  git_blob* raw = nullptr;
  int rc = git_blob_lookup(&raw, lease.get(), &oid);
  if (rc == GIT_ENOTFOUND) return Status::NotFound("blob " + id + " is not in the store");
  if (rc != 0) return GitError(rc, "cannot read blob " + id);
  BlobPtr blob(raw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(raw)),
                     static_cast<size_t>(git_blob_rawsize(raw)));
}

Result<FileSet> Store::ReadSnapshot(const std::string& commit_id) const {
  std::map<std::string, std::string> ids;
  {
    SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
    SPOKE_ASSIGN_OR_RETURN(ids, TreeBlobIds(lease.get(), commit_id));
  }
  // Artifacts run to thousands of files and gigabytes: inflate them on every core.
  std::vector<std::pair<std::string, std::string>> files;
  files.reserve(ids.size());
  for (const auto& [path, id] : ids) files.emplace_back(path, id);
  unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  if (files.size() < 64) threads = 1;
  // Blobs kept whole in a pack (every artifact Spoke writes or receives) inflate straight into
  // their strings and are checked with OpenSSL's SHA-1; the others go through libgit2.
  std::shared_ptr<PackReuse> packs = impl_->CurrentPackReuse();
  SPOKE_RETURN_IF_ERROR(RunInParallel(threads, [&](unsigned part) -> Status {
    SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
    size_t begin = files.size() * part / threads, end = files.size() * (part + 1) / threads;
    std::string content;
    for (size_t i = begin; i < end; ++i) {
      auto& [path, slot] = files[i];
      SPOKE_ASSIGN_OR_RETURN(git_oid oid, ParseOid(slot));
      if (packs && packs->InflateWholeBlob(oid, &content)) {
        git_oid actual = HashBlob(content);
        if (git_oid_equal(&actual, &oid)) {
          slot = std::move(content);
          content = std::string();
          continue;
        }
      }
      git_blob* raw = nullptr;
      int rc = git_blob_lookup(&raw, lease.get(), &oid);
      if (rc != 0) return GitError(rc, "cannot read " + path);
      BlobPtr blob(raw);
      slot.assign(static_cast<const char*>(git_blob_rawcontent(raw)),
                  static_cast<size_t>(git_blob_rawsize(raw)));
    }
    return Status::Ok();
  }));
  FileSet out;
  for (auto& [path, content] : files)
    out.emplace_hint(out.end(), std::move(path), std::move(content));
  return out;
}

}  // namespace spoke

namespace spoke {

namespace {

using RawId = std::string;  // an object id's 20 raw bytes

RawId RawOf(const git_oid& id) {
  return RawId(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ);
}

// Whether everything `start` reaches is in the store. Objects in `complete` are known to be
// whole with all they reach and are not walked again; when the walk finds nothing missing, every
// object it met joins `complete`.
bool WalkClosure(git_repository* repo, git_odb* odb, const git_oid& start,
                 std::set<RawId>* complete) {
  std::vector<git_oid> todo = {start};
  std::set<RawId> seen;
  while (!todo.empty()) {
    git_oid at = todo.back();
    todo.pop_back();
    RawId raw_id = RawOf(at);
    if (complete->count(raw_id) || !seen.insert(std::move(raw_id)).second) continue;
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, odb, &at) != 0) return false;
    if (type == GIT_OBJECT_BLOB) continue;
    git_object* raw = nullptr;
    if (git_object_lookup(&raw, repo, &at, type) != 0) return false;
    ObjectPtr object(raw);
    if (type == GIT_OBJECT_TAG) {
      todo.push_back(*git_tag_target_id(reinterpret_cast<git_tag*>(raw)));
    } else if (type == GIT_OBJECT_COMMIT) {
      auto* commit = reinterpret_cast<git_commit*>(raw);
      todo.push_back(*git_commit_tree_id(commit));
      for (unsigned i = 0; i < git_commit_parentcount(commit); ++i)
        todo.push_back(*git_commit_parent_id(commit, i));
    } else if (type == GIT_OBJECT_TREE) {
      auto* tree = reinterpret_cast<git_tree*>(raw);
      for (size_t i = 0; i < git_tree_entrycount(tree); ++i) {
        const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
        if (git_tree_entry_filemode(entry) != GIT_FILEMODE_COMMIT)
          todo.push_back(*git_tree_entry_id(entry));
      }
    }
  }
  complete->merge(seen);
  return true;
}

}  // namespace

bool Store::HasCompleteClosure(const std::string& id) const {
  auto incomplete = IncompleteClosures({id});
  return incomplete.ok() && incomplete->empty();
}

Result<std::set<std::string>> Store::IncompleteClosures(const std::vector<std::string>& ids) const {
  auto lease = RepoLease::Take(impl_.get());
  if (!lease.ok()) return lease.status();
  git_repository* repo = lease->get();
  git_odb* raw_odb = nullptr;
  int rc = git_repository_odb(&raw_odb, repo);
  if (rc != 0) return GitError(rc, "cannot open the object store");
  OdbPtr odb(raw_odb);
  std::set<RawId> complete;
  std::set<std::string> incomplete;
  for (const auto& id : ids) {
    auto start = ParseOid(id);
    if (!start.ok() || !WalkClosure(repo, raw_odb, *start, &complete)) incomplete.insert(id);
  }
  return incomplete;
}

}  // namespace spoke
