// The local pack cache of the PostgreSQL backend: filled from pack_chunks through temporary files,
// checked against the pack's name, synced and renamed into objects/pack/.
#include "store/postgres_pack_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "spoke/digest.h"
#include "store/durable.h"
#include "store/postgres_packs.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

constexpr size_t kHashBytes = 20;  // a SHA-1, the checksums packs and indexes end with

std::string Hex(const unsigned char* bytes, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < size; ++i) {
    hex += kDigits[bytes[i] >> 4];
    hex += kDigits[bytes[i] & 15];
  }
  return hex;
}

// The 20 bytes at `from_end` bytes before the end of `path`, in hex.
Result<std::string> HashAt(const std::string& path, off_t from_end) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  unsigned char hash[kHashBytes];
  off_t size = lseek(fd, 0, SEEK_END);
  ssize_t n = size >= from_end ? pread(fd, hash, kHashBytes, size - from_end) : -1;
  close(fd);
  if (n != static_cast<ssize_t>(kHashBytes)) return Status::Corruption(path + " is too short");
  return Hex(hash, kHashBytes);
}

// A part of a pack fetched into a temporary file.
struct FetchedPart {
  std::string path;
  std::string hash;  // the SHA-1 of all but its last 20 bytes, in hex: what they must hold
};

// Writes one part of `pack` from the database into a new temporary file in `dir`, synced, hashing
// it on the way.
Result<FetchedPart> FetchPart(postgres::Connection& connection, const StoredPack& pack,
                              PackPart part, const std::string& dir) {
  const int64_t size = part == PackPart::kPack ? pack.size : pack.index_size;
  if (size < static_cast<int64_t>(kHashBytes)) {
    return Status::Corruption("pack " + pack.name + " is recorded with " + std::to_string(size) +
                              " bytes, too few to end with a checksum");
  }
  std::string path = dir + "/fetch-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0)
    return Status::IOError("cannot create a file in " + dir + ": " + std::strerror(errno));
  Sha1 sha1;
  int64_t to_hash = size - static_cast<int64_t>(kHashBytes);
  Status status = ReadPackPart(connection, pack, part, [&](std::string_view data) {
    const size_t hashed = static_cast<size_t>(std::min<int64_t>(to_hash, data.size()));
    sha1.Update(data.substr(0, hashed));
    to_hash -= static_cast<int64_t>(hashed);
    return WriteAll(fd, data, path);
  });
  if (status.ok()) status = SyncFd(fd, path);
  close(fd);
  if (!status.ok()) {
    unlink(path.c_str());
    return status;
  }
  const std::string digest = sha1.Finish();
  return FetchedPart{path, Hex(reinterpret_cast<const unsigned char*>(digest.data()), kHashBytes)};
}

Status CheckChecksums(const std::string& name, const FetchedPart& pack, const FetchedPart& index) {
  SPOKE_ASSIGN_OR_RETURN(std::string pack_trailer, HashAt(pack.path, kHashBytes));
  SPOKE_ASSIGN_OR_RETURN(std::string index_trailer, HashAt(index.path, kHashBytes));
  SPOKE_ASSIGN_OR_RETURN(std::string index_names, HashAt(index.path, 2 * kHashBytes));
  if (pack.hash != name || pack_trailer != name) {
    return Status::Corruption("pack " + name + " hashes to " + pack.hash + " and ends with " +
                              pack_trailer);
  }
  if (index.hash != index_trailer || index_names != name) {
    return Status::Corruption("the index of pack " + name + " hashes to " + index.hash +
                              ", ends with " + index_trailer + " and names pack " + index_names);
  }
  return Status::Ok();
}

}  // namespace

PostgresPackCache::PostgresPackCache(std::string objects_dir, std::string incoming_dir,
                                     postgres::ConnectionPool* pool)
    : objects_dir_(std::move(objects_dir)),
      pack_dir_(objects_dir_ + "/pack"),
      incoming_dir_(std::move(incoming_dir)),
      pool_(pool) {}

Result<std::unique_ptr<PostgresPackCache>> PostgresPackCache::Open(const std::string& cache_dir,
                                                                   postgres::ConnectionPool* pool) {
  std::error_code ec;
  fs::path root = fs::absolute(cache_dir, ec);
  if (ec) return Status::InvalidArgument("bad cache path " + cache_dir + ": " + ec.message());
  const fs::path objects = root / "objects";
  const fs::path incoming = root / "incoming";
  fs::create_directories(objects / "pack", ec);
  if (!ec) fs::create_directories(incoming, ec);
  if (ec)
    return Status::IOError("cannot create the pack cache " + root.string() + ": " + ec.message());
  // What a killed process was fetching or building: never part of the cache.
  for (fs::directory_iterator entry(incoming, ec), end; !ec && entry != end; entry.increment(ec)) {
    std::error_code ignored;
    fs::remove_all(entry->path(), ignored);
  }
  std::unique_ptr<PostgresPackCache> cache(
      new PostgresPackCache(objects.string(), incoming.string(), pool));
  for (fs::directory_iterator entry(objects / "pack", ec), end; !ec && entry != end;
       entry.increment(ec)) {
    const std::string file = entry->path().filename().string();
    const std::string prefix = "pack-", suffix = ".idx";
    if (file.size() != prefix.size() + 40 + suffix.size() || file.rfind(prefix, 0) != 0 ||
        file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string name = file.substr(prefix.size(), 40);
    if (fs::exists(cache->PackPath(name, ".pack"), ec)) cache->cached_.insert(name);
  }
  if (ec)
    return Status::IOError("cannot list the pack cache " + root.string() + ": " + ec.message());
  return cache;
}

std::string PostgresPackCache::PackPath(const std::string& name, const char* extension) const {
  return pack_dir_ + "/pack-" + name + extension;
}

Status PostgresPackCache::Fill() {
  std::lock_guard<std::mutex> lock(mutex_);
  SPOKE_ASSIGN_OR_RETURN(postgres::ConnectionPool::Lease connection, pool_->Take());
  // A pack that compaction removed between the listing and the fetch of its chunks is gone with
  // its row; the compacted pack that holds its objects was listed in the same transaction, so a
  // listing once more finds it. Compactions do not follow each other that fast: a few rounds do.
  Status status = Status::Ok();
  for (int round = 0; round < kFillRounds; ++round) {
    bool vanished = false;
    status = FillOnce(*connection, &vanished);
    if (status.ok() || !vanished) break;
  }
  postgres::ConnectionPool::DiscardIfLost(connection, status);
  return status;
}

Status PostgresPackCache::FillOnce(postgres::Connection& connection, bool* vanished) {
  // The listed set's fingerprint: ids only ever grow and a removed id never comes back, so the
  // same ids in the same order mean the same set, whatever was added and removed meanwhile (a
  // count, which compaction lowers while pushes raise it, could come back to the same number).
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows fingerprint,
      connection.Execute(
          "SELECT md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')) FROM packs"));
  const std::string listed_ids(fingerprint.Bytes(0, 0));
  if (listed_ids == listed_ids_) return Status::Ok();
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows rows,
      connection.Execute("SELECT id, name, size, index_size, object_count FROM packs ORDER BY id"));
  // The first listing also removes what another database's packs left in a reused directory.
  if (listed_ids_.empty()) SPOKE_RETURN_IF_ERROR(RemoveUnlisted(rows));
  Status first_failure = Status::Ok();
  for (int r = 0; r < rows.size(); ++r) {
    StoredPack pack;
    SPOKE_ASSIGN_OR_RETURN(pack.id, rows.Int64(r, 0));
    pack.name = std::string(rows.Bytes(r, 1));
    if (cached_.count(pack.name)) continue;
    SPOKE_ASSIGN_OR_RETURN(pack.size, rows.Int64(r, 2));
    SPOKE_ASSIGN_OR_RETURN(pack.index_size, rows.Int64(r, 3));
    SPOKE_ASSIGN_OR_RETURN(pack.object_count, rows.Int64(r, 4));
    Result<FetchedPart> pack_part = FetchPart(connection, pack, PackPart::kPack, incoming_dir_);
    Result<FetchedPart> index_part =
        pack_part.ok() ? FetchPart(connection, pack, PackPart::kIndex, incoming_dir_)
                       : pack_part.status();
    Status status = index_part.status();
    // Named by its checksum: the pack's bytes hash to its name and end with it; the index's hash
    // to its own last 20 bytes, and record the pack's name before them.
    if (status.ok()) status = CheckChecksums(pack.name, *pack_part, *index_part);
    if (status.ok()) status = Install(pack.name, pack_part->path, index_part->path);
    if (!status.ok()) {
      if (pack_part.ok()) unlink(pack_part->path.c_str());
      if (index_part.ok()) unlink(index_part->path.c_str());
      if (status.code() == Status::Code::kUnavailable) return status;
      if (status.code() == Status::Code::kCorruption && !PackListed(connection, pack.id)) {
        *vanished = true;  // compacted away meanwhile: not a damaged pack
      }
      status = status.WithContext("cannot cache pack " + pack.name);
      // One bad pack must not hide the others' objects: the rest are fetched, and the next fill
      // lists again (listed_ids_ stays) and tries this one again.
      if (first_failure.ok()) first_failure = status;
    }
  }
  if (!first_failure.ok()) return first_failure;
  // Every listed pack is cached: the packs compaction replaced go now, never before the pack
  // that replaced them is here (it was listed with their removal, in one transaction).
  SPOKE_RETURN_IF_ERROR(RemoveUnlisted(rows));
  listed_ids_ = listed_ids;
  return Status::Ok();
}

bool PostgresPackCache::PackListed(postgres::Connection& connection, int64_t id) {
  Result<postgres::Rows> rows =
      connection.Execute("SELECT 1 FROM packs WHERE id = $1", {postgres::Param::Int64(id)});
  return !rows.ok() || rows->size() > 0;
}

Status PostgresPackCache::RemoveUnlisted(const postgres::Rows& listed) {
  std::set<std::string> names;
  for (int r = 0; r < listed.size(); ++r) names.insert(std::string(listed.Bytes(r, 1)));
  bool removed = false;
  for (auto it = cached_.begin(); it != cached_.end();) {
    if (names.count(*it)) {
      ++it;
      continue;
    }
    // The index first: without it libgit2 never opens the pack. A handle that opened the pack
    // keeps reading it (an unlinked file lives while open); the store frees such handles
    // (removed_generation), which gives the disk space back.
    if ((unlink(PackPath(*it, ".idx").c_str()) != 0 && errno != ENOENT) ||
        (unlink(PackPath(*it, ".pack").c_str()) != 0 && errno != ENOENT)) {
      return Status::IOError("cannot remove pack " + *it +
                             ", which the database does not list, from " + pack_dir_ + ": " +
                             std::strerror(errno));
    }
    it = cached_.erase(it);
    removed = true;
  }
  if (removed) removed_generation_.fetch_add(1);
  return Status::Ok();
}

Status PostgresPackCache::Adopt(const std::string& name, const std::string& pack_path,
                                const std::string& index_path) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cached_.count(name)) {
    // A Fill fetched it first, once it was committed: these copies are not needed.
    unlink(pack_path.c_str());
    unlink(index_path.c_str());
    return Status::Ok();
  }
  SPOKE_RETURN_IF_ERROR(SyncPath(pack_path));
  SPOKE_RETURN_IF_ERROR(SyncPath(index_path));
  // The listed set changed (this pack at least), so the next Fill lists: once after a push.
  return Install(name, pack_path, index_path);
}

Status PostgresPackCache::Install(const std::string& name, const std::string& pack_path,
                                  const std::string& index_path) {
  const std::string pack_to = PackPath(name, ".pack");
  const std::string index_to = PackPath(name, ".idx");
  if (rename(pack_path.c_str(), pack_to.c_str()) != 0 ||
      rename(index_path.c_str(), index_to.c_str()) != 0) {
    return Status::IOError("cannot move pack " + name + " into " + pack_dir_ + ": " +
                           std::strerror(errno));
  }
  SPOKE_RETURN_IF_ERROR(SyncPath(pack_dir_));
  cached_.insert(name);
  return Status::Ok();
}

}  // namespace spoke
