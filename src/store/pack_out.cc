// Building the packs the sync protocol sends: everything reachable from the wants that is not
// reachable from the haves, so a fetch moves only what the other side lacks. See pack_writer.h for
// why the pack holds whole objects.
#include <algorithm>
#include <filesystem>
#include <thread>

#include "store/pack_writer.h"
#include "store/store_impl.h"

namespace spoke {

std::shared_ptr<PackReuse> Store::Impl::CurrentPackReuse() {
  if (path.empty()) return nullptr;  // no pack files to map
  std::vector<std::string> names;
  std::error_code ec;
  // increment(ec), not a range for: its operator++ throws when reading the directory fails.
  for (std::filesystem::directory_iterator
           entry(std::filesystem::path(path) / "objects" / "pack", ec),
       end;
       !ec && entry != end; entry.increment(ec)) {
    if (entry->path().extension() == ".idx") names.push_back(entry->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::lock_guard<std::mutex> lock(reuse_mutex);
  if (!reuse || reuse->pack_names() != names) reuse = PackReuse::Load(path + "/objects");
  return reuse;
}

Result<std::string> Store::BuildPack(const std::vector<std::string>& wants,
                                     const std::vector<std::string>& haves,
                                     PackStats* stats) const {
  SPOKE_ASSIGN_OR_RETURN(RepoLease lease, RepoLease::Take(impl_.get()));
  SPOKE_ASSIGN_OR_RETURN(std::vector<git_oid> objects,
                         CollectPackObjects(lease.get(), wants, haves));
  git_odb* odb = nullptr;
  int rc = git_repository_odb(&odb, lease.get());
  if (rc != 0) return GitError(rc, "cannot open the object store");
  OdbPtr owned(odb);
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::shared_ptr<PackReuse> reuse = impl_->CurrentPackReuse();
  SPOKE_ASSIGN_OR_RETURN(std::string pack, WritePack(odb, objects, threads, reuse.get()));
  if (stats) {
    stats->objects = objects.size();
    stats->bytes = pack.size();
  }
  return pack;
}

}  // namespace spoke
