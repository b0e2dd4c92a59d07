// The pull record's format and where it lives (pull_record.h, docs/storage.md).
#include "spoke/pull_record.h"

#include <filesystem>

#include "spoke/digest.h"
#include "spoke/files.h"
#include "spoke/json.h"
#include "spoke/names.h"
#include "spoke/semver.h"

namespace spoke {
namespace {

Json FilesToJson(const std::map<std::string, std::string>& files) {
  Json out = Json::MakeObject();
  for (const auto& [path, id] : files) out.Set(path, id);
  return out;
}

bool IsBlobId(const std::string& id) {
  if (id.size() != 40) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The paths of a record are removed by later pulls: each must stay inside the directory, as every
// module file's path does.
Status ReadFiles(const Json* json, std::map<std::string, std::string>* files) {
  if (!json || !json->is_object()) return Status::Corruption("a file list is not an object");
  for (const auto& [path, id] : json->as_object()) {
    SPOKE_RETURN_IF_ERROR(ValidateProtoPath(path));
    if (!id.is_string() || !IsBlobId(id.as_string()))
      return Status::Corruption("bad blob id for " + path);
    (*files)[path] = id.as_string();
  }
  return Status::Ok();
}

}  // namespace

std::string PullRecord::Serialize() const {
  Json root = Json::MakeObject();
  root.Set("format", kFormat);
  root.Set("dir", dir);
  Json list = Json::MakeObject();
  for (const auto& [name, module] : modules) {
    Json entry = Json::MakeObject();
    entry.Set("version", module.version);
    if (!module.mount.empty()) entry.Set("mount", module.mount);
    entry.Set("files", FilesToJson(module.files));
    list.Set(name, std::move(entry));
  }
  root.Set("modules", std::move(list));
  if (!unsettled.empty()) root.Set("unsettled", FilesToJson(unsettled));
  return root.Dump(2) + "\n";
}

Result<PullRecord> PullRecord::Parse(const std::string& text, const std::string& filename) {
  auto corrupt = [&](const std::string& why) {
    return Status::FailedPrecondition("pull record " + filename + " is damaged (" + why +
                                      "); remove it to start afresh");
  };
  auto json = Json::Parse(text);
  if (!json.ok()) return corrupt(json.status().message());
  if (const Json* format = json->Get("format"); !format || format->as_int() != kFormat) {
    return corrupt("unknown format");
  }
  PullRecord record;
  record.dir = json->GetString("dir");
  const Json* modules = json->Get("modules");
  if (!modules || !modules->is_object()) return corrupt("missing \"modules\" object");
  for (const auto& [name, entry] : modules->as_object()) {
    if (Status s = ValidateModuleName(name); !s.ok()) return corrupt(s.message());
    PulledModule module;
    module.version = entry.GetString("version");
    if (auto v = SemVer::Parse(module.version); !v.ok())
      return corrupt(name + ": " + v.status().message());
    module.mount = entry.GetString("mount");
    if (!module.mount.empty()) {
      if (Status s = ValidateModuleName(module.mount); !s.ok())
        return corrupt(name + ": " + s.message());
    }
    if (Status s = ReadFiles(entry.Get("files"), &module.files); !s.ok())
      return corrupt(name + ": " + s.message());
    record.modules[name] = std::move(module);
  }
  if (const Json* unsettled = json->Get("unsettled")) {
    if (Status s = ReadFiles(unsettled, &record.unsettled); !s.ok()) return corrupt(s.message());
  }
  return record;
}

Result<PullRecord> PullRecord::Load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound("no pull record " + path);
  SPOKE_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return Parse(text, path);
}

Status PullRecord::Save(const std::string& path) const {
  return WriteFileAtomically(path, Serialize());
}

std::string CanonicalPullDir(const std::string& dir) {
  std::error_code ec;
  // weakly_canonical resolves the symbolic links of the part that exists, so two spellings of one
  // directory (a relative path, a link to it) share one record.
  std::filesystem::path absolute =
      std::filesystem::weakly_canonical(std::filesystem::absolute(dir, ec), ec);
  if (ec) absolute = std::filesystem::absolute(dir, ec).lexically_normal();
  std::string spelled = absolute.generic_string();
  while (spelled.size() > 1 && spelled.back() == '/') spelled.pop_back();
  return spelled;
}

std::string PullRecordPath(const std::string& store_dir, const std::string& dir) {
  return (std::filesystem::path(store_dir) / "pulls" / (Sha256Hex(CanonicalPullDir(dir)) + ".json"))
      .string();
}

}  // namespace spoke
