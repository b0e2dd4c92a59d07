// Reading pack index files (version 2) and pack entries in place, for PackReuse.
#include "store/pack_reuse.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace spoke {

namespace {

// A read-only mapping of a whole file.
struct Mapping {
  const unsigned char* data = nullptr;
  size_t size = 0;
  bool Open(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
      close(fd);
      return false;
    }
    void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return false;
    data = static_cast<const unsigned char*>(p);
    size = static_cast<size_t>(st.st_size);
    return true;
  }
  ~Mapping() {
    if (data) munmap(const_cast<unsigned char*>(data), size);
  }
};

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

struct PackReuse::Pack {
  Mapping idx, pack;
  uint32_t count = 0;
  const unsigned char* names = nullptr;  // count * 20 bytes, sorted
  std::vector<uint64_t> offsets;         // by index in `names`
  std::vector<uint64_t> sorted_offsets;  // ascending, with the end of the last entry appended

  bool Load(const std::string& idx_path, const std::string& pack_path) {
    if (!idx.Open(idx_path) || !pack.Open(pack_path)) return false;
    const unsigned char* d = idx.data;
    if (idx.size < 8 + 256 * 4 + 40 || std::memcmp(d, "\377tOc", 4) != 0 || Be32(d + 4) != 2)
      return false;
    count = Be32(d + 8 + 255 * 4);
    size_t names_at = 8 + 256 * 4;
    size_t crc_at = names_at + size_t{count} * 20;
    size_t off_at = crc_at + size_t{count} * 4;
    size_t large_at = off_at + size_t{count} * 4;
    if (large_at > idx.size) return false;
    names = d + names_at;
    offsets.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t small = Be32(d + off_at + size_t{i} * 4);
      if (small & 0x80000000u) {
        size_t at = large_at + size_t{small & 0x7fffffffu} * 8;
        if (at + 8 > idx.size) return false;
        offsets[i] = (uint64_t{Be32(d + at)} << 32) | Be32(d + at + 4);
      } else {
        offsets[i] = small;
      }
    }
    if (pack.size < 12 + 20 || std::memcmp(pack.data, "PACK", 4) != 0) return false;
    sorted_offsets = offsets;
    std::sort(sorted_offsets.begin(), sorted_offsets.end());
    sorted_offsets.push_back(pack.size - 20);
    return true;
  }

  std::string_view Find(const git_oid& id) const {
    size_t lo = 0, hi = count;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      int c = std::memcmp(names + mid * 20, id.id, 20);
      if (c == 0) {
        uint64_t start = offsets[mid];
        auto next = std::upper_bound(sorted_offsets.begin(), sorted_offsets.end(), start);
        if (next == sorted_offsets.end() || *next > pack.size) return {};
        // Only whole objects (commit, tree, blob, tag) are copied; deltas need their base.
        int type = (pack.data[start] >> 4) & 7;
        if (type < 1 || type > 4) return {};
        return std::string_view(reinterpret_cast<const char*>(pack.data + start), *next - start);
      }
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    return {};
  }
};

PackReuse::~PackReuse() = default;

std::unique_ptr<PackReuse> PackReuse::Load(const std::string& objects_dir) {
  std::unique_ptr<PackReuse> reuse(new PackReuse());
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(objects_dir) / "pack";
  // increment(ec), not a range for: its operator++ throws when reading the directory fails. Packs
  // not listed are only not reused.
  for (std::filesystem::directory_iterator entry(dir, ec), end; !ec && entry != end;
       entry.increment(ec)) {
    if (entry->path().extension() != ".idx") continue;
    auto pack_path = entry->path();
    pack_path.replace_extension(".pack");
    auto pack = std::make_unique<Pack>();
    if (pack->Load(entry->path().string(), pack_path.string())) {
      reuse->names_.push_back(entry->path().filename().string());
      reuse->packs_.push_back(std::move(pack));
    }
  }
  std::sort(reuse->names_.begin(), reuse->names_.end());
  return reuse;
}

std::string_view PackReuse::WholeEntry(const git_oid& id) const {
  for (const auto& pack : packs_) {
    std::string_view entry = pack->Find(id);
    if (!entry.empty()) return entry;
  }
  return {};
}

bool PackReuse::InflateWholeBlob(const git_oid& id, std::string* content) const {
  std::string_view entry = WholeEntry(id);
  if (entry.empty()) return false;
  auto byte = static_cast<unsigned char>(entry[0]);
  if (((byte >> 4) & 7) != 3) return false;
  uint64_t size = byte & 0x0f;
  size_t n = 1;
  for (int shift = 4; byte & 0x80; shift += 7) {
    if (n >= entry.size() || shift > 57) return false;
    byte = static_cast<unsigned char>(entry[n++]);
    size |= static_cast<uint64_t>(byte & 0x7f) << shift;
  }
  // Raw inflate past the 2-byte zlib header: the trailing Adler-32 goes unchecked, since the
  // caller checks the content's SHA-1, which catches all that Adler-32 would and more.
  constexpr size_t kZlibHeader = 2;
  if (entry.size() < n + kZlibHeader) return false;
  content->resize(size);
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) return false;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(entry.data() + n + kZlibHeader));
  stream.avail_in = static_cast<uInt>(entry.size() - n - kZlibHeader);
  stream.next_out = reinterpret_cast<Bytef*>(content->data());
  stream.avail_out = static_cast<uInt>(size);
  const int rc = inflate(&stream, Z_FINISH);
  const bool whole = rc == Z_STREAM_END && stream.total_out == size;
  inflateEnd(&stream);
  return whole;
}

}  // namespace spoke
