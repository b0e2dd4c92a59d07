// SourceIdCache: the git blob ids of a directory's source files, remembered by their stat data,
// as git's index remembers them, so that a compile whose sources did not change need not read
// them to name them.
//
// The artifact key needs every source's blob id. Reading and hashing a typical module's sources
// costs a fifth of a checkout-cache hit; a stat of each costs a few microseconds. A file's
// remembered id is used only when its size, mtime, ctime, inode and device are all as they were
// when it was hashed, and only when it had not changed for two seconds before the run that hashed
// it began ("racy" entries, in git's words, are hashed again): a write in the same clock tick as
// an earlier hash would otherwise go unseen. ctime is in the match, so restoring an old mtime
// (touch -d, tar, rsync) does not fool it.
//
// One index per directory, a cache and nothing more: a missing, cut or garbled index is an empty
// one, and several processes may use and rewrite the same index at once (each write is whole, by
// rename; the last one stays). Layout (docs/storage.md):
//   "spoke-source-ids 1 <when the run that wrote it began, ns since the epoch>\n"
//   "<size> <mtime ns> <ctime ns> <inode> <device> <blob id hex> <path>\n" per file, sorted by path
//   "end <SHA-256 of everything above>\n"
#ifndef SPOKE_SOURCE_ID_CACHE_H_
#define SPOKE_SOURCE_ID_CACHE_H_

#include <cstdint>
#include <map>
#include <string>

#include "spoke/status.h"

namespace spoke {

class SourceIdCache {
 public:
  // The index at `index_path` (its directory is made when it is saved); an unreadable index is
  // an empty one. Call it before the files are looked at: the time of the call stamps what
  // this run hashes.
  static SourceIdCache Load(std::string index_path);

  // The git blob id (hex) of the regular file at `on_disk`, known to the index as `name`: the
  // remembered one when the file's stat data matches, else read and hashed (and remembered).
  Result<std::string> IdOf(const std::string& name, const std::string& on_disk);

  // Writes the index back, holding exactly the files asked for since Load, when a file was hashed
  // or one is gone. A failure is only a slower next time, so it is not reported. Call it only
  // once the ids were used: a compile that failed on a file need not remember it.
  void Save() const;

  // How many IdOf calls read their file (for tests).
  int files_hashed() const { return files_hashed_; }

 private:
  struct Entry {
    uint64_t size = 0, mtime_ns = 0, ctime_ns = 0, inode = 0, device = 0;
    std::string id;
    bool operator==(const Entry& other) const {
      return size == other.size && mtime_ns == other.mtime_ns && ctime_ns == other.ctime_ns &&
             inode == other.inode && device == other.device && id == other.id;
    }
  };

  explicit SourceIdCache(std::string index_path) : index_path_(std::move(index_path)) {}

  std::string index_path_;
  uint64_t written_ns_ = 0;              // the loaded index's stamp
  uint64_t started_ns_ = 0;              // when Load ran: this run's stamp
  std::map<std::string, Entry> loaded_;  // as the index holds them
  std::map<std::string, Entry> used_;    // the files asked for, as they are now
  bool changed_ = false;                 // a file was hashed
  int files_hashed_ = 0;
};

// The index file for the source directory `dir` under `cache_dir`: named by a hash of the
// directory's absolute path, so every directory compiled has its own small index.
std::string SourceIdIndexPath(const std::string& cache_dir, const std::string& dir);

}  // namespace spoke

#endif  // SPOKE_SOURCE_ID_CACHE_H_
