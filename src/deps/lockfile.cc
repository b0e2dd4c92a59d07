// spoke.lock reading, writing and checking.
#include "spoke/lockfile.h"

#include <filesystem>

#include "spoke/files.h"
#include "spoke/json.h"
#include "spoke/names.h"
#include "spoke/semver.h"

namespace spoke {

std::string Lockfile::Serialize() const {
  Json root = Json::MakeObject();
  root.Set("format", 1);
  Json versions = Json::MakeObject(), pins = Json::MakeObject();
  for (const auto& [module, pin] : entries) {
    versions.Set(module, pin.version);
    // An entry read from the original format has no pin; an empty one would not parse back.
    if (pin.commit.empty() && pin.digest.empty()) continue;
    Json entry = Json::MakeObject();
    entry.Set("commit", pin.commit);
    entry.Set("digest", pin.digest);
    if (!pin.mount.empty()) entry.Set("mount", pin.mount);
    pins.Set(module, std::move(entry));
  }
  root.Set("dependencies", std::move(versions));
  root.Set("pins", std::move(pins));
  return root.Dump(2) + "\n";
}

Result<Lockfile> Lockfile::Parse(const std::string& text, const std::string& filename) {
  auto bad = [&](const std::string& why) { return Status::InvalidArgument(filename + ": " + why); };
  auto json = Json::Parse(text);
  if (!json.ok()) return bad(json.status().message());
  const Json* deps = json->Get("dependencies");
  if (!deps || !deps->is_object()) return bad("missing \"dependencies\" object");
  const Json* pins = json->Get("pins");
  Lockfile lock;
  for (const auto& [module, version] : deps->as_object()) {
    if (Status s = ValidateModuleName(module); !s.ok()) return bad(s.message());
    if (auto v = SemVer::Parse(version.as_string()); !v.ok()) return bad(v.status().message());
    DependencyPin pin{module, version.as_string(), "", "", ""};
    if (pins && pins->Get(module)) {
      pin.commit = pins->Get(module)->GetString("commit");
      pin.digest = pins->Get(module)->GetString("digest");
      pin.mount = pins->Get(module)->GetString("mount");
      if (!pin.mount.empty()) {
        if (Status s = ValidateModuleName(pin.mount); !s.ok())
          return bad("mount of " + module + ": " + s.message());
      }
      if (pin.commit.size() != 40 || pin.digest.rfind("sha256:", 0) != 0) {
        return bad("malformed pin for " + module);
      }
    }
    lock.entries[module] = pin;
  }
  return lock;
}

Result<Lockfile> Lockfile::Load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound("no " + path);
  SPOKE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return Parse(text, path);
}

Status Lockfile::Save(const std::string& path) const {
  return WriteFileAtomically(path, Serialize());
}

Status Lockfile::Check(const DependencyPin& resolved, const std::string& lock_path) const {
  auto it = entries.find(resolved.module);
  if (it == entries.end()) return Status::Ok();
  const DependencyPin& locked = it->second;
  if (locked.version != resolved.version) {
    return Status::Conflict(lock_path + " locks " + resolved.module + " at " + locked.version +
                            " but " + resolved.version +
                            " is needed; run `spoke lock` to update the lock");
  }
  if ((!locked.digest.empty() && locked.digest != resolved.digest) ||
      (!locked.commit.empty() && locked.commit != resolved.commit)) {
    return Status::Conflict(lock_path + " locks " + resolved.module + "@" + locked.version +
                            " as " + locked.digest + " but the registry serves " + resolved.digest +
                            "; refusing to overwrite");
  }
  return Status::Ok();
}

}  // namespace spoke
