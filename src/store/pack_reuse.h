// Reusing the stored form of objects when writing a pack, as git's pack-objects does: an object
// that sits whole (not as a delta) in one of the store's packs is copied into the outgoing pack
// byte for byte, header and zlib stream, with no inflate and no deflate.
//
// Registries receive their objects as Spoke's own whole-object packs (pack_writer.h), so almost
// everything a fetch sends can be copied. Objects that are loose or stored as deltas (a store
// repacked by stock git, say) fall back to being compressed afresh.
#ifndef SPOKE_STORE_PACK_REUSE_H_
#define SPOKE_STORE_PACK_REUSE_H_

#include <git2.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace spoke {

class PackReuse {
 public:
  // Maps every pack under `objects_dir`/pack with its .idx. Packs that cannot be read are skipped.
  static std::unique_ptr<PackReuse> Load(const std::string& objects_dir);
  ~PackReuse();

  // The stored entry (type-and-size header plus zlib stream) of `id` when it is kept whole in a
  // pack; empty otherwise. Valid while this object lives.
  std::string_view WholeEntry(const git_oid& id) const;

  // Inflates `id` straight from its whole entry into *content, sized once from the entry's header:
  // no copy through libgit2's buffers, the way an artifact of gigabytes reads fastest. False when
  // `id` is not a blob kept whole here, or its entry does not inflate to its stated size. The zlib
  // checksum is not checked: REQUIRES the caller to verify the content's id.
  bool InflateWholeBlob(const git_oid& id, std::string* content) const;

  // Names of the packs mapped, to tell whether a reload is due.
  const std::vector<std::string>& pack_names() const { return names_; }

  struct Pack;

 private:
  PackReuse() = default;
  std::vector<std::unique_ptr<Pack>> packs_;
  std::vector<std::string> names_;
};

}  // namespace spoke

#endif  // SPOKE_STORE_PACK_REUSE_H_
