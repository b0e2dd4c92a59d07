// Versions derived from a user's git work tree (Go's tag and pseudo-version rules), and the files
// of it that are not as committed. Only reads the repository: nothing here writes to it.
#include "spoke/git_work_tree.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "spoke/refs.h"
#include "store/git_handles.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

using StatusListPtr = GitPtr<git_status_list, git_status_list_free>;

// A tag that counts for a module, with the commit it names.
struct VersionTag {
  std::string name;  // as in refs/tags/, e.g. "v1.2.3" or "common/v1.2.3"
  SemVer version;
  git_oid commit;
};

std::string ShortId(const std::string& hex) { return hex.substr(0, 7); }

// "20261204183000": Go's pseudo-version timestamp, always UTC.
std::string UtcStamp(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y%m%d%H%M%S", &tm);
  return buf;
}

// The commit a tag ref names, through annotated tags; nullopt for a tag of a tree or blob.
std::optional<git_oid> PeelToCommit(git_repository* repo, const git_oid& target) {
  git_object* object = nullptr;
  if (git_object_lookup(&object, repo, &target, GIT_OBJECT_ANY) != 0) return std::nullopt;
  ObjectPtr owned(object);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) != 0) return std::nullopt;
  ObjectPtr peeled_owned(peeled);
  return *git_object_id(peeled);
}

// Every tag of the repository that counts for `module` (see git_work_tree.h), highest first.
Result<std::vector<VersionTag>> TagsFor(git_repository* repo, const std::string& module) {
  struct Collected {
    git_repository* repo;
    std::string module_prefix;
    std::vector<VersionTag> own, plain;
  } collected{repo, module + "/", {}, {}};
  auto visit = [](const char* ref_name, git_oid* target, void* payload) -> int {
    auto* c = static_cast<Collected*>(payload);
    std::string name = ref_name;
    name.erase(0, std::strlen(kTagRefsPrefix));
    bool own = name.compare(0, c->module_prefix.size(), c->module_prefix) == 0;
    std::string text = own ? name.substr(c->module_prefix.size()) : name;
    if (!own && name.find('/') != std::string::npos) return 0;  // another module's tag
    auto version = SemVer::Parse(text);
    if (!version.ok() || text.find('+') != std::string::npos) return 0;
    auto commit = PeelToCommit(c->repo, *target);
    if (!commit) return 0;
    (own ? c->own : c->plain).push_back({name, *version, *commit});
    return 0;
  };
  int rc = git_tag_foreach(repo, visit, &collected);
  if (rc != 0)
    return GitError(rc, "cannot list the tags of " + std::string(git_repository_workdir(repo)));
  std::vector<VersionTag> tags =
      collected.own.empty() ? std::move(collected.plain) : std::move(collected.own);
  std::sort(tags.begin(), tags.end(), [](const VersionTag& a, const VersionTag& b) {
    int c = a.version.Compare(b.version);
    return c != 0 ? c > 0 : a.name > b.name;
  });
  return tags;
}

// What a status entry means for the files pushed; the working copy's state wins over the index's.
std::string Describe(unsigned int flags) {
  if (flags & GIT_STATUS_IGNORED) return "ignored";
  if (flags & GIT_STATUS_WT_NEW) return "untracked";
  if (flags & GIT_STATUS_WT_DELETED) return "deleted";
  if (flags & (GIT_STATUS_WT_MODIFIED | GIT_STATUS_WT_TYPECHANGE | GIT_STATUS_WT_RENAMED))
    return "modified";
  return "staged, not committed";
}

}  // namespace

std::string PseudoVersion(const std::optional<SemVer>& base, int64_t commit_time,
                          const std::string& commit_hex) {
  const std::string suffix = UtcStamp(commit_time) + "-" + commit_hex.substr(0, 12);
  if (!base) return "v0.0.0-" + suffix;
  if (base->is_prerelease()) return base->text() + ".0." + suffix;
  return "v" + std::to_string(base->major()) + "." + std::to_string(base->minor()) + "." +
         std::to_string(base->patch() + 1) + "-0." + suffix;
}

std::string GitVersion::Origin() const {
  if (!tag.empty()) return "git tag " + tag + " (commit " + ShortId(commit) + ")";
  return "git commit " + ShortId(commit) + " (untagged" + (base.empty() ? "" : ", after " + base) +
         ")";
}

struct GitWorkTree::Handles {
  RepoPtr repo;
  git_oid head;
  int64_t head_time = 0;
};

GitWorkTree::GitWorkTree(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}
GitWorkTree::~GitWorkTree() = default;

Result<std::unique_ptr<GitWorkTree>> GitWorkTree::Open(const std::string& dir) {
  EnsureLibgit2();
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(&raw, dir.c_str(), 0, nullptr);
  if (rc == GIT_ENOTFOUND) return Status::NotFound(dir + " is not in a git work tree");
  if (rc != 0) return GitError(rc, "cannot open the git repository holding " + dir);
  auto handles = std::make_unique<Handles>();
  handles->repo.reset(raw);
  git_repository* repo = handles->repo.get();
  if (git_repository_is_bare(repo))
    return Status::NotFound(dir + " is in a bare git repository, not a work tree");
  const std::string root = git_repository_workdir(repo);
  rc = git_repository_head_unborn(repo);
  if (rc == 1)
    return Status::FailedPrecondition("the git work tree " + root + " has no commit yet");
  if (rc < 0) return GitError(rc, "cannot read HEAD of " + root);
  git_object* head = nullptr;
  rc = git_revparse_single(&head, repo, "HEAD^{commit}");
  if (rc != 0) return GitError(rc, "cannot read HEAD's commit in " + root);
  ObjectPtr head_owned(head);
  handles->head = *git_object_id(head);
  handles->head_time = git_commit_time(reinterpret_cast<git_commit*>(head));
  return std::unique_ptr<GitWorkTree>(new GitWorkTree(std::move(handles)));
}

std::string GitWorkTree::root() const { return git_repository_workdir(handles_->repo.get()); }

Result<GitVersion> GitWorkTree::VersionFor(const std::string& module) const {
  git_repository* repo = handles_->repo.get();
  SPOKE_ASSIGN_OR_RETURN(std::vector<VersionTag> tags, TagsFor(repo, module));
  GitVersion derived;
  derived.commit = OidHex(handles_->head);
  for (const VersionTag& tag : tags) {  // highest first
    if (git_oid_equal(&tag.commit, &handles_->head)) {
      derived.version = tag.version.text();
      derived.tag = tag.name;
      return derived;
    }
  }
  std::optional<SemVer> base;
  for (const VersionTag& tag : tags) {
    int rc = git_graph_descendant_of(repo, &handles_->head, &tag.commit);
    if (rc < 0) return GitError(rc, "cannot walk the history of " + root());
    if (rc == 1) {
      base = tag.version;
      derived.base = tag.name;
      break;
    }
  }
  derived.version = PseudoVersion(base, handles_->head_time, derived.commit);
  return derived;
}

Result<std::vector<UncommittedFile>> GitWorkTree::UncommittedFiles(const std::string& dir) const {
  std::error_code ec;
  fs::path canonical_dir = fs::canonical(dir, ec);
  if (ec) return Status::IOError("cannot resolve " + dir + ": " + ec.message());
  fs::path canonical_root = fs::canonical(root(), ec);
  if (ec) return Status::IOError("cannot resolve " + root() + ": " + ec.message());
  std::string prefix = canonical_dir.lexically_relative(canonical_root).generic_string();
  if (prefix == ".") prefix.clear();
  if (prefix == ".." || prefix.rfind("../", 0) == 0) {
    return Status::InvalidArgument(dir + " is not inside the git work tree " + root());
  }
  git_status_options options = GIT_STATUS_OPTIONS_INIT;
  options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  // Ignored files count: a push reads every .proto file, whatever .gitignore says.
  options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
                  GIT_STATUS_OPT_INCLUDE_IGNORED | GIT_STATUS_OPT_RECURSE_IGNORED_DIRS |
                  GIT_STATUS_OPT_EXCLUDE_SUBMODULES | GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
  char* pathspec[] = {prefix.data()};
  if (!prefix.empty()) options.pathspec = {pathspec, 1};
  git_status_list* raw = nullptr;
  int rc = git_status_list_new(&raw, handles_->repo.get(), &options);
  if (rc != 0) return GitError(rc, "cannot compare " + dir + " with git's HEAD");
  StatusListPtr list(raw);
  std::vector<UncommittedFile> files;
  for (size_t i = 0, n = git_status_list_entrycount(list.get()); i < n; ++i) {
    const git_status_entry* entry = git_status_byindex(list.get(), i);
    const git_diff_delta* delta =
        entry->index_to_workdir ? entry->index_to_workdir : entry->head_to_index;
    if (entry->status == GIT_STATUS_CURRENT || !delta) continue;
    std::string path = delta->new_file.path ? delta->new_file.path : delta->old_file.path;
    if (!prefix.empty()) {
      // An exact pathspec also matches the directory itself; only what is below it is asked for.
      if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0 ||
          path[prefix.size()] != '/') {
        continue;
      }
      path.erase(0, prefix.size() + 1);
    }
    files.push_back({std::move(path), Describe(entry->status)});
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  return files;
}

}  // namespace spoke
