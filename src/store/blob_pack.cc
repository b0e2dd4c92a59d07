// WriteBlobs: blob ids by OpenSSL's SHA-1, then the new blobs compressed on every core into one
// pack, written in a quarantine and moved into objects/pack/ once its index is written.
#include "store/blob_pack.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "spoke/digest.h"
#include "store/durable.h"
#include "store/git_handles.h"
#include "store/pack_index.h"
#include "store/pack_writer.h"
#include "store/store_impl.h"
#include "util/parallel.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

// The entries one thread compressed: their bytes back to back, and where each one starts.
struct CompressedPart {
  std::string bytes;
  std::vector<size_t> starts;
  std::vector<uint32_t> crcs;
};

class PackFileWriter {
 public:
  explicit PackFileWriter(const fs::path& path) : file_(std::fopen(path.c_str(), "wb")) {}
  ~PackFileWriter() {
    if (file_) std::fclose(file_);
  }
  bool Write(std::string_view bytes) {
    sha1_.Update(bytes);
    return file_ && std::fwrite(bytes.data(), 1, bytes.size(), file_) == bytes.size();
  }
  // Appends the checksum trailer and closes the file; the checksum (raw) or "" on failure.
  std::string Finish() {
    std::string checksum = sha1_.Finish();
    bool ok = file_ && std::fwrite(checksum.data(), 1, checksum.size(), file_) == checksum.size();
    ok = file_ && std::fclose(file_) == 0 && ok;
    file_ = nullptr;
    return ok ? checksum : std::string();
  }

 private:
  std::FILE* file_;
  Sha1 sha1_;
};

Status WriteLoose(git_odb* odb, std::string_view content, const git_oid& expected) {
  git_oid id;
  int rc = git_odb_write(&id, odb, content.data(), content.size(), GIT_OBJECT_BLOB);
  if (rc != 0) return GitError(rc, "cannot write a blob");
  if (!git_oid_equal(&id, &expected))
    return Status::Internal("a blob's id changed while it was written");
  return Status::Ok();
}

}  // namespace

Status InstallPack(const std::string& pack_file, const std::string& index,
                   const std::string& checksum, const std::string& store_path) {
  const fs::path index_file = fs::path(pack_file).replace_extension(".idx");
  {
    std::FILE* f = std::fopen(index_file.c_str(), "wb");
    bool ok = f && std::fwrite(index.data(), 1, index.size(), f) == index.size();
    if (f) ok = std::fclose(f) == 0 && ok;
    if (!ok) return Status::IOError("cannot write " + index_file.string());
  }
  const fs::path pack_dir = fs::path(store_path) / "objects" / "pack";
  std::error_code ec;
  const bool made_pack_dir = fs::create_directories(pack_dir, ec);
  // Synced before they are renamed in, and the directory after, so a ref written later never
  // survives a power loss that its objects do not (durable.h).
  SPOKE_RETURN_IF_ERROR(SyncPath(pack_file));
  SPOKE_RETURN_IF_ERROR(SyncPath(index_file.string()));
  const std::string name = PackBaseName(checksum);
  fs::rename(pack_file, pack_dir / (name + ".pack"), ec);
  if (!ec) fs::rename(index_file, pack_dir / (name + ".idx"), ec);
  if (ec) return Status::IOError("cannot move a new pack into the store: " + ec.message());
  SPOKE_RETURN_IF_ERROR(SyncPath(pack_dir.string()));
  if (made_pack_dir) SPOKE_RETURN_IF_ERROR(SyncPath(pack_dir.parent_path().string()));
  return Status::Ok();
}

git_oid HashBlob(std::string_view content) {
  git_oid id;
  std::memcpy(id.id, GitBlobId(content).data(), GIT_OID_RAWSZ);
  return id;
}

Result<std::vector<git_oid>> WriteBlobs(git_repository* repo,
                                        const std::vector<std::string_view>& contents,
                                        size_t pack_threshold) {
  unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  if (contents.size() < 256) threads = 1;
  std::vector<git_oid> ids(contents.size());
  SPOKE_RETURN_IF_ERROR(RunInParallel(threads, [&](unsigned part) {
    size_t begin = contents.size() * part / threads, end = contents.size() * (part + 1) / threads;
    for (size_t i = begin; i < end; ++i) ids[i] = HashBlob(contents[i]);
    return Status::Ok();
  }));

  git_odb* raw_odb = nullptr;
  int rc = git_repository_odb(&raw_odb, repo);
  if (rc != 0) return GitError(rc, "cannot open the object store");
  OdbPtr odb(raw_odb);
  std::vector<size_t> fresh;  // index in `contents` of the first of each blob the store lacks
  {
    std::vector<size_t> order(contents.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return git_oid_cmp(&ids[a], &ids[b]) < 0; });
    // One refresh up front instead of one per missing blob (git_odb_exists rescans the packs
    // on every miss).
    rc = git_odb_refresh(raw_odb);
    if (rc != 0) return GitError(rc, "cannot read the object store");
    for (size_t k = 0; k < order.size(); ++k) {
      if (k > 0 && git_oid_equal(&ids[order[k]], &ids[order[k - 1]])) continue;
      if (git_odb_exists_ext(raw_odb, &ids[order[k]], GIT_ODB_LOOKUP_NO_REFRESH) != 1)
        fresh.push_back(order[k]);
    }
  }
  // A store without files (git_repository_path is null: the memory backend) takes them one by one.
  if (fresh.size() < pack_threshold || git_repository_path(repo) == nullptr) {
    for (size_t i : fresh) SPOKE_RETURN_IF_ERROR(WriteLoose(raw_odb, contents[i], ids[i]));
    return ids;
  }

  // `fresh` is sorted by id, so the pack's entries, and thus its name, depend only on the blobs.
  if (fresh.size() < 256) threads = 1;
  std::vector<CompressedPart> parts(threads);
  SPOKE_RETURN_IF_ERROR(RunInParallel(threads, [&](unsigned part) -> Status {
    std::vector<unsigned char> scratch;
    CompressedPart& out = parts[part];
    size_t begin = fresh.size() * part / threads, end = fresh.size() * (part + 1) / threads;
    for (size_t k = begin; k < end; ++k) {
      size_t start = out.bytes.size();
      out.starts.push_back(start);
      if (!AppendWholeEntry(3, contents[fresh[k]], &out.bytes, &scratch)) {
        return Status::Internal("zlib could not compress blob " + OidHex(ids[fresh[k]]));
      }
      out.crcs.push_back(
          static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(out.bytes.data() + start),
                                      static_cast<uInt>(out.bytes.size() - start))));
    }
    return Status::Ok();
  }));

  Quarantine quarantine(git_repository_path(repo));
  if (!quarantine.ok())
    return Status::IOError("cannot create a directory under " + quarantine.dir().string());
  const fs::path pack_file = quarantine.dir() / "blobs.pack";
  PackFileWriter writer(pack_file);
  const auto count = static_cast<uint32_t>(fresh.size());
  std::string header;
  AppendPackHeader(count, &header);
  bool written = writer.Write(header);
  std::vector<PackIndexEntry> entries;
  entries.reserve(fresh.size());
  uint64_t base = header.size();
  size_t k = 0;
  for (auto& part : parts) {
    for (size_t j = 0; j < part.starts.size(); ++j, ++k) {
      entries.push_back({ids[fresh[k]], base + part.starts[j], part.crcs[j]});
    }
    written = written && writer.Write(part.bytes);
    base += part.bytes.size();
    std::string().swap(part.bytes);
  }
  std::string checksum = writer.Finish();
  if (!written || checksum.empty()) return Status::IOError("cannot write " + pack_file.string());
  SPOKE_ASSIGN_OR_RETURN(std::string index, EncodePackIndex(entries, checksum));
  SPOKE_RETURN_IF_ERROR(
      InstallPack(pack_file.string(), index, checksum, git_repository_path(repo)));
  rc = git_odb_refresh(raw_odb);
  if (rc != 0) return GitError(rc, "cannot reload the object store");
  return ids;
}

}  // namespace spoke
