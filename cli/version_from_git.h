// What push and batch-push share when no version is given: the version derived from the git work
// tree the pushed directory is in (git_work_tree.h), refused when the files pushed are not as
// committed.
#ifndef SPOKE_CLI_VERSION_FROM_GIT_H_
#define SPOKE_CLI_VERSION_FROM_GIT_H_

#include <map>
#include <string>
#include <vector>

#include "exit_code.h"
#include "spoke/git_work_tree.h"
#include "spoke/status.h"

namespace spoke::cli {

// The version of each of `modules` pushed from `dir`, by module name. Every message is whole,
// ready to print. InvalidArgument when `dir` is not a directory; NotFound when it is in no git
// work tree; FailedPrecondition when HEAD has no
// commit yet, or when a file a push of `dir` reads (a .proto file outside hidden directories, a
// spoke.yaml, a spoke.lock) is not as committed, naming each: the version names a commit, so it
// would not name the content pushed.
Result<std::map<std::string, GitVersion>> VersionsFromGit(const std::string& dir,
                                                          const std::vector<std::string>& modules);

// What a failure of VersionsFromGit is to the command: a usage error when the user has to fix the
// arguments, commit or pass -version (InvalidArgument, NotFound, FailedPrecondition), a plain
// failure when git could not be read.
CommandOutcome VersionFromGitFailure(const Status& status);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_VERSION_FROM_GIT_H_
