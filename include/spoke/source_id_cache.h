// SourceIdCache: the git blob ids of a directory's source files, remembered by their stat data,
// as git's index remembers them, so that a compile whose sources did not change need not read
// them to name them.
//
// The artifact key needs every source's blob id. Reading and hashing a typical module's sources
// costs a fifth of a checkout-cache hit; a stat of each costs a few microseconds. A remembered id
// is used only when all of these hold, and otherwise the file is read and hashed:
//  - its size, mtime, ctime, inode and device are as they were when it was hashed; ctime is in
//    the match, so restoring an old mtime (touch -d, tar, rsync) does not fool it;
//  - its mtime and ctime are at least three seconds older than the start of the run that hashed
//    it ("racy" entries, in git's words, are hashed again): a rewrite of the same size in the
//    same clock tick as an earlier hash would otherwise go unseen;
//  - it lives on a local file system known to keep fine, true times (ext4, xfs, btrfs, tmpfs,
//    overlayfs, f2fs, zfs, bcachefs): on NFS, SMB or FUSE the times come from another machine's
//    clock, and FAT has no real ctime, so there the files are always read.
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
  // The index at `index_path`; an unreadable index is an empty one. Call it before the files are
  // looked at: the time of the call stamps what this run hashes.
  static SourceIdCache Load(std::string index_path);

  // The git blob id (hex) of the regular file at `on_disk`, known to the index as `name`: the
  // remembered one when the file's stat data matches, else read and hashed (and remembered).
  Result<std::string> IdOf(const std::string& name, const std::string& on_disk);

  // Writes the index back (making its directory), holding exactly the files asked for since
  // Load, when a file was hashed or one is gone. Call it only once the ids served their command:
  // a store must exist to hold the index.
  Status Save() const;

  // Removes the index, for a command that failed: an id it held may be what failed.
  void Drop() const;

  // How many IdOf calls read their file (for tests).
  int files_hashed() const { return files_hashed_; }

 private:
  struct Entry {
    uint64_t size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;  // negative: before 1970, or beyond what fits
    uint64_t inode = 0, device = 0;
    std::string id;
  };

  explicit SourceIdCache(std::string index_path) : index_path_(std::move(index_path)) {}

  // Whether times on the file system of device `device` (holding `on_disk`) can be trusted.
  bool TrustedFileSystem(uint64_t device, const std::string& on_disk);

  std::string index_path_;
  int64_t written_ns_ = 0;               // the loaded index's stamp
  int64_t started_ns_ = 0;               // when Load ran: this run's stamp
  std::map<std::string, Entry> loaded_;  // as the index holds them
  std::map<std::string, Entry> used_;    // the files asked for, as they are now
  std::map<uint64_t, bool> trusted_devices_;
  bool changed_ = false;  // a file was hashed
  int files_hashed_ = 0;
};

// The index file for the source directory `dir` under `cache_dir`: named by a hash of the
// directory's absolute path, so every directory compiled has its own small index.
std::string SourceIdIndexPath(const std::string& cache_dir, const std::string& dir);

}  // namespace spoke

#endif  // SPOKE_SOURCE_ID_CACHE_H_
