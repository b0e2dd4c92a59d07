// BuildIdentity: the main executable's NT_GNU_BUILD_ID note, found through dl_iterate_phdr (the
// loader's view of the loaded program, so nothing is read from disk), else a per-process value.
#include "build_identity.h"

#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace spoke {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// dl_iterate_phdr's callback: the first object is the main program; its PT_NOTE segments are
// scanned for the GNU build id. Returns 1 (stop) after the first object.
int FindBuildId(struct dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::string*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_NOTE) continue;
    // The loader gives the load address as an integer.
    const char* at = reinterpret_cast<const char*>(  // NOLINT(performance-no-int-to-ptr)
        info->dlpi_addr + segment.p_vaddr);
    const char* end = at + segment.p_memsz;
    auto align4 = [](size_t n) { return (n + 3) & ~size_t{3}; };
    while (at + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, at, sizeof(note));
      const char* name = at + sizeof(note);
      const char* desc = name + align4(note.n_namesz);
      if (desc + note.n_descsz > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0) {
        for (size_t b = 0; b < note.n_descsz; ++b) {
          auto c = static_cast<unsigned char>(desc[b]);
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        }
        return 1;
      }
      at = desc + align4(note.n_descsz);
    }
  }
  return 1;
}

std::string Compute() {
  std::string id;
  dl_iterate_phdr(FindBuildId, &id);
  if (!id.empty()) return id;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return "process-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

}  // namespace

const std::string& BuildIdentity() {
  static const std::string kIdentity = Compute();
  return kIdentity;
}

}  // namespace spoke
