// A single-pass indexer for packs of whole objects: inflate, hash, check links, write .pack + .idx.
#include "store/pack_index.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "store/git_handles.h"
#include "util/channel.h"
#include "util/files.h"
#include "util/digest.h"

namespace spoke {
namespace {

std::string Sha1Of(const std::string_view a, const std::string_view b = {}) {
  Sha1 hasher;
  hasher.Update(a);
  hasher.Update(b);
  return hasher.Finish();
}

void PutBe32(std::string* out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  out->append(b, 4);
}

// The ids an object links to: a tree's entries (not submodule links), a commit's tree and parents,
// a tag's target. False when the object is malformed.
bool CollectLinks(int type, std::string_view data, std::vector<git_oid>* links) {
  auto hex_after = [&](std::string_view line, std::string_view key) -> bool {
    if (line.substr(0, key.size()) != key || line.size() != key.size() + 40) return false;
    git_oid id;
    if (git_oid_fromstrn(&id, line.data() + key.size(), 40) != 0) return false;
    links->push_back(id);
    return true;
  };
  if (type == 2) {  // tree: "<mode> <name>\0<20 bytes>"*
    size_t pos = 0;
    while (pos < data.size()) {
      size_t space = data.find(' ', pos);
      size_t nul = data.find('\0', pos);
      if (space == std::string_view::npos || nul == std::string_view::npos || space > nul ||
          nul + 21 > data.size()) {
        return false;
      }
      std::string_view mode = data.substr(pos, space - pos);
      git_oid id;
      std::memcpy(id.id, data.data() + nul + 1, 20);
      if (mode != "160000") links->push_back(id);
      pos = nul + 21;
    }
    return true;
  }
  if (type == 1 || type == 4) {  // commit or tag: header lines up to the first blank line
    size_t pos = 0;
    bool first = true;
    while (pos < data.size()) {
      size_t end = data.find('\n', pos);
      if (end == std::string_view::npos) return false;
      std::string_view line = data.substr(pos, end - pos);
      if (line.empty()) break;
      if (type == 1) {
        if (first && !hex_after(line, "tree ")) return false;
        if (!first && line.substr(0, 7) == "parent " && !hex_after(line, "parent ")) return false;
      } else if (first && !hex_after(line, "object ")) {
        return false;
      }
      first = false;
      pos = end + 1;
    }
    return !first;
  }
  return true;
}

const char* TypeName(int type) {
  switch (type) {
    case 1: return "commit";
    case 2: return "tree";
    case 3: return "blob";
    default: return "tag";
  }
}

Status Corrupt(const std::string& why) { return Status::Corruption("malformed pack: " + why); }

// One pack entry, inflated, on its way from the inflating stage to the naming stage.
struct InflatedEntry {
  int type = 0;
  uint64_t offset = 0;
  uint32_t crc = 0;
  std::string content;
};

constexpr size_t kEntriesPerBatch = 64;
constexpr size_t kBatchesInFlight = 16;

// Walks the entries of `pack` (whose checksum was checked), inflating each and sending them on in
// batches. Stops early, with Ok, at the first delta or when the receiving side closed `out`.
Status InflateEntries(const std::string& pack, uint32_t count, Channel<std::vector<InflatedEntry>>* out) {
  const size_t body_end = pack.size() - 20;
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Status::Internal("zlib cannot start");
  struct ZlibEnd {
    z_stream* zs;
    ~ZlibEnd() { inflateEnd(zs); }
  } zlib_end{&zs};
  std::vector<InflatedEntry> batch;
  size_t pos = 12;
  bool saw_delta = false;
  for (uint32_t i = 0; i < count; ++i) {
    if (pos >= body_end) return Corrupt("fewer objects than the header says");
    size_t start = pos;
    auto byte = static_cast<unsigned char>(pack[pos++]);
    int type = (byte >> 4) & 7;
    uint64_t size = byte & 0x0f;
    int shift = 4;
    while (byte & 0x80) {
      if (pos >= body_end || shift > 60) return Corrupt("bad entry header");
      byte = static_cast<unsigned char>(pack[pos++]);
      size |= uint64_t{byte & 0x7fu} << shift;
      shift += 7;
    }
    if (type == 6 || type == 7) {  // deltas: libgit2's indexer resolves those
      saw_delta = true;
      break;
    }
    if (type < 1 || type > 4) return Corrupt("entry of unknown type " + std::to_string(type));
    if (size > (uint64_t{1} << 32)) return Corrupt("object too large");
    InflatedEntry entry;
    entry.type = type;
    entry.offset = start;
    entry.content.resize(size);
    inflateReset(&zs);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(pack.data() + pos));
    zs.avail_in = static_cast<uInt>(std::min<size_t>(body_end - pos, UINT32_MAX));
    zs.next_out = reinterpret_cast<Bytef*>(entry.content.data());
    zs.avail_out = static_cast<uInt>(size);
    int rc = inflate(&zs, Z_FINISH);
    if (rc != Z_STREAM_END || zs.total_out != size) {
      return Corrupt("entry " + std::to_string(i) + " does not inflate to its size");
    }
    pos += zs.total_in;
    entry.crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(pack.data() + start), static_cast<uInt>(pos - start)));
    batch.push_back(std::move(entry));
    if (batch.size() == kEntriesPerBatch) {
      if (!out->Send(std::move(batch))) return Status::Ok();
      batch = {};
    }
  }
  if (!saw_delta && pos != body_end) return Corrupt("data after the last object");
  if (!batch.empty()) out->Send(std::move(batch));
  return Status::Ok();
}

// Names one inflated entry (its SHA-1), checks its format, records its links, and for a blob its
// SHA-256, size and, within `keep_content_bytes` in all, its content.
Status NameEntry(InflatedEntry inflated, size_t keep_content_bytes, size_t* kept_bytes,
                 std::vector<PackIndexEntry>* entries, std::vector<std::pair<git_oid, git_oid>>* links,
                 IndexedPack* result) {
  const std::string& content = inflated.content;
  std::string header = std::string(TypeName(inflated.type)) + " " + std::to_string(content.size());
  header.push_back('\0');
  std::string id_bytes = Sha1Of(header, content);
  PackIndexEntry entry;
  std::memcpy(entry.id.id, id_bytes.data(), 20);
  entry.offset = inflated.offset;
  entry.crc = inflated.crc;
  std::vector<git_oid> to;
  if (!CollectLinks(inflated.type, content, &to)) {
    return Corrupt("malformed " + std::string(TypeName(inflated.type)) + " " + OidHex(entry.id));
  }
  for (const auto& t : to) links->emplace_back(entry.id, t);
  if (inflated.type == 3) {
    BlobDigest& blob = result->blobs[OidHex(entry.id)];
    blob.sha256 = Sha256Hex(content);
    blob.size = content.size();
    if (*kept_bytes + content.size() <= keep_content_bytes) {
      *kept_bytes += content.size();
      blob.content = std::move(inflated.content);
      blob.content_kept = true;
    }
  }
  entries->push_back(entry);
  return Status::Ok();
}
}  // namespace

Result<std::string> EncodePackIndex(const std::vector<PackIndexEntry>& entries, const std::string& pack_checksum) {
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

std::string PackBaseName(const std::string& pack_checksum) { return "pack-" + HexOf(pack_checksum); }

Result<std::optional<IndexedPack>> IndexWholeObjectPack(const std::string& pack, const std::string& dir,
                                                        git_odb* store_odb, size_t keep_content_bytes) {
  if (pack.size() < 32 || pack.compare(0, 4, "PACK") != 0) return Corrupt("no pack header");
  auto be32 = [&](size_t at) {
    const auto* p = reinterpret_cast<const unsigned char*>(pack.data() + at);
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  };
  uint32_t version = be32(4), count = be32(8);
  if (version != 2 && version != 3) return Corrupt("unsupported pack version " + std::to_string(version));
  const size_t body_end = pack.size() - 20;

  // Two stages on two threads: this one walks the pack and inflates each entry (where an entry
  // ends is only known by inflating it), the other checks the pack's checksum, then names the
  // objects (SHA-1), notes their links and hashes blobs (SHA-256). Inflating is the larger half.
  std::string checksum;
  Channel<std::vector<InflatedEntry>> channel(kBatchesInFlight);
  IndexedPack result;
  std::vector<PackIndexEntry> entries;
  entries.reserve(count);
  std::vector<std::pair<git_oid, git_oid>> links;  // (from, to)
  Status naming_status;
  std::thread namer([&] {
    checksum = Sha1Of(std::string_view(pack.data(), body_end));
    size_t kept_bytes = 0;
    while (auto batch = channel.Receive()) {
      for (auto& inflated : *batch) {
        Status named = NameEntry(std::move(inflated), keep_content_bytes, &kept_bytes, &entries, &links, &result);
        if (!named.ok()) {
          naming_status = named;
          channel.Close();
          return;
        }
      }
    }
  });
  Status inflating_status = InflateEntries(pack, count, &channel);
  channel.Close();
  namer.join();
  if (checksum != pack.substr(body_end)) return Corrupt("checksum mismatch");
  SPOKE_RETURN_IF_ERROR(inflating_status);
  SPOKE_RETURN_IF_ERROR(naming_status);
  if (entries.size() != count) return std::optional<IndexedPack>();  // deltas: libgit2's indexer

  std::sort(entries.begin(), entries.end(),
            [](const PackIndexEntry& a, const PackIndexEntry& b) { return git_oid_cmp(&a.id, &b.id) < 0; });
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const PackIndexEntry& a, const PackIndexEntry& b) { return git_oid_equal(&a.id, &b.id); }),
                entries.end());
  auto in_pack = [&](const git_oid& id) {
    return std::binary_search(entries.begin(), entries.end(), PackIndexEntry{id, 0, 0},
                              [](const PackIndexEntry& a, const PackIndexEntry& b) { return git_oid_cmp(&a.id, &b.id) < 0; });
  };
  for (const auto& [from, to] : links) {
    if (!in_pack(to) && git_odb_exists(store_odb, &to) != 1) {
      return Corrupt("object " + OidHex(from) + " links to " + OidHex(to) + ", which is neither in the pack nor in the store");
    }
  }

  SPOKE_ASSIGN_OR_RETURN(std::string idx, EncodePackIndex(entries, checksum));

  namespace fs = std::filesystem;
  result.pack_path = (fs::path(dir) / (PackBaseName(checksum) + ".pack")).string();
  result.index_path = (fs::path(dir) / (PackBaseName(checksum) + ".idx")).string();
  SPOKE_RETURN_IF_ERROR(WriteFileInPlace(result.pack_path, pack));
  SPOKE_RETURN_IF_ERROR(WriteFileInPlace(result.index_path, idx));
  result.objects = entries.size();
  return std::optional<IndexedPack>(std::move(result));
}

}  // namespace spoke
