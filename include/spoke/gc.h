// Garbage collection of a store on disk (`spoke gc`): unreferenced objects, stale quarantines, and
// cached artifacts over a size bound, while other processes keep reading and writing the store.
//
// What is never removed: an object any ref reaches (version tags, module branches, module records,
// artifacts, anything under refs/), at the start of the gc or at its final step; an object whose
// file (its loose object file, or the pack holding it) changed within the grace period, so the
// objects of a write still in flight (a push whose refs are not written yet) survive; a quarantine
// whose owner is alive. Artifacts are rebuildable, so the least recently used ones are dropped
// (their refs deleted) when the artifacts together exceed the bound; versions never are.
//
// How (docs/storage.md, "Garbage collection"): everything the refs reach is written as one new pack
// (libgit2's packbuilder), synced, and moved into objects/pack/ before anything is removed; then,
// holding the store's ref writer lock (spoke-refs.lock) so no ref moves meanwhile, the refs are
// read again and anything a ref written during the gc reaches is kept where it is; only then are
// the old packs (those older than the grace) and loose objects (in the new pack, or unreferenced
// and older than the grace) unlinked. A reader that has an old pack open keeps reading it (unlink
// leaves open files readable on Linux); a reader that has not opened it yet misses there and
// libgit2 rescans objects/pack/, where the new pack is.
//
// Thread safety: one gc per store at a time, across processes: <store>/gc.lock is flock'ed for the
// whole run, and a second gc is refused (Conflict) naming the holder's pid.
#ifndef SPOKE_GC_H_
#define SPOKE_GC_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "spoke/status.h"

namespace spoke {

struct GcOptions {
  // Unreferenced objects and stale quarantines younger than this are kept (git's
  // gc.pruneExpire): a write in flight has not referenced its objects yet.
  std::chrono::seconds prune_older_than{3600};
  // When not 0, least recently used artifacts are dropped until all artifacts' files add up to at
  // most this many bytes (their blobs' sizes).
  uint64_t max_artifact_bytes = 0;
  // Report what would be removed, remove nothing.
  bool dry_run = false;
  // Test hook: called after the new pack is in place and before the final step takes the ref
  // writer lock, so a test can write refs exactly then. Not for production use.
  std::function<void()> before_final_step;
};

struct GcArtifact {
  std::string key;
  uint64_t bytes = 0;
  int64_t last_used = 0;  // seconds since the epoch (artifact_use.h)
};

struct GcReport {
  bool dry_run = false;
  // Objects in the store (distinct ids), and bytes of objects/ (packs, their indexes, loose files).
  uint64_t objects_before = 0, objects_after = 0;
  uint64_t bytes_before = 0, bytes_after = 0;
  uint64_t packs_before = 0, packs_after = 0;
  uint64_t loose_before = 0, loose_after = 0;
  // Objects no ref reaches, and of those the ones kept because they are younger than the grace.
  uint64_t unreferenced = 0, kept_by_grace = 0;
  // Unreferenced objects removed (or that would be, for a dry run).
  uint64_t objects_removed = 0;
  int quarantines_removed = 0;
  std::vector<GcArtifact> artifacts_removed;  // least recently used first
  uint64_t artifact_bytes_before = 0, artifact_bytes_after = 0;
  uint64_t artifacts_before = 0;
};

// Collects the garbage of the store at `store_path` (a bare repository: a registry's
// -storage-dir or a client's local store). NotFound when there is no store there; Conflict when
// another gc holds <store>/gc.lock; IOError when writing the new pack or removing fails (the
// store then still holds every object it held, or more).
Result<GcReport> CollectGarbage(const std::string& store_path, const GcOptions& options);

}  // namespace spoke

#endif  // SPOKE_GC_H_
