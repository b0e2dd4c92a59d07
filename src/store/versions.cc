// Writing module versions: blobs and trees from a file set, the manifest, the commit on the
// module's branch and the annotated tag; then publishing them with one ref transaction.
#include <algorithm>
#include <chrono>
#include <map>

#include "spoke/backoff.h"
#include "spoke/names.h"
#include "spoke/refs.h"
#include "spoke/semver.h"
#include "store/blob_pack.h"
#include "store/blob_pack_writer.h"
#include "store/store_impl.h"

namespace spoke {
namespace {

// Another process holding the refs' locks or moving the branch first costs one attempt. Losses
// are retried after a random, growing pause, so the budget covers up to about two seconds of
// contention rather than the few microseconds that immediate retries would take: up to 1 ms after
// the first loss, doubling to at most 64 ms.
constexpr int kPutRetries = 32;
constexpr Backoff kPutBackoff{std::chrono::milliseconds(1), std::chrono::milliseconds(64),
                              std::chrono::microseconds(100)};

// Snapshots with this many new blobs or more store them as one pack (blob_pack.h), as git's
// receive.unpackLimit keeps larger pushes packed.
constexpr size_t kSnapshotPackThreshold = 100;

// A directory being assembled: files (name -> blob) and subdirectories.
struct DirNode {
  std::map<std::string, git_oid> blobs;
  std::map<std::string, DirNode> dirs;
};

Status AddPath(DirNode* root, const std::string& path, const git_oid& blob) {
  DirNode* node = root;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) break;
    std::string dir = path.substr(start, slash - start);
    if (node->blobs.count(dir)) {
      return Status::InvalidArgument("path " + path + " needs " + dir +
                                     " to be a directory, but it is a file");
    }
    node = &node->dirs[dir];
    start = slash + 1;
  }
  std::string name = path.substr(start);
  if (node->dirs.count(name)) {
    return Status::InvalidArgument("path " + path + " is both a file and a directory");
  }
  node->blobs[name] = blob;
  return Status::Ok();
}

Result<git_oid> WriteTree(git_repository* repo, const DirNode& node) {
  git_treebuilder* raw = nullptr;
  int rc = git_treebuilder_new(&raw, repo, nullptr);
  if (rc != 0) return GitError(rc, "cannot build a tree");
  TreebuilderPtr builder(raw);
  for (const auto& [name, blob] : node.blobs) {
    rc = git_treebuilder_insert(nullptr, raw, name.c_str(), &blob, GIT_FILEMODE_BLOB);
    if (rc != 0) return GitError(rc, "cannot add " + name + " to a tree");
  }
  for (const auto& [name, child] : node.dirs) {
    SPOKE_ASSIGN_OR_RETURN(git_oid child_id, WriteTree(repo, child));
    rc = git_treebuilder_insert(nullptr, raw, name.c_str(), &child_id, GIT_FILEMODE_TREE);
    if (rc != 0) return GitError(rc, "cannot add " + name + " to a tree");
  }
  git_oid id;
  rc = git_treebuilder_write(&id, raw);
  if (rc != 0) return GitError(rc, "cannot write a tree");
  return id;
}

Result<git_oid> WriteBlobObject(git_repository* repo, const std::string& content) {
  git_oid id;
  int rc = git_blob_create_from_buffer(&id, repo, content.data(), content.size());
  if (rc != 0) return GitError(rc, "cannot write a blob");
  return id;
}

Result<git_oid> WriteCommit(git_repository* repo, const git_oid& tree_id, const git_oid* parent,
                            const std::string& message,
                            const git_signature* fixed_signature = nullptr) {
  git_tree* tree_raw = nullptr;
  int rc = git_tree_lookup(&tree_raw, repo, &tree_id);
  if (rc != 0) return GitError(rc, "cannot read a tree just written");
  TreePtr tree(tree_raw);
  CommitPtr parent_commit;
  if (parent) {
    git_commit* raw = nullptr;
    rc = git_commit_lookup(&raw, repo, parent);
    if (rc != 0) return GitError(rc, "cannot read parent commit " + OidHex(*parent));
    parent_commit.reset(raw);
  }
  SPOKE_ASSIGN_OR_RETURN(SignaturePtr now_sig, SpokeSignature());
  const git_signature* sig = fixed_signature ? fixed_signature : now_sig.get();
  const git_commit* parents[1] = {parent_commit.get()};
  git_oid id;
  rc = git_commit_create(&id, repo, nullptr, sig, sig, "UTF-8", message.c_str(), tree_raw,
                         parent ? 1 : 0, parents);
  if (rc != 0) return GitError(rc, "cannot write a commit");
  return id;
}

// A snapshot's commit: no parent, a fixed author and time, so the same files and message give the
// same commit anywhere.
Result<std::string> WriteSnapshotCommit(git_repository* repo, const DirNode& root,
                                        const std::string& message) {
  SPOKE_ASSIGN_OR_RETURN(git_oid tree, WriteTree(repo, root));
  git_signature* raw = nullptr;
  int rc = git_signature_new(&raw, "Spoke", "spoke@localhost", 0, 0);
  if (rc != 0) return GitError(rc, "cannot make a signature");
  SignaturePtr sig(raw);
  SPOKE_ASSIGN_OR_RETURN(git_oid commit, WriteCommit(repo, tree, nullptr, message, raw));
  return OidHex(commit);
}

// A tree holding only a module record (docs/storage.md).
Result<git_oid> WriteModuleRecordTree(git_repository* repo, const std::string& module,
                                      const std::string& description,
                                      const std::string& compatibility) {
  Json record = Json::MakeObject();
  record.Set("format", 1);
  record.Set("module", module);
  record.Set("description", description);
  if (!compatibility.empty()) record.Set("compatibility", compatibility);
  SPOKE_ASSIGN_OR_RETURN(git_oid blob, WriteBlobObject(repo, record.Dump(2) + "\n"));
  DirNode root;
  root.blobs[kModuleRecordPath] = blob;
  return WriteTree(repo, root);
}

Result<git_oid> WriteModuleRoot(git_repository* repo, const std::string& module,
                                const std::string& description,
                                const std::string& compatibility = "") {
  SPOKE_ASSIGN_OR_RETURN(git_oid tree,
                         WriteModuleRecordTree(repo, module, description, compatibility));
  return WriteCommit(repo, tree, nullptr, "Create module " + module + "\n");
}

// A compatibility level is an upper-case word (FILE, WIRE_JSON): checked here so the record stays
// plain whatever a caller passes; which words are levels is the registry's business (breaking.h).
Status ValidateCompatibilityWord(const std::string& compatibility) {
  if (compatibility.size() > 32) return Status::InvalidArgument("compatibility level is too long");
  for (char c : compatibility) {
    if (!((c >= 'A' && c <= 'Z') || c == '_')) {
      return Status::InvalidArgument("compatibility level \"" + compatibility +
                                     "\" must be an upper-case word");
    }
  }
  return Status::Ok();
}

// The manifest a version made from `request` has.
Manifest ManifestFor(const NewVersion& request) {
  Manifest manifest;
  manifest.module = request.module;
  manifest.version = request.version;
  manifest.description = request.description;
  manifest.files = DescribeFiles(request.files);
  manifest.dependencies = request.dependencies;
  manifest.format = manifest.dependencies.empty() ? kManifestFormat : kManifestFormatWithPins;
  manifest.digest = ComputeDigest(manifest.files, manifest.dependencies);
  return manifest;
}

Status ValidateRequest(const NewVersion& request) {
  SPOKE_RETURN_IF_ERROR(ValidateModuleName(request.module));
  if (request.version == "latest") {
    return Status::InvalidArgument(
        "\"latest\" names the highest release; push an exact version like v1.0.0");
  }
  SPOKE_RETURN_IF_ERROR(SemVer::Parse(request.version).status());
  if (request.files.empty()) {
    return Status::InvalidArgument("module " + request.module + " " + request.version +
                                   " has no .proto files");
  }
  for (const auto& [path, content] : request.files) {
    SPOKE_RETURN_IF_ERROR(ValidateProtoPath(path));
  }
  if (request.description.size() > 4096) {
    return Status::InvalidArgument("description is longer than 4096 characters");
  }
  for (const auto& dep : request.dependencies) {
    SPOKE_RETURN_IF_ERROR(ValidateModuleName(dep.module));
    SPOKE_RETURN_IF_ERROR(SemVer::Parse(dep.version).status());
    if (!dep.mount.empty()) SPOKE_RETURN_IF_ERROR(ValidateModuleName(dep.mount));
  }
  return Status::Ok();
}

}  // namespace

Result<PreparedVersion> Store::PrepareVersion(const NewVersion& request,
                                              const std::string& parent) {
  SPOKE_RETURN_IF_ERROR(ValidateRequest(request));
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  git_repository* repo = lease.get();

  Manifest manifest = ManifestFor(request);

  DirNode root;
  for (const auto& [path, content] : request.files) {
    SPOKE_ASSIGN_OR_RETURN(git_oid blob, WriteBlobObject(repo, content));
    SPOKE_RETURN_IF_ERROR(AddPath(&root, path, blob));
  }
  SPOKE_ASSIGN_OR_RETURN(git_oid manifest_blob, WriteBlobObject(repo, manifest.Serialize()));
  root.blobs[kManifestPath] = manifest_blob;
  SPOKE_ASSIGN_OR_RETURN(git_oid tree, WriteTree(repo, root));

  git_oid parent_id;
  if (parent.empty()) {
    SPOKE_ASSIGN_OR_RETURN(parent_id, WriteModuleRoot(repo, request.module, request.description));
  } else {
    SPOKE_ASSIGN_OR_RETURN(parent_id, ParseOid(parent));
  }
  std::string message = request.module + " " + request.version + "\n";
  if (!request.description.empty()) message += "\n" + request.description + "\n";
  SPOKE_ASSIGN_OR_RETURN(git_oid commit_id, WriteCommit(repo, tree, &parent_id, message));

  git_object* commit_obj = nullptr;
  int rc = git_object_lookup(&commit_obj, repo, &commit_id, GIT_OBJECT_COMMIT);
  if (rc != 0) return GitError(rc, "cannot read a commit just written");
  ObjectPtr commit_owned(commit_obj);
  SPOKE_ASSIGN_OR_RETURN(SignaturePtr sig, SpokeSignature());
  std::string tag_message = message + "\nDigest: " + manifest.digest + "\n";
  git_oid tag_id;
  rc = git_tag_annotation_create(&tag_id, repo, (request.module + "/" + request.version).c_str(),
                                 commit_obj, sig.get(), tag_message.c_str());
  if (rc != 0) return GitError(rc, "cannot write the version tag");

  PreparedVersion prepared;
  prepared.tag_id = OidHex(tag_id);
  prepared.commit_id = OidHex(commit_id);
  prepared.digest = manifest.digest;
  prepared.updates.push_back({VersionTagRef(request.module, request.version), "", prepared.tag_id});
  prepared.updates.push_back({ModuleBranchRef(request.module), parent, prepared.commit_id});
  return prepared;
}

Result<PutResult> Store::PutVersion(const NewVersion& request) {
  SPOKE_RETURN_IF_ERROR(ValidateRequest(request));
  const Manifest manifest = ManifestFor(request);
  if (impl_->version_check) SPOKE_RETURN_IF_ERROR(impl_->version_check(manifest, request.files));
  Status last = Status::Ok();
  for (int attempt = 0; attempt < kPutRetries; ++attempt) {
    if (attempt > 0) kPutBackoff.SleepBeforeRetry(attempt);
    std::lock_guard<std::mutex> lock(impl_->write_mutex);
    auto existing = GetVersion(request.module, request.version);
    if (existing.ok()) {
      if (SameContent(existing->manifest, manifest.files, manifest.dependencies)) {
        return PutResult{std::move(*existing), false};
      }
      return Status::AlreadyExists("version " + request.module + "@" + request.version +
                                   " already exists with different content (" +
                                   existing->manifest.digest +
                                   "); versions are immutable, push a new version");
    }
    if (existing.status().code() != Status::Code::kNotFound) return existing.status();
    SPOKE_ASSIGN_OR_RETURN(std::string tip, ResolveRef(ModuleBranchRef(request.module)));
    SPOKE_ASSIGN_OR_RETURN(PreparedVersion prepared, PrepareVersion(request, tip));
    SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
    last = UpdateRefsLocked(lease.get(), prepared.updates, *impl_);
    if (last.ok()) {
      SPOKE_ASSIGN_OR_RETURN(VersionInfo info, GetVersion(request.module, request.version));
      if (impl_->publish_listener) impl_->publish_listener(info);
      return PutResult{std::move(info), true};
    }
    // Another process moved the branch or took the tag between our read and our swap: look again.
    if (last.code() != Status::Code::kConflict) return last;
  }
  return last;
}

std::string Store::BlobId(std::string_view content) { return OidHex(HashBlob(content)); }

Result<std::string> Store::WriteBlob(const std::string& content) {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  SPOKE_ASSIGN_OR_RETURN(git_oid id, WriteBlobObject(lease.get(), content));
  return OidHex(id);
}

Result<std::string> Store::WriteSnapshot(const FileViews& files, const std::string& message) {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  std::vector<std::string_view> contents;
  contents.reserve(files.size());
  for (const auto& [path, content] : files) contents.push_back(content);
  SPOKE_ASSIGN_OR_RETURN(std::vector<git_oid> blobs,
                         WriteBlobs(lease.get(), contents, kSnapshotPackThreshold));
  DirNode root;
  size_t i = 0;
  for (const auto& [path, content] : files) SPOKE_RETURN_IF_ERROR(AddPath(&root, path, blobs[i++]));
  return WriteSnapshotCommit(lease.get(), root, message);
}

struct SnapshotWriter::Impl {
  Store::Impl* store;
  std::unique_ptr<BlobPackWriter> blobs;
  std::mutex mutex;                     // orders Add()s of several threads
  std::map<std::string, size_t> paths;  // path -> the number BlobPackWriter gave its content
};

SnapshotWriter::SnapshotWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SnapshotWriter::~SnapshotWriter() = default;

Result<std::unique_ptr<SnapshotWriter>> Store::StartSnapshot() {
  // Without files (path ""), the blobs are held until Finish() writes them through the backend.
  auto impl = std::make_unique<SnapshotWriter::Impl>();
  impl->store = impl_.get();
  SPOKE_ASSIGN_OR_RETURN(impl->blobs, BlobPackWriter::Start(impl_->path, kSnapshotPackThreshold));
  return std::unique_ptr<SnapshotWriter>(new SnapshotWriter(std::move(impl)));
}

void SnapshotWriter::Add(const std::string& path, std::string_view content) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->paths[path] = impl_->blobs->Add(content);
}

void SnapshotWriter::AddFile(const std::string& path, const std::string& file) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->paths[path] = impl_->blobs->AddFile(file);
}

Status SnapshotWriter::Settle() { return impl_->blobs->Settle(); }

Result<std::string> SnapshotWriter::Finish(const std::string& message) {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_->store));
  git_odb* raw_odb = nullptr;
  int rc = git_repository_odb(&raw_odb, lease.get());
  if (rc != 0) return GitError(rc, "cannot open the object store");
  OdbPtr odb(raw_odb);
  // A store without files takes the blobs through its backend, as any other object it is given.
  SPOKE_RETURN_IF_ERROR(impl_->blobs->Finish(impl_->store->path.empty() ? raw_odb : nullptr));
  // The leased handle may have listed the packs before the new one arrived.
  rc = git_odb_refresh(raw_odb);
  if (rc != 0) return GitError(rc, "cannot reload the object store");
  DirNode root;
  for (const auto& [path, n] : impl_->paths)
    SPOKE_RETURN_IF_ERROR(AddPath(&root, path, impl_->blobs->id(n)));
  return WriteSnapshotCommit(lease.get(), root, message);
}

Result<ModuleInfo> Store::CreateModule(const std::string& module, const std::string& description,
                                       const std::string& compatibility) {
  SPOKE_RETURN_IF_ERROR(ValidateModuleName(module));
  SPOKE_RETURN_IF_ERROR(ValidateCompatibilityWord(compatibility));
  if (description.size() > 4096)
    return Status::InvalidArgument("description is longer than 4096 characters");
  {
    std::lock_guard<std::mutex> lock(impl_->write_mutex);
    SPOKE_ASSIGN_OR_RETURN(std::string tip, ResolveRef(ModuleBranchRef(module)));
    if (!tip.empty()) return Status::AlreadyExists("module " + module + " already exists");
    SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
    SPOKE_ASSIGN_OR_RETURN(git_oid root,
                           WriteModuleRoot(lease.get(), module, description, compatibility));
    Status s = UpdateRefsLocked(lease.get(), {{ModuleBranchRef(module), "", OidHex(root)}}, *impl_);
    if (s.code() == Status::Code::kConflict)
      return Status::AlreadyExists("module " + module + " already exists");
    SPOKE_RETURN_IF_ERROR(s);
  }
  return GetModule(module);
}

Result<ModuleInfo> Store::SetModuleCompatibility(const std::string& module,
                                                 const std::string& compatibility) {
  SPOKE_RETURN_IF_ERROR(ValidateCompatibilityWord(compatibility));
  const std::string ref = ModuleRecordRef(module);
  Status last = Status::Ok();
  for (int attempt = 0; attempt < kPutRetries; ++attempt) {
    if (attempt > 0) kPutBackoff.SleepBeforeRetry(attempt);
    std::lock_guard<std::mutex> lock(impl_->write_mutex);
    SPOKE_ASSIGN_OR_RETURN(ModuleInfo info, GetModule(module));
    if (info.compatibility == compatibility) return info;
    SPOKE_ASSIGN_OR_RETURN(std::string tip, ResolveRef(ref));
    SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
    git_oid parent_id;
    if (tip.empty()) {
      // The first revision continues the root commit, which holds the first record.
      SPOKE_ASSIGN_OR_RETURN(git_oid branch_tip, ParseOid(info.branch_tip));
      SPOKE_ASSIGN_OR_RETURN(parent_id, FindModuleRoot(lease.get(), branch_tip));
    } else {
      SPOKE_ASSIGN_OR_RETURN(parent_id, ParseOid(tip));
    }
    SPOKE_ASSIGN_OR_RETURN(
        git_oid tree, WriteModuleRecordTree(lease.get(), module, info.description, compatibility));
    std::string message = "Set compatibility of " + module + " to " +
                          (compatibility.empty() ? "none" : compatibility) + "\n";
    SPOKE_ASSIGN_OR_RETURN(git_oid commit, WriteCommit(lease.get(), tree, &parent_id, message));
    last = UpdateRefsLocked(lease.get(), {{ref, tip, OidHex(commit)}}, *impl_);
    if (last.ok()) return GetModule(module);
    if (last.code() != Status::Code::kConflict) return last;
  }
  return last;
}

}  // namespace spoke
