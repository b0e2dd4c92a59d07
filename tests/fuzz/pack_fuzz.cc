// Fuzzes what a registry does with a received push: IndexWholeObjectPack (src/store/pack_index.h)
// into an empty directory against an empty object store, and, when the input asks, the whole
// Store::ApplyPack on a new store, whose versions must then read back whole.
//
// Mutating a pack's bytes mostly breaks its deflate streams and its SHA-1 trailer, which stops a
// fuzzer at the first check, so by default the input describes the objects and this target builds
// the pack. An input is:
//   flags        1 byte: kRaw, kFixTrailer, kClaimMaxCount, kApply below
//   push header  bytes up to the first '\n': the push body's JSON line (remote/wire.h), its ref
//                updates given to ApplyPack; may be empty
//   objects      the rest. With kRaw, the pack's bytes as they are (kFixTrailer appends their
//                SHA-1). Otherwise records: a type byte (bits 0-2 the pack entry type, 1 commit,
//                2 tree, 3 blob, 4 tag, 6 ofs-delta, 7 ref-delta; bit 7 set: 4 more bytes,
//                big-endian, are the size the entry header claims instead of the real one), a
//                2-byte big-endian length, and that many bytes of content (fewer at the end).
// In the push header and in every object's content, "{k}" (k in decimal) stands for the id of the
// k-th whole object before it (the header may name any): 20 raw bytes in a tree and a ref-delta,
// 40 hex digits anywhere else; at the start of an ofs-delta, the offset back to object k. So a
// fuzzer can link trees, commits and tags without inverting SHA-1, and corpus files stay stable
// when a byte of a blob changes. Ids that are not known are left as written.
//
// The call into the indexer is kept to one line (IndexPack) so the target follows the indexer's
// interface as it changes.
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "spoke/digest.h"
#include "spoke/store.h"
#include "store/pack_index.h"
#include "wire.h"

namespace {

namespace fs = std::filesystem;
using spoke::fuzz::Check;

constexpr uint8_t kRaw = 1 << 0;
constexpr uint8_t kFixTrailer = 1 << 1;
constexpr uint8_t kClaimMaxCount = 1 << 2;
constexpr uint8_t kApply = 1 << 3;

fs::path scratch_root;

struct Entry {
  int type = 0;
  std::optional<uint64_t> claimed_size;
  std::string content;  // before "{k}" substitution
};

struct Ids {
  std::vector<std::string> raw;  // per entry; "" for a delta, whose id this target does not know
  std::vector<uint64_t> offsets;
};

std::string Hex(const std::string& raw) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Replaces every "{k}" with k < limit whose id is known by `render(k)`; an empty rendering leaves
// the text as written.
template <typename Render>
std::string Substitute(const std::string& text, size_t limit, Render render) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t close = text[pos] == '{' ? text.find('}', pos) : std::string::npos;
    if (close != std::string::npos && close > pos + 1 && close <= pos + 4) {
      std::string digits = text.substr(pos + 1, close - pos - 1);
      if (digits.find_first_not_of("0123456789") == std::string::npos) {
        size_t k = std::stoul(digits);
        std::string rendered = k < limit ? render(k) : "";
        if (!rendered.empty()) {
          out += rendered;
          pos = close + 1;
          continue;
        }
      }
    }
    out.push_back(text[pos++]);
  }
  return out;
}

std::vector<Entry> ReadEntries(const std::string& bytes) {
  std::vector<Entry> entries;
  size_t pos = 0;
  auto byte = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  while (pos < bytes.size()) {
    Entry entry;
    uint8_t type = byte(pos++);
    entry.type = type & 7;
    if (type & 0x80) {
      if (pos + 4 > bytes.size()) break;
      entry.claimed_size =
          uint64_t{byte(pos)} << 24 | byte(pos + 1) << 16 | byte(pos + 2) << 8 | byte(pos + 3);
      pos += 4;
    }
    if (pos + 2 > bytes.size()) break;
    size_t length = byte(pos) << 8 | byte(pos + 1);
    pos += 2;
    entry.content = bytes.substr(pos, length);
    pos += entry.content.size();
    entries.push_back(std::move(entry));
  }
  return entries;
}

void AppendEntryHeader(std::string* pack, int type, uint64_t size) {
  uint8_t first = static_cast<uint8_t>(type << 4 | (size & 15));
  size >>= 4;
  while (size) {
    pack->push_back(static_cast<char>(first | 0x80));
    first = size & 0x7f;
    size >>= 7;
  }
  pack->push_back(static_cast<char>(first));
}

// git's ofs-delta offset: big-endian 7-bit groups, each continued group offset by one.
std::string OfsDeltaOffset(uint64_t distance) {
  std::string out(1, static_cast<char>(distance & 0x7f));
  while (distance >>= 7) {
    --distance;
    out.insert(out.begin(), static_cast<char>(0x80 | (distance & 0x7f)));
  }
  return out;
}

std::string Deflate(const std::string& data) {
  uLongf size = compressBound(data.size());
  std::string out(size, '\0');
  int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                     reinterpret_cast<const Bytef*>(data.data()), data.size(), 1);
  Check(rc == Z_OK, "zlib cannot deflate an object");
  out.resize(size);
  return out;
}

const char* TypeName(int type) {
  switch (type) {
    case 1:
      return "commit";
    case 2:
      return "tree";
    case 3:
      return "blob";
    case 4:
      return "tag";
  }
  return nullptr;
}

std::string BuildPack(const std::vector<Entry>& entries, bool claim_max_count, Ids* ids) {
  std::string pack = "PACK";
  uint32_t count = claim_max_count ? 0xFFFFFFFF : static_cast<uint32_t>(entries.size());
  pack.append("\0\0\0\2", 4);  // version 2
  for (int shift : {24, 16, 8, 0}) pack.push_back(static_cast<char>(count >> shift));
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& entry = entries[i];
    std::string content;
    if (entry.type == 6 && entry.content.rfind('{', 0) == 0) {
      // Only the leading "{k}" is an offset; the delta instructions that follow are left alone.
      size_t close = entry.content.find('}');
      std::string head = entry.content.substr(0, close == std::string::npos ? 0 : close + 1);
      content =
          Substitute(head, i,
                     [&](size_t k) { return OfsDeltaOffset(pack.size() - ids->offsets[k]); }) +
          entry.content.substr(head.size());
    } else {
      bool raw_ids = entry.type == 2 || entry.type == 7;
      content = Substitute(entry.content, i,
                           [&](size_t k) { return raw_ids ? ids->raw[k] : Hex(ids->raw[k]); });
    }
    ids->offsets.push_back(pack.size());
    const char* name = TypeName(entry.type);
    if (name) {
      spoke::Sha1 sha1;
      sha1.Update(std::string(name) + " " + std::to_string(content.size()) + '\0');
      sha1.Update(content);
      ids->raw.push_back(sha1.Finish());
    } else {
      ids->raw.push_back("");
    }
    size_t delta_base = entry.type == 7 ? 20 : 0;  // a ref-delta's base id is not deflated
    if (entry.type == 6) {
      size_t end = 0;
      while (end < content.size() && (content[end] & 0x80)) ++end;
      delta_base = std::min(end + 1, content.size());
    }
    delta_base = std::min(delta_base, content.size());
    AppendEntryHeader(&pack, entry.type, entry.claimed_size.value_or(content.size() - delta_base));
    pack += content.substr(0, delta_base);
    pack += Deflate(content.substr(delta_base));
  }
  spoke::Sha1 trailer;
  trailer.Update(pack);
  return pack + trailer.Finish();
}

fs::path FreshDir(const char* name) {
  fs::path dir = scratch_root / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

spoke::Result<std::optional<spoke::IndexedPack>> IndexPack(const std::string& pack,
                                                           const fs::path& dir, git_odb* odb) {
  return spoke::IndexWholeObjectPack(pack, dir.string(), odb, size_t{1} << 20);
}

void FuzzIndex(const std::string& pack) {
  git_odb* odb = nullptr;
  Check(git_odb_new(&odb) == 0, "libgit2 cannot make an empty object store");
  auto indexed = IndexPack(pack, FreshDir("index"), odb);
  git_odb_free(odb);
  if (indexed.ok() && indexed->has_value()) {
    const spoke::IndexedPack& result = **indexed;
    Check(fs::exists(result.pack_path) && fs::exists(result.index_path),
          "an indexed pack's .pack or .idx is missing", result.pack_path);
  }
}

// The store ApplyPack writes to. A failed ApplyPack leaves a store exactly as it was (store.h), so
// the same store serves the next input; one that took a pack is replaced.
std::unique_ptr<spoke::Store> apply_store;

void FuzzApply(const std::string& pack, const std::vector<spoke::RefUpdate>& updates) {
  if (!apply_store) {
    auto opened = spoke::Store::Open(FreshDir("store").string(), true);
    Check(opened.ok(), "cannot create a store", opened.status().ToString());
    apply_store = std::move(*opened);
  }
  auto results = apply_store->ApplyPack(pack, updates, spoke::RefPolicy::kStrict);
  if (!results.ok()) {
    // Refused: the store is as it was, empty (store.h).
    auto refs = apply_store->ListRefs("");
    Check(refs.ok() && refs->empty(), "a refused pack moved a ref", results.status().ToString());
    for (const auto& entry :
         fs::recursive_directory_iterator(fs::path(apply_store->path()) / "objects")) {
      Check(!entry.is_regular_file(), "a refused pack left an object in the store",
            entry.path().string() + " after " + results.status().ToString());
    }
    return;
  }
  // What a registry accepted, every later reader must be able to read whole.
  for (const auto& result : *results) {
    std::string module, version;
    if (!spoke::ParseVersionTagRef(result.name, &module, &version)) continue;
    auto info = apply_store->GetVersion(module, version);
    Check(info.ok(), "an accepted version cannot be read",
          result.name + ": " + info.status().ToString());
    auto files = apply_store->ReadFiles(*info);
    Check(files.ok(), "an accepted version's files cannot be read",
          result.name + ": " + files.status().ToString());
  }
  apply_store.reset();
}

void RemoveScratch() {
  apply_store.reset();
  fs::remove_all(scratch_root);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  git_libgit2_init();
  std::string pattern = (fs::temp_directory_path() / "spoke-fuzz-pack-XXXXXX").string();
  Check(mkdtemp(pattern.data()) != nullptr, "cannot create a scratch directory", pattern);
  scratch_root = pattern;
  std::atexit(RemoveScratch);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string rest = spoke::fuzz::AsString(data + 1, size - 1);
  size_t newline = rest.find('\n');
  std::string header = newline == std::string::npos ? rest : rest.substr(0, newline);
  std::string body = newline == std::string::npos ? "" : rest.substr(newline + 1);

  std::string pack;
  Ids ids;
  if (flags & kRaw) {
    pack = body;
    if (flags & kFixTrailer) {
      spoke::Sha1 trailer;
      trailer.Update(pack);
      pack += trailer.Finish();
    }
  } else {
    pack = BuildPack(ReadEntries(body), flags & kClaimMaxCount, &ids);
  }
  FuzzIndex(pack);
  if (!(flags & kApply)) return 0;

  std::vector<spoke::RefUpdate> updates;
  if (!header.empty()) {
    header = Substitute(header, ids.raw.size(), [&](size_t k) { return Hex(ids.raw[k]); });
    size_t offset = 0;
    auto decoded = spoke::wire::DecodePushBody(header + "\n", &offset);
    if (decoded.ok()) updates = std::move(*decoded);
  }
  FuzzApply(pack, updates);
  return 0;
}
