// Fuzzes Manifest::Parse (include/spoke/manifest.h), which reads the spoke.manifest.json of every
// version a registry receives: any bytes are refused with Corruption or give a manifest whose
// Serialize() parses back to the same manifest and serializes to the same bytes.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "spoke/manifest.h"

namespace {

using spoke::fuzz::Check;

bool SameManifest(const spoke::Manifest& a, const spoke::Manifest& b) {
  if (a.format != b.format || a.module != b.module || a.version != b.version ||
      a.description != b.description || a.digest != b.digest || a.files.size() != b.files.size() ||
      a.dependencies.size() != b.dependencies.size()) {
    return false;
  }
  for (size_t i = 0; i < a.files.size(); ++i) {
    const auto &x = a.files[i], &y = b.files[i];
    if (x.path != y.path || x.sha256 != y.sha256 || x.size != y.size) return false;
  }
  for (size_t i = 0; i < a.dependencies.size(); ++i) {
    const auto &x = a.dependencies[i], &y = b.dependencies[i];
    if (x.module != y.module || x.version != y.version || x.commit != y.commit ||
        x.digest != y.digest) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto manifest = spoke::Manifest::Parse(spoke::fuzz::AsString(data, size));
  if (!manifest.ok()) {
    Check(manifest.status().code() == spoke::Status::Code::kCorruption,
          "a bad manifest is refused with a code other than Corruption",
          manifest.status().ToString());
    return 0;
  }
  Check(manifest->digest == spoke::ComputeDigest(manifest->files),
        "a manifest parsed whose digest does not match its files");
  std::string text = manifest->Serialize();
  auto again = spoke::Manifest::Parse(text);
  Check(again.ok(), "a serialized manifest does not parse",
        text + "\n" + again.status().ToString());
  Check(SameManifest(*manifest, *again), "a serialized manifest parses to another manifest", text);
  Check(again->Serialize() == text, "Serialize() is not a fixed point", text);
  return 0;
}
