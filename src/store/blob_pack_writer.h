// Writing blobs as they arrive, into one pack, on a thread of its own.
//
// WriteBlobs (blob_pack.h) needs every blob up front. When a generator produces thousands of
// files over a minute, that leaves a core idle while it runs and then makes the caller wait for the
// hashing and compression of gigabytes. BlobPackWriter takes each file as soon as it exists, hashes
// it and streams it, compressed, into a pack file, so that when the last file arrives the pack is
// nearly written, and compressed bytes never pile up in memory.
#ifndef SPOKE_STORE_BLOB_PACK_WRITER_H_
#define SPOKE_STORE_BLOB_PACK_WRITER_H_

#include <git2.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "spoke/status.h"
#include "store/git_handles.h"
#include "store/pack_index.h"
#include "store/store_impl.h"

namespace spoke {

class BlobPackWriter {
 public:
  // A writer for the store at `store_path`. Blobs the store already has are skipped. As long as
  // fewer than `pack_threshold` new blobs, and fewer than kPackBytes bytes of them, have arrived
  // they are held back and, if no more come, written loose by Finish(): small snapshots do not
  // each leave a pack. Nothing reaches the store before Finish(), so a writer dropped without it
  // (a compile that failed) leaves nothing behind. The byte bound (which WriteBlobs, for sources,
  // does not have) is for a few large files, such as a module's generated code: as loose objects
  // they would pay zlib's default level and libgit2's collision-detecting SHA-1 after the generator
  // ends.
  //
  // An empty `store_path` is a store without files (the memory and PostgreSQL backends): every new
  // blob is held back, whatever the thresholds, and Finish() writes them through the object
  // database it is given, which is the backend's (for PostgreSQL: kept in memory until the
  // UpdateRefs that needs them stores them as one pack with the refs).
  static constexpr size_t kPackBytes = 512 << 10;
  static Result<std::unique_ptr<BlobPackWriter>> Start(const std::string& store_path,
                                                       size_t pack_threshold);
  // Stops the worker. A pack that Finish() did not move into the store is deleted.
  ~BlobPackWriter();
  BlobPackWriter(const BlobPackWriter&) = delete;
  BlobPackWriter& operator=(const BlobPackWriter&) = delete;

  // Queues `content`; returns its number (0, 1, ...), for id(). Thread-safe.
  // REQUIRES: `content` stays valid and unchanged until the next Settle() or Finish() returns.
  size_t Add(std::string_view content);
  // Queues the content of the file at `path`. Thread-safe. A file that goes into the pack is
  // streamed (hashed, then compressed while hashed again, in 64 KiB pieces), so a large generated
  // file never sits in memory; if it changed between the two reads, the writer fails (Corruption)
  // rather than store bytes under another blob's id. A smaller one is read whole, as held-back
  // bytes must be.
  size_t AddFile(std::string path);
  // Waits until every content added so far is hashed and stored (appended to the pack in the
  // quarantine, or copied while held back); afterwards none of them is read again. The first error
  // of any blob, sticky.
  Status Settle();
  // The blob id of content number `n`. REQUIRES: Settle() or Finish() returned Ok after Add.
  const git_oid& id(size_t n) const { return ids_[n]; }
  // Settles, writes held-back blobs loose (through `loose_into` when not null, else through the
  // store's own object database), or completes the pack (count, checksum, index) and moves it into
  // objects/pack/, .pack before .idx, synced (durable.h). REQUIRES: `loose_into` for a writer
  // without a store path; used by this thread only during the call.
  Status Finish(git_odb* loose_into = nullptr);

 private:
  struct Pending {
    std::string_view content;  // when `file` is empty
    git_oid* id;
    std::string file;  // else the content is this file's
    // A file's bytes as first read and hashed, kept while it is held back: the file is not read
    // again, so what is written is what was hashed. Held-back bytes stay under kPackBytes.
    std::unique_ptr<std::string> held;
  };
  BlobPackWriter(std::string store_path, size_t pack_threshold, OdbPtr odb);
  // A store without files: nothing goes to a pack, everything is held back for Finish().
  bool without_files() const { return store_path_.empty(); }
  void Run();
  // Worker-side steps; return false after recording an error in error_.
  bool Store(Pending&& item, std::string_view content);
  // A queued item's content: its view, or its file read into *buffer. False after recording an
  // error.
  bool ContentOf(const Pending& item, std::string* buffer, std::string_view* content);
  // A held-back item's content, always in memory (its view, or the bytes kept from its file).
  static std::string_view HeldContent(const Pending& item) {
    return item.held ? *item.held : item.content;
  }
  // The held-back items, leaving none.
  std::vector<Pending> TakeHeldBack();
  bool OpenPack();
  bool Append(std::string_view content, const git_oid& id);
  // A file item bound for the pack, streamed; `size` is from stat. False after recording an error.
  bool StoreFileStreamed(Pending&& item, uint64_t size);
  bool AppendFile(const std::string& path, uint64_t size, const git_oid& id);
  void Fail(Status status);

  const std::string store_path_;
  const size_t pack_threshold_;
  OdbPtr odb_;  // the worker's own handle (libgit2 handles are not shared between threads); null
                // without files

  std::mutex mutex_;
  std::condition_variable work_ready_, work_done_;
  std::deque<Pending> queue_;
  bool busy_ = false, stopping_ = false;
  Status error_ = Status::Ok();
  std::deque<git_oid> ids_;  // a deque: Add() appends while the worker fills earlier slots

  // Worker state, also read by Settle() and Finish() once the worker is idle.
  std::unordered_set<std::string> seen_;  // raw ids of blobs stored or held back
  std::vector<Pending> held_back_;        // new blobs while below the thresholds
  size_t held_back_bytes_ = 0;
  std::unique_ptr<Quarantine> quarantine_;  // null until the pack is opened
  std::FILE* pack_ = nullptr;
  uint64_t pack_size_ = 0;
  std::vector<PackIndexEntry> entries_;
  std::string entry_;
  std::vector<unsigned char> scratch_;

  std::thread worker_;
};

}  // namespace spoke

#endif  // SPOKE_STORE_BLOB_PACK_WRITER_H_
