// Store::CheckoutFiles: a version's files written into a directory by several threads, each file
// hashed against the manifest before it is written, like a parallel `git checkout`.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "spoke/digest.h"
#include "spoke/files.h"
#include "spoke/names.h"
#include "store/store_impl.h"
#include "util/parallel.h"

namespace spoke {

Status Store::CheckoutFiles(const VersionInfo& version, const std::string& dir,
                            const CheckoutOptions& options) const {
  namespace fs = std::filesystem;
  SPOKE_ASSIGN_OR_RETURN(auto ids, ListFileIds(version));
  const auto& listed = version.manifest.files;
  if (ids.size() != listed.size()) {
    return Status::Corruption("version " + version.module + "@" + version.version + " has " +
                              std::to_string(ids.size()) + " files but its manifest lists " +
                              std::to_string(listed.size()));
  }
  if (!options.mount.empty()) SPOKE_RETURN_IF_ERROR(ValidateModuleName(options.mount));
  const fs::path base = options.mount.empty() ? fs::path(dir) : fs::path(dir) / options.mount;
  // (path, blob id, index in the manifest's list) of every file to write, sorted by path.
  struct Wanted {
    std::string path, id;
    size_t listed;
  };
  std::vector<Wanted> files;
  std::set<std::string> dirs;
  size_t in_manifest = 0;
  for (const auto& [path, id] : ids) {
    if (path != listed[in_manifest].path) {
      return Status::Corruption("file " + path + " of " + version.module + "@" + version.version +
                                " is not in its manifest");
    }
    SPOKE_RETURN_IF_ERROR(ValidateProtoPath(path));
    if (!options.only || options.only->count(path)) {
      files.push_back({path, id, in_manifest});
      dirs.insert((base / path).parent_path().string());
    }
    ++in_manifest;
  }
  for (const auto& d : dirs) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) return Status::IOError("cannot create " + d + ": " + ec.message());
  }
  unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  if (files.size() < 64) threads = 1;
  std::shared_ptr<const std::map<std::string, BlobDigest>> received;
  {
    std::lock_guard<std::mutex> lock(impl_->digests_mutex);
    received = impl_->received_blobs;
  }
  auto work = [&](unsigned part) -> Status {
    auto lease = RepoLease::Take(impl_.get());
    if (!lease.ok()) {
      return lease.status();
    }
    size_t begin = files.size() * part / threads, end = files.size() * (part + 1) / threads;
    for (size_t i = begin; i < end; ++i) {
      const auto& [path, id, at] = files[i];
      const ManifestFile& expected = listed[at];
      auto known = received->find(id);
      BlobPtr blob;
      std::string_view content;
      if (known != received->end() && known->second.content_kept) {
        content = known->second.content;
      } else {
        auto oid = ParseOid(id);
        git_blob* raw = nullptr;
        int rc = oid.ok() ? git_blob_lookup(&raw, lease->get(), &*oid) : -1;
        if (rc != 0) {
          return GitError(rc, "cannot read " + path);
        }
        blob.reset(raw);
        content = std::string_view(static_cast<const char*>(git_blob_rawcontent(raw)),
                                   static_cast<size_t>(git_blob_rawsize(raw)));
      }
      bool matches = content.size() == expected.size &&
                     (known != received->end() ? known->second.sha256 == expected.sha256 &&
                                                     known->second.size == content.size()
                                               : Sha256Hex(content) == expected.sha256);
      if (!matches) {
        return Status::Corruption("file " + path + " of " + version.module + "@" + version.version +
                                  " does not match its manifest");
      }
      Status written = WriteFileInPlace((base / path).string(), content);
      if (!written.ok()) {
        return written;
      }
    }
    return Status::Ok();
  };
  SPOKE_RETURN_IF_ERROR(RunInParallel(threads, work));
  return Status::Ok();
}

}  // namespace spoke
