// Versions from git for push and batch-push: which uncommitted files matter, and the messages.
#include "version_from_git.h"

#include <filesystem>

#include "context.h"
#include "spoke/lockfile.h"
#include "spoke/module_config.h"

namespace spoke::cli {
namespace {

constexpr char kHowToVersion[] = "pass -version vX.Y.Z or add \"version:\" to spoke.yaml";
constexpr size_t kFilesNamed = 10;

// True for what a push of the directory reads: .proto files outside hidden directories (as
// module_dir.h and workspace.h list them), spoke.yaml and spoke.lock.
bool IsPushed(const std::string& path) {
  size_t start = 0;
  for (size_t slash; (slash = path.find('/', start)) != std::string::npos; start = slash + 1) {
    if (path[start] == '.') return false;  // below a hidden directory, which a push skips
  }
  const std::string name = path.substr(start);
  return name == kModuleConfigFile || name == kLockFile ||
         (name.size() > 6 && name.compare(name.size() - 6, 6, ".proto") == 0);
}

}  // namespace

Result<std::map<std::string, GitVersion>> VersionsFromGit(const std::string& dir,
                                                          const std::vector<std::string>& modules) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return Status::InvalidArgument(dir + " is not a directory");
  auto tree = GitWorkTree::Open(dir);
  if (!tree.ok()) {
    if (tree.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("no version to push: " + std::string(kHowToVersion) +
                              ", or push from a git work tree to derive one from its commit (" +
                              tree.status().message() + ")");
    }
    if (tree.status().code() == Status::Code::kFailedPrecondition) {
      return Status::FailedPrecondition("no version to derive from git: " +
                                        tree.status().message() + "; commit, or " + kHowToVersion);
    }
    return tree.status();
  }
  SPOKE_ASSIGN_OR_RETURN(std::vector<UncommittedFile> changed, (*tree)->UncommittedFiles(dir));
  std::map<std::string, GitVersion> versions;
  if (modules.empty()) return versions;
  for (const auto& module : modules) {
    SPOKE_ASSIGN_OR_RETURN(versions[module], (*tree)->VersionFor(module));
  }
  std::string named;
  size_t count = 0;
  for (const auto& file : changed) {
    if (!IsPushed(file.path)) continue;
    if (++count <= kFilesNamed) named += "\n  " + dir + "/" + file.path + " (" + file.state + ")";
  }
  if (count == 0) return versions;
  if (count > kFilesNamed) named += "\n  and " + std::to_string(count - kFilesNamed) + " more";
  const GitVersion& any = versions.begin()->second;
  return Status::FailedPrecondition("the version would come from " + any.Origin() +
                                    ", but these files are not as committed there:" + named +
                                    "\ncommit them, or " + kHowToVersion);
}

CommandOutcome VersionFromGitFailure(const Status& status) {
  if (status.code() == Status::Code::kInvalidArgument || status.code() == Status::Code::kNotFound ||
      status.code() == Status::Code::kFailedPrecondition) {
    return Usage(status);
  }
  return status;
}

}  // namespace spoke::cli
