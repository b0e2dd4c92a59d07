// Fuzzes Lockfile::Parse (include/spoke/lockfile.h), which reads a spoke.lock from a checkout or a
// module directory: any bytes are refused with InvalidArgument naming the file, or give a lock
// that serializes to text parsing back to the same lock, and that accepts each of its own pins.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "spoke/lockfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using spoke::fuzz::Check;
  auto lock = spoke::Lockfile::Parse(spoke::fuzz::AsString(data, size), "spoke.lock");
  if (!lock.ok()) {
    Check(lock.status().code() == spoke::Status::Code::kInvalidArgument,
          "a bad spoke.lock is refused with a code other than InvalidArgument",
          lock.status().ToString());
    Check(lock.status().message().rfind("spoke.lock", 0) == 0,
          "an error in spoke.lock does not start with the file's name", lock.status().message());
    return 0;
  }
  std::string text = lock->Serialize();
  auto again = spoke::Lockfile::Parse(text, "spoke.lock");
  Check(again.ok(), "a serialized lock does not parse", text + "\n" + again.status().ToString());
  Check(again->entries.size() == lock->entries.size(),
        "a serialized lock has another number of entries", text);
  for (const auto& [module, pin] : lock->entries) {
    auto it = again->entries.find(module);
    Check(it != again->entries.end() && it->second.module == pin.module &&
              it->second.version == pin.version && it->second.commit == pin.commit &&
              it->second.digest == pin.digest,
          "a serialized lock pins a module differently", module);
    Check(lock->Check(pin, "spoke.lock").ok(), "a lock refuses its own pin", module);
  }
  Check(again->Serialize() == text, "Serialize() is not a fixed point", text);
  return 0;
}
