// A single-pass indexer for packs read from a file: inflate in pieces, hash, check, write .idx.
#include "store/pack_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "spoke/digest.h"
#include "spoke/files.h"
#include "store/git_handles.h"
#include "store/object_checks.h"
#include "util/channel.h"

namespace spoke {
namespace {

namespace fs = std::filesystem;

constexpr size_t kWindowBytes = 1 << 20;   // how much of the pack file is read at once
constexpr size_t kPieceBytes = 256 << 10;  // the most one inflated piece holds
constexpr size_t kBatchBytes = 1 << 20;    // pieces go to the naming stage in batches this big
constexpr size_t kBatchPieces = 256;       // or of this many pieces
constexpr size_t kBatchesInFlight = 8;
// The smallest pack entry: a one-byte header and the smallest zlib stream (2 bytes of header, an
// empty final block of 2 and the 4-byte Adler-32).
constexpr uint64_t kMinEntryBytes = 9;

std::string Sha1Of(const std::string_view a) {
  Sha1 hasher;
  hasher.Update(a);
  return hasher.Finish();
}

void PutBe32(std::string* out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(b, 4);
}

const char* TypeName(int type) {
  switch (type) {
    case GIT_OBJECT_COMMIT:
      return "commit";
    case GIT_OBJECT_TREE:
      return "tree";
    case GIT_OBJECT_BLOB:
      return "blob";
    case GIT_OBJECT_TAG:
      return "tag";
    default:
      return "delta";
  }
}

Status Corrupt(const std::string& why) { return Status::Corruption("malformed pack: " + why); }

struct OwnedFd {
  int fd = -1;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
};

// The bytes of a pack file from its start up to its trailer, read in windows. Every byte consumed
// goes into the pack's SHA-1 and the current entry's CRC-32.
class PackReader {
 public:
  PackReader(int fd, uint64_t body_end) : fd_(fd), body_end_(body_end), buffer_(kWindowBytes) {}

  // Makes at least `n` bytes available at data() (fewer only where the body ends); how many are.
  Result<size_t> Peek(size_t n) {
    if (filled_ - begin_ >= n || file_pos_ == body_end_) return filled_ - begin_;
    std::memmove(buffer_.data(), buffer_.data() + begin_, filled_ - begin_);
    filled_ -= begin_;
    begin_ = 0;
    while (filled_ < n && file_pos_ < body_end_) {
      size_t want =
          static_cast<size_t>(std::min<uint64_t>(buffer_.size() - filled_, body_end_ - file_pos_));
      ssize_t got = ::pread(fd_, buffer_.data() + filled_, want, static_cast<off_t>(file_pos_));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0)
        return Status::IOError(std::string("cannot read the received pack: ") +
                               std::strerror(errno));
      if (got == 0) return Status::IOError("the received pack's file shrank while it was read");
      filled_ += static_cast<size_t>(got);
      file_pos_ += static_cast<uint64_t>(got);
    }
    return filled_ - begin_;
  }
  const unsigned char* data() const { return buffer_.data() + begin_; }
  void Consume(size_t n) {
    std::string_view bytes(reinterpret_cast<const char*>(data()), n);
    checksum_.Update(bytes);
    crc_ = crc32(crc_, data(), static_cast<uInt>(n));
    begin_ += n;
    pos_ += n;
  }
  uint64_t pos() const { return pos_; }
  void StartEntry() { crc_ = crc32(0, nullptr, 0); }
  uint32_t crc() const { return static_cast<uint32_t>(crc_); }
  std::string FinishChecksum() { return checksum_.Finish(); }

 private:
  const int fd_;
  const uint64_t body_end_;
  std::vector<unsigned char> buffer_;
  size_t begin_ = 0, filled_ = 0;  // the window's unread bytes: buffer_[begin_, filled_)
  uint64_t file_pos_ = 0;          // where the next read starts
  uint64_t pos_ = 0;               // the pack offset of data()
  Sha1 checksum_;
  uLong crc_ = 0;
};

// Inflates one zlib stream from `in` that must produce exactly `size` bytes, handing them to
// `sink` in pieces of at most kPieceBytes (the last one flagged). Output is never sized by `size`
// beyond one piece, so a false size costs nothing until bytes back it.
Status InflateStream(PackReader* in, z_stream* zs, uint64_t size, const std::string& what,
                     const std::function<void(std::string, bool last)>& sink) {
  if (inflateReset(zs) != Z_OK) return Status::Internal("zlib cannot restart");
  uint64_t produced = 0;
  std::string piece;
  size_t used = 0;
  while (true) {
    if (piece.empty()) {
      // One byte more than may come, to see a stream that inflates past its size.
      piece.resize(static_cast<size_t>(std::min<uint64_t>(size - produced, kPieceBytes)) + 1);
      used = 0;
    }
    SPOKE_ASSIGN_OR_RETURN(size_t available, in->Peek(1));
    if (available == 0) return Corrupt(what + " is cut short");
    zs->next_in = const_cast<Bytef*>(in->data());
    zs->avail_in = static_cast<uInt>(std::min<size_t>(available, UINT32_MAX));
    zs->next_out = reinterpret_cast<Bytef*>(piece.data() + used);
    zs->avail_out = static_cast<uInt>(piece.size() - used);
    const uInt in_before = zs->avail_in, out_before = zs->avail_out;
    int rc = inflate(zs, Z_NO_FLUSH);
    in->Consume(in_before - zs->avail_in);
    used += out_before - zs->avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      return Corrupt(what + " does not inflate");
    if (produced + used > size)
      return Corrupt(what + " inflates to more than the " + std::to_string(size) +
                     " bytes it states");
    if (rc == Z_STREAM_END) {
      if (produced + used != size) {
        return Corrupt(what + " inflates to " + std::to_string(produced + used) +
                       " bytes, not the " + std::to_string(size) + " it states");
      }
      piece.resize(used);
      sink(std::move(piece), true);
      return Status::Ok();
    }
    if (in_before == zs->avail_in && out_before == zs->avail_out && zs->avail_in > 0 &&
        zs->avail_out > 0) {
      return Corrupt(what + " does not inflate");
    }
    if (used == piece.size()) {
      produced += used;
      piece.resize(used);
      sink(std::move(piece), false);
      piece = std::string();
    }
  }
}

// What the first stage hands the second: one piece of an entry's inflated bytes.
struct EntryPiece {
  bool first = false, last = false;
  int type = 0;         // on the first piece
  uint64_t size = 0;    // on the first piece
  uint64_t offset = 0;  // on the first piece
  uint32_t crc = 0;     // on the last piece
  std::string data;
};
using Batch = std::vector<EntryPiece>;

// What the walk of a pack found besides its objects.
struct WalkResult {
  bool saw_delta = false;
};

// Reads a little-endian base-128 number from `bytes` at *pos (a delta's header).
bool ReadDeltaSize(std::string_view bytes, size_t* pos, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= bytes.size()) return false;
    auto byte = static_cast<unsigned char>(bytes[(*pos)++]);
    *value |= uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

// Walks the entries of a pack whose header said `count`, inflating whole objects to `out` in
// batches and bounding every entry (docs in pack_index.h). Stops early, Ok, when the receiving
// side closed `out`.
Status WalkEntries(PackReader* in, uint32_t count, uint64_t body_end, uint64_t inflation_budget,
                   Channel<Batch>* out, WalkResult* result) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Status::Internal("zlib cannot start");
  struct ZlibEnd {
    z_stream* zs;
    ~ZlibEnd() { inflateEnd(zs); }
  } zlib_end{&zs};
  Batch batch;
  size_t batch_bytes = 0;
  bool receiver_gone = false;
  auto send = [&](EntryPiece piece) {
    batch_bytes += piece.data.size();
    batch.push_back(std::move(piece));
    if (batch.size() >= kBatchPieces || batch_bytes >= kBatchBytes) {
      receiver_gone = receiver_gone || !out->Send(std::move(batch));
      batch = Batch();
      batch_bytes = 0;
    }
  };
  uint64_t inflated = 0;
  std::vector<uint64_t> entry_starts;  // grows with the entries read, never by `count`
  for (uint32_t i = 0; i < count && !receiver_gone; ++i) {
    const std::string what = "entry " + std::to_string(i);
    const uint64_t start = in->pos();
    if (start >= body_end)
      return Corrupt("the pack ends after " + std::to_string(i) + " of the " +
                     std::to_string(count) + " objects its header states");
    in->StartEntry();
    entry_starts.push_back(start);  // in increasing order, as entries follow one another
    SPOKE_ASSIGN_OR_RETURN(size_t available, in->Peek(32));
    const unsigned char* p = in->data();
    size_t used = 0;
    unsigned char byte = p[used++];
    const int type = (byte >> 4) & 7;
    uint64_t size = byte & 0x0f;
    for (int shift = 4; byte & 0x80; shift += 7) {
      if (used >= available || shift > 60) return Corrupt("bad header of " + what);
      byte = p[used++];
      size |= uint64_t{byte & 0x7fu} << shift;
    }
    const bool delta = type == GIT_OBJECT_OFS_DELTA || type == GIT_OBJECT_REF_DELTA;
    if (!delta && (type < GIT_OBJECT_COMMIT || type > GIT_OBJECT_TAG)) {
      return Corrupt(what + " is of unknown type " + std::to_string(type));
    }
    if (type == GIT_OBJECT_OFS_DELTA) {
      // The base's distance back, in git's offset encoding (each continuation adds one first).
      if (used >= available) return Corrupt("bad header of " + what);
      byte = p[used++];
      uint64_t distance = byte & 0x7f;
      for (int n = 0; byte & 0x80; ++n) {
        if (used >= available || n > 8) return Corrupt("bad base offset of " + what);
        byte = p[used++];
        distance = ((distance + 1) << 7) | (byte & 0x7f);
      }
      if (distance == 0 || distance > start - 12)
        return Corrupt(what + " names a base outside the pack");
      // The base must be an entry, not bytes inside one: libgit2's indexer would read whatever
      // lies there as an entry header and allocate the size it claims.
      if (!std::binary_search(entry_starts.begin(), entry_starts.end(), start - distance))
        return Corrupt(what + " names a base at offset " + std::to_string(start - distance) +
                       ", where no entry starts");
    } else if (type == GIT_OBJECT_REF_DELTA) {
      // Spoke's packs are never thin and name a delta's base by its offset, as git's do when the
      // receiver speaks ofs-delta. A base named by id is refused rather than left to libgit2's
      // indexer, which loops without bound (allocating as it goes) on a ref delta that rebuilds
      // an object it already holds.
      return Corrupt(what +
                     " is a delta against a base named by id (a thin pack's REF_DELTA); "
                     "Spoke accepts whole objects and offset deltas only");
    }
    const uint64_t limit =
        type == GIT_OBJECT_BLOB || delta ? kMaxBlobBytes : kMaxStructuralObjectBytes;
    if (size > limit) {
      return Corrupt(what + " (a " + std::string(TypeName(type)) + ") states " +
                     std::to_string(size) + " bytes, over the limit of " + std::to_string(limit));
    }
    inflated += size;
    if (inflated > inflation_budget) {
      return Corrupt("its objects inflate to more than " + std::to_string(inflation_budget) +
                     " bytes, over the limit for a pack of its size");
    }
    in->Consume(used);

    if (delta) {
      result->saw_delta = true;
      // Only the delta's header matters here: the size of what it rebuilds, which libgit2's
      // indexer will allocate, so it is bounded like any object.
      std::string head;
      SPOKE_RETURN_IF_ERROR(InflateStream(in, &zs, size, what, [&](std::string piece, bool) {
        if (head.size() < 32)
          head.append(piece, 0, std::min<size_t>(piece.size(), 32 - head.size()));
      }));
      size_t pos = 0;
      uint64_t base_size = 0, result_size = 0;
      if (!ReadDeltaSize(head, &pos, &base_size) || !ReadDeltaSize(head, &pos, &result_size)) {
        return Corrupt("bad delta header in " + what);
      }
      if (result_size > kMaxBlobBytes) {
        return Corrupt(what + " rebuilds an object of " + std::to_string(result_size) +
                       " bytes, over the limit of " + std::to_string(kMaxBlobBytes));
      }
      inflated += result_size;
      if (inflated > inflation_budget) {
        return Corrupt("its objects inflate to more than " + std::to_string(inflation_budget) +
                       " bytes, over the limit for a pack of its size");
      }
      continue;
    }
    bool first = true;
    SPOKE_RETURN_IF_ERROR(InflateStream(in, &zs, size, what, [&](std::string piece, bool last) {
      EntryPiece entry;
      entry.first = first;
      entry.last = last;
      if (first) {
        entry.type = type;
        entry.size = size;
        entry.offset = start;
      }
      if (last) entry.crc = in->crc();
      entry.data = std::move(piece);
      first = false;
      send(std::move(entry));
    }));
  }
  if (receiver_gone) return Status::Ok();
  if (in->pos() != body_end) return Corrupt("data after the last object");
  if (!batch.empty()) out->Send(std::move(batch));
  return Status::Ok();
}

struct NamedEntry {
  PackIndexEntry entry;
  git_object_t type;
};

// The second stage: names each object as its pieces arrive (SHA-1 over git's header, from the
// stated size, and the bytes), checks commits, trees and tags whole, and hashes blobs (SHA-256),
// keeping their content within the budget.
class Namer {
 public:
  Namer(size_t keep_content_bytes, IndexedPack* result)
      : keep_budget_(keep_content_bytes), result_(result) {}

  Status Take(EntryPiece&& piece) {
    if (piece.first) {
      type_ = static_cast<git_object_t>(piece.type);
      offset_ = piece.offset;
      size_ = piece.size;
      sha1_ = std::make_unique<Sha1>();
      std::string header = std::string(TypeName(type_)) + " " + std::to_string(piece.size);
      header.push_back('\0');
      sha1_->Update(header);
      content_.clear();
      keep_ = type_ != GIT_OBJECT_BLOB;
      if (type_ == GIT_OBJECT_BLOB) {
        sha256_ = std::make_unique<Sha256>();
        keep_ = kept_bytes_ + piece.size <= keep_budget_;
        if (keep_) kept_bytes_ += piece.size;
      }
    }
    sha1_->Update(piece.data);
    if (type_ == GIT_OBJECT_BLOB) sha256_->Update(piece.data);
    if (keep_) {
      if (content_.empty()) {
        content_ = std::move(piece.data);
      } else {
        content_.append(piece.data);
      }
    }
    if (!piece.last) return Status::Ok();
    NamedEntry named;
    std::memcpy(named.entry.id.id, sha1_->Finish().data(), GIT_OID_RAWSZ);
    named.entry.offset = offset_;
    named.entry.crc = piece.crc;
    named.type = type_;
    entries_.push_back(named);
    if (type_ != GIT_OBJECT_BLOB) return CheckObject(type_, named.entry.id, content_, &links_);
    BlobDigest& blob = result_->blobs[OidHex(named.entry.id)];
    blob.sha256 = sha256_->FinishHex();
    blob.size = static_cast<size_t>(size_);
    blob.content_kept = keep_;
    if (keep_) blob.content = std::move(content_);
    content_ = std::string();
    return Status::Ok();
  }

  std::vector<NamedEntry>& entries() { return entries_; }
  const std::vector<ObjectLink>& links() const { return links_; }

 private:
  const size_t keep_budget_;
  IndexedPack* const result_;
  size_t kept_bytes_ = 0;
  git_object_t type_ = GIT_OBJECT_INVALID;
  uint64_t offset_ = 0;
  uint64_t size_ = 0;  // as stated, and checked by the inflating stage
  bool keep_ = false;
  std::unique_ptr<Sha1> sha1_;
  std::unique_ptr<Sha256> sha256_;
  std::string content_;
  std::vector<NamedEntry> entries_;
  std::vector<ObjectLink> links_;
};

// Every link resolves to an object of the type the link states, in the pack or in the store.
Status CheckLinks(const std::vector<NamedEntry>& entries, const std::vector<ObjectLink>& links,
                  git_odb* store_odb) {
  auto by_id = [](const NamedEntry& a, const NamedEntry& b) {
    return git_oid_cmp(&a.entry.id, &b.entry.id) < 0;
  };
  for (const auto& link : links) {
    NamedEntry probe{{link.to, 0, 0}, GIT_OBJECT_INVALID};
    auto it = std::lower_bound(entries.begin(), entries.end(), probe, by_id);
    git_object_t actual = GIT_OBJECT_INVALID;
    if (it != entries.end() && git_oid_equal(&it->entry.id, &link.to)) {
      actual = it->type;
    } else {
      size_t size = 0;
      if (git_odb_read_header(&size, &actual, store_odb, &link.to) != 0) {
        return Corrupt("object " + OidHex(link.from) + " links to " + OidHex(link.to) +
                       ", which is neither in the pack nor in the store");
      }
    }
    if (actual != link.type) {
      return Corrupt("object " + OidHex(link.from) + " links to " + OidHex(link.to) + " as a " +
                     TypeName(link.type) + ", but it is a " + TypeName(actual));
    }
  }
  return Status::Ok();
}

Status WriteNewFile(const std::string& path, const std::string& content) {
  OwnedFd out{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)};
  if (out.fd < 0) return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  for (size_t done = 0; done < content.size();) {
    ssize_t n = ::write(out.fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> EncodePackIndex(const std::vector<PackIndexEntry>& entries,
                                    const std::string& pack_checksum) {
  std::string idx;
  idx.append("\377tOc", 4);
  PutBe32(&idx, 2);
  size_t e = 0;
  for (int b = 0; b < 256; ++b) {
    while (e < entries.size() && entries[e].id.id[0] <= b) ++e;
    PutBe32(&idx, static_cast<uint32_t>(e));
  }
  for (const auto& entry : entries) idx.append(reinterpret_cast<const char*>(entry.id.id), 20);
  for (const auto& entry : entries) PutBe32(&idx, entry.crc);
  for (const auto& entry : entries) {
    if (entry.offset >= 0x80000000u) return Status::TooLarge("packs over 2 GiB are not supported");
    PutBe32(&idx, static_cast<uint32_t>(entry.offset));
  }
  idx.append(pack_checksum);
  idx.append(Sha1Of(idx));
  return idx;
}

std::string PackBaseName(const std::string& pack_checksum) {
  return "pack-" + HexOf(pack_checksum);
}

Result<std::optional<IndexedPack>> IndexPackFile(const std::string& pack_path,
                                                 const std::string& dir, git_odb* store_odb,
                                                 size_t keep_content_bytes) {
  OwnedFd file{::open(pack_path.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0) {
    return Status::IOError("cannot read the received pack " + pack_path + ": " +
                           std::strerror(errno));
  }
  const auto file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 32) return Corrupt("no pack header");
  const uint64_t body_end = file_size - 20;
  PackReader reader(file.fd, body_end);
  SPOKE_ASSIGN_OR_RETURN(size_t header_bytes, reader.Peek(12));
  const unsigned char* h = reader.data();
  if (header_bytes < 12 || std::memcmp(h, "PACK", 4) != 0) return Corrupt("no pack header");
  auto be32 = [&](size_t at) {
    return (uint32_t{h[at]} << 24) | (uint32_t{h[at + 1]} << 16) | (uint32_t{h[at + 2]} << 8) |
           h[at + 3];
  };
  const uint32_t version = be32(4), count = be32(8);
  if (version != 2 && version != 3)
    return Corrupt("unsupported pack version " + std::to_string(version));
  if (count > (body_end - 12) / kMinEntryBytes) {
    return Corrupt("its header states " + std::to_string(count) + " objects, more than its " +
                   std::to_string(body_end - 12) + " bytes of entries can hold");
  }
  reader.Consume(12);
  const uint64_t inflation_budget = kInflationRatio * file_size + kInflationSlack;

  // Two stages on two threads: this one reads the file, inflates each entry in pieces (where an
  // entry ends is only known by inflating it) and checksums the pack; the other names the objects
  // (SHA-1), checks them and hashes blobs (SHA-256). Inflating is the larger half.
  Channel<Batch> channel(kBatchesInFlight);
  IndexedPack result;
  Namer namer(keep_content_bytes, &result);
  Status naming_status;
  std::thread naming([&] {
    while (auto batch = channel.Receive()) {
      for (auto& piece : *batch) {
        Status named = namer.Take(std::move(piece));
        if (!named.ok()) {
          naming_status = named;
          channel.Close();
          return;
        }
      }
    }
  });
  WalkResult walk;
  Status walking_status = WalkEntries(&reader, count, body_end, inflation_budget, &channel, &walk);
  channel.Close();
  naming.join();
  SPOKE_RETURN_IF_ERROR(naming_status);
  SPOKE_RETURN_IF_ERROR(walking_status);
  std::string trailer(20, '\0');
  if (::pread(file.fd, trailer.data(), trailer.size(), static_cast<off_t>(body_end)) != 20) {
    return Status::IOError("cannot read the received pack's trailer");
  }
  const std::string checksum = reader.FinishChecksum();
  if (checksum != trailer) return Corrupt("checksum mismatch");
  if (walk.saw_delta) return std::optional<IndexedPack>();  // libgit2's indexer resolves deltas

  std::vector<NamedEntry>& named = namer.entries();
  auto by_id = [](const NamedEntry& a, const NamedEntry& b) {
    return git_oid_cmp(&a.entry.id, &b.entry.id) < 0;
  };
  std::sort(named.begin(), named.end(), by_id);
  named.erase(std::unique(named.begin(), named.end(),
                          [](const NamedEntry& a, const NamedEntry& b) {
                            return git_oid_equal(&a.entry.id, &b.entry.id);
                          }),
              named.end());
  SPOKE_RETURN_IF_ERROR(CheckLinks(named, namer.links(), store_odb));

  std::vector<PackIndexEntry> entries;
  entries.reserve(named.size());
  for (const auto& n : named) entries.push_back(n.entry);
  SPOKE_ASSIGN_OR_RETURN(std::string idx, EncodePackIndex(entries, checksum));
  result.pack_path = (fs::path(dir) / (PackBaseName(checksum) + ".pack")).string();
  result.index_path = (fs::path(dir) / (PackBaseName(checksum) + ".idx")).string();
  SPOKE_RETURN_IF_ERROR(WriteNewFile(result.index_path, idx));
  if (pack_path != result.pack_path && ::rename(pack_path.c_str(), result.pack_path.c_str()) != 0) {
    return Status::IOError("cannot name the received pack " + result.pack_path + ": " +
                           std::strerror(errno));
  }
  result.objects = entries.size();
  return std::optional<IndexedPack>(std::move(result));
}

Result<std::optional<IndexedPack>> IndexWholeObjectPack(const std::string& pack,
                                                        const std::string& dir, git_odb* store_odb,
                                                        size_t keep_content_bytes) {
  const std::string path = (fs::path(dir) / "incoming.pack").string();
  SPOKE_RETURN_IF_ERROR(WriteFileInPlace(path, pack));
  return IndexPackFile(path, dir, store_odb, keep_content_bytes);
}

}  // namespace spoke
