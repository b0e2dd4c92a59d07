// Writing outgoing packs without a delta search.
//
// libgit2's packbuilder searches for deltas on every pack it builds and cannot reuse the deltas
// already stored, which makes serving a large version cost seconds of CPU per fetch. The objects
// Spoke moves are small text files whose bulk zlib already shrinks, and loopback or LAN bandwidth
// is cheap next to CPU, so outgoing packs hold every object whole, compressed at zlib's fastest
// level, on several threads. The result is a standard version 2 pack any git can index.
#ifndef SPOKE_STORE_PACK_WRITER_H_
#define SPOKE_STORE_PACK_WRITER_H_

#include <git2.h>

#include <string>
#include <string_view>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// Every object reachable from `wants` (tags, commits with their history and trees, trees, blobs)
// that is not reachable from `haves` (their commits' history is skipped, and the trees of the
// have commits themselves). NotFound for a want that is not in the repository; unknown haves are
// ignored. Order: tags, commits, then trees and blobs as they are met.
Result<std::vector<git_oid>> CollectPackObjects(git_repository* repo,
                                                const std::vector<std::string>& wants,
                                                const std::vector<std::string>& haves);

class PackReuse;

// Appends one whole pack entry of `type` (1 commit, 2 tree, 3 blob, 4 tag): the type-and-size
// header, then `content` compressed at zlib's fastest level. `scratch` is reused between calls.
// False when zlib fails.
bool AppendWholeEntry(int type, std::string_view content, std::string* out,
                      std::vector<unsigned char>* scratch);
// Appends only the type-and-size header of an entry whose content follows, compressed, by the
// caller.
void AppendEntryHeader(int type, uint64_t size, std::string* out);
// Appends a version 2 pack's 12-byte header ("PACK", version, object count, big-endian).
void AppendPackHeader(uint32_t object_count, std::string* out);

// A pack of `objects`, each whole. Objects that `reuse` (may be null) holds whole are copied as
// stored; the others are read and compressed, on `threads` >= 1 threads.
Result<std::string> WritePack(git_odb* odb, const std::vector<git_oid>& objects, unsigned threads,
                              const PackReuse* reuse);

}  // namespace spoke

#endif  // SPOKE_STORE_PACK_WRITER_H_
