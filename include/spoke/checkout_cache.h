// Materialized artifacts: the generated files of artifacts kept as plain files beside the local
// store, so that a cache hit copies (or hard-links) files instead of inflating them out of the
// object store, and need not open the store at all.
//
// The object store stays the truth and travels with sync; this is a cache of it that may be
// deleted at any time. Layout under the cache's directory (docs/storage.md):
//   <key[0:2]>/<key>/<path>    the artifact's generated files
//   <key[0:2]>/<key>.files     the entry's listing, written last: "spoke-checkout 2 <key>\n", then
//                              "<size> <mtime ns> <inode> <path>\n" per file, sorted by path, then
//                              "end <file count> <bytes> <SHA-256 of everything above>\n"; its
//                              mtime is the entry's last use (Find sets it)
//   <key[0:2]>/<key>.lock      taken (flock) while an entry is made or replaced
//   tmp/                       entries being made and compiles' stages; left-overs older than an
//                              hour whose process is gone are removed
// A file of an entry may be a hard link to a file of an output directory (Add links rather than
// copies), so something writing that output file in place writes the cache's file too. Find()
// therefore checks every file's size, mtime and inode against the listing, as git checks its
// index, and treats an entry that does not match as absent. ctime is not compared: making a hard
// link changes it (git's core.trustctime=false). Add and Adopt wait until the file system's clock
// has moved past the files' mtimes and checks them again before it writes the listing, so a later
// write always changes an mtime; what stat cannot see is a same-size rewrite in the same clock tick
// as Spoke's own write (git's "racy" case), and a writer that puts the old mtime back.
//
// The cache holds at most a given number of bytes (the sum of its entries' file sizes, although a
// file that is also an output's costs no extra disk): after each Add or Adopt the least recently
// used entries go until it fits, as ccache's max_size works. Listings Find() cannot accept (of an
// older format, cut) are removed then too.
//
// Symbolic links are never followed in the cache; a cache is safe to use from several processes
// at once (one CheckoutCache object from several threads too: it holds only its settings).
#ifndef SPOKE_CHECKOUT_CACHE_H_
#define SPOKE_CHECKOUT_CACHE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// How Place() puts a file in the output directory.
enum class PlaceMethod {
  kCopy,      // a file of its own (copy_file_range: no bytes through user space)
  kHardLink,  // a hard link to the cache's file, copied when that is impossible (another file
              // system); the caller accepts that writing the output in place changes the cache's
              // copy (which Find then rejects) and every other output linked to it
};

struct CheckoutFile {
  std::string path;
  uint64_t size = 0, mtime_ns = 0, inode = 0;  // as the listing recorded them
};

struct CheckoutEntry {
  std::string key;
  std::string dir;                  // the entry's directory
  std::vector<CheckoutFile> files;  // sorted by path
};

class CheckoutCache {
 public:
  static constexpr uint64_t kDefaultMaxBytes = uint64_t{5} << 30;

  // The cache at `dir` (created on the first Add), holding at most `max_bytes`; 0: no bound.
  explicit CheckoutCache(std::string dir, uint64_t max_bytes = kDefaultMaxBytes)
      : dir_(std::move(dir)), max_bytes_(max_bytes) {}

  // The entry for `key` when it is complete and every file matches its listing; nullopt
  // otherwise. Never an error: a damaged or half-written entry is a miss.
  std::optional<CheckoutEntry> Find(const std::string& key) const;

  // Makes an entry for artifact `key` from the files `paths` just written under `out`: each is
  // hard-linked into the cache (copied when `out` is on another file system). An entry already
  // there and intact is kept. On failure no new entry is made, and Find() still misses. Then
  // evicts the least recently used other entries until the cache fits its bound.
  // REQUIRES: `paths` checked to stay inside `out` (artifact paths are).
  Status Add(const std::string& key, const std::string& out,
             const std::vector<std::string>& paths) const;

  // A new directory in the cache's file system (under tmp/) for a compile to write its files into
  // as it makes them (CachedCompileRequest::stage_dir), so they become an entry by a rename.
  Result<std::string> StartStage() const;
  // Makes the files `paths` under `staged` (a directory of a stage) the entry for `key`, moving
  // them; when an intact entry is there already, it is kept and `staged` removed. Then evicts as
  // Add does. The entry, ready to Place. On failure `staged` may be gone: the caller falls back
  // to the object store.
  Result<CheckoutEntry> Adopt(const std::string& key, const std::string& staged,
                              const std::vector<std::string>& paths) const;
  // Removes what is left of a stage.
  void DropStage(const std::string& stage) const;

  // Puts the entry's files under `out` on several threads, the biggest first, each making the
  // directories it needs. A file already at a path is replaced (unlinked first), never written
  // through, since it may be a hard link into this cache; one that is the entry's own file
  // (linked there before) is left as it is, so its mtime tells a build tool that nothing changed.
  // Each file of the entry is checked against its listing again just before it is placed (and a
  // copy is made from a descriptor checked once more): an error when one changed or vanished
  // since Find().
  Status Place(const CheckoutEntry& entry, const std::string& out, PlaceMethod method) const;

 private:
  std::string EntryDir(const std::string& key) const;
  std::string KeyPath(const std::string& key, const std::string& suffix) const;
  std::string NewTempDir(const std::string& what) const;
  // Runs `make` under the key's lock unless an intact entry appears there meanwhile, then evicts.
  Status MakeEntry(const std::string& key, const std::function<Status()>& make) const;
  Status AddLocked(const std::string& key, const std::string& out,
                   const std::vector<std::string>& paths) const;
  // Stats the files under `temp`, waits for the clock, checks them again and renames `temp` into
  // place with a new listing. REQUIRES: the key's lock is held.
  Status CommitLocked(const std::string& key, const std::string& temp,
                      std::vector<CheckoutFile>* files) const;
  void EvictDownTo(uint64_t max_bytes, const std::string& keep) const;
  std::string dir_;
  uint64_t max_bytes_;
};

}  // namespace spoke

#endif  // SPOKE_CHECKOUT_CACHE_H_
