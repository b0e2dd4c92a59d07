// BlobPackWriter: one worker thread hashes each blob, skips the ones already stored, and appends
// the new ones, compressed, to a pack in a quarantine; Finish() fills in the count the pack's
// header could not know in advance, checksums the file and indexes it.
#include "store/blob_pack_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "spoke/digest.h"
#include "spoke/files.h"
#include "store/blob_pack.h"
#include "store/pack_writer.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

constexpr size_t kPackHeaderSize = 12;
constexpr size_t kPieceBytes = 64 << 10;  // what a streamed file is read and compressed in

// An open file descriptor, closed on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads exactly `size` bytes of `fd` from its start, in pieces, calling `piece` for each; false
// when the file is shorter or longer than `size`, or on a read error.
bool ReadPieces(int fd, uint64_t size, std::vector<char>* buffer,
                const std::function<bool(std::string_view)>& piece) {
  if (::lseek(fd, 0, SEEK_SET) != 0) return false;
  uint64_t done = 0;
  while (true) {
    ssize_t n = ::read(fd, buffer->data(), buffer->size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return done == size;
    done += static_cast<uint64_t>(n);
    if (done > size || !piece(std::string_view(buffer->data(), static_cast<size_t>(n))))
      return false;
  }
}

// The git blob id of `size` bytes read from `fd`, as git_odb_hash would give it.
bool HashBlobPieces(int fd, uint64_t size, std::vector<char>* buffer, git_oid* id) {
  GitBlobHasher sha1(size);
  if (!ReadPieces(fd, size, buffer, [&](std::string_view piece) {
        sha1.Update(piece);
        return true;
      })) {
    return false;
  }
  std::memcpy(id->id, sha1.Finish().data(), GIT_OID_RAWSZ);
  return true;
}

// The pack's trailer: SHA-1 of everything before it. Read back from the file because the header's
// object count, which the checksum covers first, is only known at the end.
Result<std::string> ChecksumFile(std::FILE* file, const fs::path& path) {
  if (std::fflush(file) != 0 || std::fseek(file, 0, SEEK_SET) != 0) {
    return Status::IOError("cannot reread " + path.string());
  }
  Sha1 sha1;
  std::vector<char> buffer(kPieceBytes);
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0)
    sha1.Update(std::string_view(buffer.data(), n));
  if (std::ferror(file)) return Status::IOError("cannot reread " + path.string());
  return sha1.Finish();
}

std::string RawId(const git_oid& id) {
  return std::string(reinterpret_cast<const char*>(id.id), GIT_OID_RAWSZ);
}

}  // namespace

Result<std::unique_ptr<BlobPackWriter>> BlobPackWriter::Start(const std::string& store_path,
                                                              size_t pack_threshold) {
  if (store_path.empty())
    return std::unique_ptr<BlobPackWriter>(new BlobPackWriter("", pack_threshold, OdbPtr()));
  git_odb* raw = nullptr;
  int rc = git_odb_open(&raw, (fs::path(store_path) / "objects").c_str());
  if (rc != 0) return GitError(rc, "cannot open the object store of " + store_path);
  return std::unique_ptr<BlobPackWriter>(
      new BlobPackWriter(store_path, pack_threshold, OdbPtr(raw)));
}

BlobPackWriter::BlobPackWriter(std::string store_path, size_t pack_threshold, OdbPtr odb)
    : store_path_(std::move(store_path)), pack_threshold_(pack_threshold), odb_(std::move(odb)) {
  worker_ = std::thread([this] { Run(); });
}

BlobPackWriter::~BlobPackWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  worker_.join();
  if (pack_) std::fclose(pack_);
}

size_t BlobPackWriter::Add(std::string_view content) {
  std::lock_guard<std::mutex> lock(mutex_);
  ids_.emplace_back();
  queue_.push_back({content, &ids_.back(), {}, nullptr});
  work_ready_.notify_one();
  return ids_.size() - 1;
}

size_t BlobPackWriter::AddFile(std::string path) {
  std::lock_guard<std::mutex> lock(mutex_);
  ids_.emplace_back();
  queue_.push_back({{}, &ids_.back(), std::move(path), nullptr});
  work_ready_.notify_one();
  return ids_.size() - 1;
}

std::vector<BlobPackWriter::Pending> BlobPackWriter::TakeHeldBack() {
  std::vector<Pending> held;
  held.swap(held_back_);
  held_back_bytes_ = 0;
  return held;
}

bool BlobPackWriter::ContentOf(const Pending& item, std::string* buffer,
                               std::string_view* content) {
  if (item.file.empty()) {
    *content = item.content;
    return true;
  }
  auto read = ReadFileToString(item.file);
  if (!read.ok()) {
    Fail(read.status());
    return false;
  }
  *buffer = std::move(*read);
  *content = *buffer;
  return true;
}

void BlobPackWriter::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;
    std::deque<Pending> batch;
    batch.swap(queue_);
    busy_ = true;
    bool failed = !error_.ok();
    lock.unlock();
    // After an error nothing more is stored, but the queue still drains so Settle() returns.
    std::string buffer;
    for (Pending& item : batch) {
      if (failed) continue;
      if (!item.file.empty()) {
        struct stat st {};
        if (::stat(item.file.c_str(), &st) != 0) {
          Fail(Status::IOError("cannot read " + item.file + ": " + std::strerror(errno)));
          failed = true;
          continue;
        }
        const auto size = static_cast<uint64_t>(st.st_size);
        if (!without_files() && (pack_ || held_back_bytes_ + size >= kPackBytes)) {
          failed = !StoreFileStreamed(std::move(item), size);
          continue;
        }
      }
      std::string_view content;
      failed = !ContentOf(item, &buffer, &content);
      if (failed) continue;
      *item.id = HashBlob(content);
      failed = !Store(std::move(item), content);
    }
    lock.lock();
    busy_ = false;
    work_done_.notify_all();
  }
}

bool BlobPackWriter::Store(Pending&& item, std::string_view content) {
  const git_oid& id = *item.id;
  if (!seen_.insert(RawId(id)).second) return true;
  // The store's packs were listed when odb_ was opened; rescanning them on every miss would cost
  // a directory read per new blob. Without files, Finish()'s write skips what is stored.
  if (odb_ && git_odb_exists_ext(odb_.get(), &id, GIT_ODB_LOOKUP_NO_REFRESH) == 1) return true;
  if (pack_) return Append(content, id);
  if (!item.file.empty()) item.held = std::make_unique<std::string>(content);
  held_back_bytes_ += content.size();
  held_back_.push_back(std::move(item));
  if (without_files()) return true;
  if (held_back_.size() < pack_threshold_ && held_back_bytes_ < kPackBytes) return true;
  if (!OpenPack()) return false;
  for (const Pending& blob : TakeHeldBack()) {
    if (!Append(HeldContent(blob), *blob.id)) return false;
  }
  return true;
}

bool BlobPackWriter::OpenPack() {
  quarantine_ = std::make_unique<Quarantine>(store_path_);
  if (!quarantine_->ok()) {
    Fail(Status::IOError("cannot create a directory under " + quarantine_->dir().string()));
    return false;
  }
  const fs::path path = quarantine_->dir() / "blobs.pack";
  pack_ = std::fopen(path.c_str(), "w+b");
  // The count is filled in by Finish().
  const unsigned char header[kPackHeaderSize] = {'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0};
  if (!pack_ || std::fwrite(header, 1, sizeof(header), pack_) != sizeof(header)) {
    Fail(Status::IOError("cannot write " + path.string()));
    return false;
  }
  pack_size_ = sizeof(header);
  return true;
}

bool BlobPackWriter::Append(std::string_view content, const git_oid& id) {
  entry_.clear();
  if (!AppendWholeEntry(3, content, &entry_, &scratch_)) {
    Fail(Status::Internal("zlib could not compress blob " + OidHex(id)));
    return false;
  }
  const auto crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(entry_.data()), static_cast<uInt>(entry_.size())));
  if (std::fwrite(entry_.data(), 1, entry_.size(), pack_) != entry_.size()) {
    Fail(Status::IOError("cannot write a pack under " + quarantine_->dir().string()));
    return false;
  }
  entries_.push_back({id, pack_size_, crc});
  pack_size_ += entry_.size();
  return true;
}

bool BlobPackWriter::StoreFileStreamed(Pending&& item, uint64_t size) {
  Fd file{::open(item.file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  std::vector<char> buffer(kPieceBytes);
  if (file.fd < 0 || !HashBlobPieces(file.fd, size, &buffer, item.id)) {
    Fail(Status::IOError("cannot read " + item.file + " whole"));
    return false;
  }
  const git_oid& id = *item.id;
  if (!seen_.insert(RawId(id)).second) return true;
  if (git_odb_exists_ext(odb_.get(), &id, GIT_ODB_LOOKUP_NO_REFRESH) == 1) return true;
  if (!pack_) {
    if (!OpenPack()) return false;
    for (const Pending& blob : TakeHeldBack()) {
      if (!Append(HeldContent(blob), *blob.id)) return false;
    }
  }
  return AppendFile(item.file, size, id);
}

bool BlobPackWriter::AppendFile(const std::string& path, uint64_t size, const git_oid& id) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (file.fd < 0) {
    Fail(Status::IOError("cannot read " + path + ": " + std::strerror(errno)));
    return false;
  }
  // The entry's header (type 3, blob, and the size), then one zlib stream of the content.
  std::string header;
  AppendEntryHeader(3, size, &header);
  const uint64_t offset = pack_size_;
  uLong crc =
      crc32(0, reinterpret_cast<const Bytef*>(header.data()), static_cast<uInt>(header.size()));
  bool written = std::fwrite(header.data(), 1, header.size(), pack_) == header.size();
  uint64_t entry_size = header.size();

  z_stream zs{};
  if (deflateInit(&zs, Z_BEST_SPEED) != Z_OK) {
    Fail(Status::Internal("zlib could not start compressing " + path));
    return false;
  }
  std::vector<char> in(kPieceBytes);
  std::vector<unsigned char> out(kPieceBytes);
  // Hashed again as it is compressed: what goes into the pack must be what was named.
  GitBlobHasher again(size);
  auto drain = [&](int flush) {
    do {
      zs.next_out = out.data();
      zs.avail_out = static_cast<uInt>(out.size());
      int rc = deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) return false;
      const size_t produced = out.size() - zs.avail_out;
      crc = crc32(crc, out.data(), static_cast<uInt>(produced));
      written = written && std::fwrite(out.data(), 1, produced, pack_) == produced;
      entry_size += produced;
    } while (zs.avail_out == 0);
    return true;
  };
  bool read_whole = ReadPieces(file.fd, size, &in, [&](std::string_view piece) {
    again.Update(piece);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
    zs.avail_in = static_cast<uInt>(piece.size());
    return drain(Z_NO_FLUSH);
  });
  const bool finished = read_whole && drain(Z_FINISH);
  deflateEnd(&zs);
  if (!finished) {
    Fail(Status::IOError("cannot read " + path +
                         " whole, or it changed size while it was being stored"));
    return false;
  }
  if (std::memcmp(again.Finish().data(), id.id, GIT_OID_RAWSZ) != 0) {
    Fail(Status::Corruption(path + " changed while it was being stored"));
    return false;
  }
  if (!written) {
    Fail(Status::IOError("cannot write a pack under " + quarantine_->dir().string()));
    return false;
  }
  entries_.push_back({id, offset, static_cast<uint32_t>(crc)});
  pack_size_ += entry_size;
  return true;
}

void BlobPackWriter::Fail(Status status) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (error_.ok()) error_ = std::move(status);
}

Status BlobPackWriter::Settle() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    work_done_.wait(lock, [&] { return queue_.empty() && !busy_; });
    if (!error_.ok()) return error_;
  }
  // Held-back blobs stay out of the store until Finish(), so a snapshot that is never finished (a
  // compile that fails) leaves nothing behind. Their caller may free its copies once this returns,
  // so the ones still only viewed are copied (under kPackBytes in all).
  for (Pending& item : held_back_) {
    if (!item.held) item.held = std::make_unique<std::string>(item.content);
  }
  return Status::Ok();
}

Status BlobPackWriter::Finish(git_odb* loose_into) {
  SPOKE_RETURN_IF_ERROR(Settle());
  git_odb* odb = loose_into ? loose_into : odb_.get();
  if (odb == nullptr) return Status::Internal("a snapshot without files has no object database");
  // Too few new blobs for a pack of their own: loose objects, as WriteBlobs writes them.
  for (const Pending& item : TakeHeldBack()) {
    const std::string_view content = HeldContent(item);
    git_oid written;
    int rc = git_odb_write(&written, odb, content.data(), content.size(), GIT_OBJECT_BLOB);
    if (rc != 0) {
      Fail(GitError(rc, "cannot write a blob"));
      return error_;
    }
  }
  if (!pack_) return Status::Ok();
  const fs::path pack_file = quarantine_->dir() / "blobs.pack";
  const auto count = static_cast<uint32_t>(entries_.size());
  const unsigned char count_bytes[4] = {
      static_cast<unsigned char>(count >> 24), static_cast<unsigned char>(count >> 16),
      static_cast<unsigned char>(count >> 8), static_cast<unsigned char>(count)};
  if (std::fseek(pack_, 8, SEEK_SET) != 0 || std::fwrite(count_bytes, 1, 4, pack_) != 4) {
    return Status::IOError("cannot write " + pack_file.string());
  }
  SPOKE_ASSIGN_OR_RETURN(std::string checksum, ChecksumFile(pack_, pack_file));
  bool ok = std::fseek(pack_, 0, SEEK_END) == 0 &&
            std::fwrite(checksum.data(), 1, checksum.size(), pack_) == checksum.size();
  ok = std::fclose(pack_) == 0 && ok;
  pack_ = nullptr;
  if (!ok) return Status::IOError("cannot write " + pack_file.string());

  std::sort(entries_.begin(), entries_.end(), [](const PackIndexEntry& a, const PackIndexEntry& b) {
    return git_oid_cmp(&a.id, &b.id) < 0;
  });
  SPOKE_ASSIGN_OR_RETURN(std::string index, EncodePackIndex(entries_, checksum));
  return InstallPack(pack_file.string(), index, checksum, store_path_);
}

}  // namespace spoke
