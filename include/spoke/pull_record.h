// What `spoke pull` wrote into a directory, so a later pull never destroys local work (as git
// refuses to overwrite local changes), and the pull itself under that rule.
//
// The record is kept in the local store, not in the directory, so a pulled directory holds exactly
// the version's files: one small JSON file per checkout directory,
//   <store>/pulls/<SHA-256 of the directory's canonical absolute path>.json
// (docs/storage.md has the format), listing for every module a pull wrote there its version, its
// mount and the blob id of every file written, by its path in the directory. A pull replaces only
// the entries of the modules it writes; a path belongs to at most one module.
//
// The rules of a pull into a directory (PullIntoDir):
//  - a file already holding the new content is left alone;
//  - a file holding what an earlier pull wrote there is overwritten;
//  - any other file in the way (edited since, or never written by spoke) is a local change;
//  - a file an earlier pull wrote for a module this pull writes, that the module's new version
//    no longer has, is removed (and the directories that removal leaves empty), unless it was
//    edited since (a local change);
//  - files spoke never wrote are never removed.
// Local changes refuse the whole pull before anything is written, unless forced.
#ifndef SPOKE_PULL_RECORD_H_
#define SPOKE_PULL_RECORD_H_

#include <map>
#include <string>
#include <vector>

#include "spoke/status.h"
#include "spoke/store.h"

namespace spoke {

// One module version as an earlier pull left it in the directory.
struct PulledModule {
  std::string version;
  std::string mount;                         // where its files went (DependencyPin::mount)
  std::map<std::string, std::string> files;  // path in the directory -> blob id written
};

struct PullRecord {
  inline static constexpr int kFormat = 1;

  std::string dir;  // the directory's canonical absolute path
  std::map<std::string, PulledModule> modules;
  // While a pull is being applied: the blob each path it overwrites or removes held before, so a
  // pull that was interrupted leaves files the next one still knows as spoke's (either content),
  // and removes when they are still there. Empty once a pull completed.
  std::map<std::string, std::string> unsettled;

  std::string Serialize() const;
  // FailedPrecondition (naming `filename`, saying to remove it) for anything but a record of this
  // format: a damaged record is no reason to fetch anything again.
  static Result<PullRecord> Parse(const std::string& text, const std::string& filename);
  // NotFound when there is no record at `path`.
  static Result<PullRecord> Load(const std::string& path);
  // Written through a temporary file and a rename: a reader sees the old record or the new one.
  Status Save(const std::string& path) const;
};

// `dir` as the record names it: absolute, canonical as far as it exists.
std::string CanonicalPullDir(const std::string& dir);
// Where the store at `store_dir` keeps the record of `dir`.
std::string PullRecordPath(const std::string& store_dir, const std::string& dir);

// A module version to write, and where (DependencyPin::mount; "" for its own paths).
struct PullTarget {
  VersionInfo version;
  std::string mount;
};

struct PullOptions {
  bool force = false;  // overwrite and remove local changes instead of refusing
};

// What a pull did to the directory, by path in it, each list sorted.
struct PullOutcome {
  std::vector<std::string> written;  // created or overwritten
  std::vector<std::string> kept;     // already held the new content, left as they were
  std::vector<std::string> removed;  // written by an earlier pull; the new version lacks them
  std::vector<std::string> overwritten_local_changes;  // with force only: what was lost
};

// Writes `targets` into `dir` under the rules above, with the record of the store at `store_dir`,
// then records what it wrote. Pulls into one directory are serialised (a lock file beside the
// record). InvalidArgument, before anything is written, when two targets put different content at
// one path; Conflict, before anything is written, listing every local change in git's words,
// unless `options.force` (a directory or a symbolic link in a path's way is refused even then).
// NotFound, before anything is written, when a version's objects are missing from `store`, and
// Corruption when a file does not match its manifest (the caller may fetch the version again and
// retry: what was written so far is recorded as spoke's).
// REQUIRES: `store` holds every target version.
Result<PullOutcome> PullIntoDir(const Store& store, const std::string& store_dir,
                                const std::string& dir, const std::vector<PullTarget>& targets,
                                const PullOptions& options);

}  // namespace spoke

#endif  // SPOKE_PULL_RECORD_H_
