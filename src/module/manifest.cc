// Manifest serialization, parsing with validation, and the content digest.
#include "spoke/manifest.h"

#include <algorithm>
#include <set>

#include "spoke/digest.h"
#include "spoke/names.h"
#include "spoke/semver.h"

namespace spoke {

Json DependencyPinToJson(const DependencyPin& pin) {
  Json entry = Json::MakeObject();
  entry.Set("module", pin.module);
  entry.Set("version", pin.version);
  entry.Set("commit", pin.commit);
  entry.Set("digest", pin.digest);
  if (!pin.mount.empty()) entry.Set("mount", pin.mount);
  return entry;
}

std::string ComputeDigest(const std::vector<ManifestFile>& files,
                          const std::vector<DependencyPin>& pins) {
  Sha256 hasher;
  for (const auto& file : files) {
    hasher.Update(file.sha256);
    hasher.Update("  ");
    hasher.Update(file.path);
    hasher.Update("\n");
  }
  // By module, so the order the dependencies were declared in does not change the digest.
  std::vector<const DependencyPin*> sorted;
  for (const auto& pin : pins) sorted.push_back(&pin);
  std::sort(sorted.begin(), sorted.end(),
            [](const DependencyPin* a, const DependencyPin* b) { return a->module < b->module; });
  for (const DependencyPin* pin : sorted) {
    hasher.Update("dep " + pin->module + " " + pin->version + " " + pin->digest + " " + pin->mount +
                  "\n");
  }
  return "sha256:" + hasher.FinishHex();
}

bool SameContent(const Manifest& stored, const std::vector<ManifestFile>& files,
                 const std::vector<DependencyPin>& pins) {
  if (stored.format != kManifestFormat || stored.dependencies.empty()) {
    return stored.digest == ComputeDigest(files, pins);
  }
  if (stored.digest != ComputeDigest(files)) return false;
  auto key = [](const std::vector<DependencyPin>& list) {
    std::set<std::string> out;
    for (const auto& p : list)
      out.insert(p.module + " " + p.version + " " + p.digest + " " + p.mount);
    return out;
  };
  return key(stored.dependencies) == key(pins);
}

std::vector<ManifestFile> DescribeFiles(const FileSet& files) {
  std::vector<ManifestFile> out;
  out.reserve(files.size());
  for (const auto& [path, content] : files) {
    out.push_back({path, Sha256Hex(content), content.size()});
  }
  return out;
}

Json Manifest::ToJson() const {
  Json root = Json::MakeObject();
  root.Set("format", format);
  root.Set("module", module);
  root.Set("version", version);
  root.Set("description", description);
  root.Set("digest", digest);
  Json file_list = Json::MakeArray();
  for (const auto& file : files) {
    Json entry = Json::MakeObject();
    entry.Set("path", file.path);
    entry.Set("sha256", file.sha256);
    entry.Set("size", file.size);
    file_list.Push(std::move(entry));
  }
  root.Set("files", std::move(file_list));
  Json deps = Json::MakeArray();
  for (const auto& dep : dependencies) deps.Push(DependencyPinToJson(dep));
  root.Set("dependencies", std::move(deps));
  return root;
}

std::string Manifest::Serialize() const { return ToJson().Dump(2) + "\n"; }

Result<Manifest> Manifest::Parse(const std::string& text) {
  auto corrupt = [](const std::string& why) {
    return Status::Corruption(std::string("invalid ") + kManifestPath + ": " + why);
  };
  auto parsed = Json::Parse(text);
  if (!parsed.ok()) return corrupt(parsed.status().message());
  const Json& root = *parsed;
  if (!root.is_object()) return corrupt("not a JSON object");
  Manifest m;
  const Json* format = root.Get("format");
  // as_double: a fractional "format": 1.5 truncates to 1 as an int.
  if (!format || !format->is_number() ||
      (format->as_double() != kManifestFormat && format->as_double() != kManifestFormatWithPins)) {
    return corrupt("unknown format (this Spoke reads formats " + std::to_string(kManifestFormat) +
                   " and " + std::to_string(kManifestFormatWithPins) + ")");
  }
  m.format = static_cast<int>(format->as_double());
  m.module = root.GetString("module");
  m.version = root.GetString("version");
  m.description = root.GetString("description");
  m.digest = root.GetString("digest");
  if (Status s = ValidateModuleName(m.module); !s.ok()) return corrupt(s.message());
  if (auto v = SemVer::Parse(m.version); !v.ok()) return corrupt(v.status().message());
  const Json* file_list = root.Get("files");
  if (!file_list || !file_list->is_array()) return corrupt("missing files");
  for (const Json& entry : file_list->as_array()) {
    ManifestFile file{entry.GetString("path"), entry.GetString("sha256"),
                      static_cast<uint64_t>(entry.Get("size") ? entry.Get("size")->as_int() : 0)};
    if (Status s = ValidateProtoPath(file.path); !s.ok()) return corrupt(s.message());
    if (file.sha256.size() != 64) return corrupt("bad sha256 for " + file.path);
    if (!m.files.empty() && !(m.files.back().path < file.path)) return corrupt("files not sorted");
    m.files.push_back(std::move(file));
  }
  if (const Json* deps = root.Get("dependencies"); deps && deps->is_array()) {
    for (const Json& entry : deps->as_array()) {
      DependencyPin pin{entry.GetString("module"), entry.GetString("version"),
                        entry.GetString("commit"), entry.GetString("digest"),
                        entry.GetString("mount")};
      if (Status s = ValidateModuleName(pin.module); !s.ok()) return corrupt(s.message());
      if (!pin.mount.empty()) {
        if (Status s = ValidateModuleName(pin.mount); !s.ok())
          return corrupt("mount: " + s.message());
      }
      m.dependencies.push_back(std::move(pin));
    }
  }
  // Format 1 predates pins in the digest: its digest covers the files only.
  const std::string expected =
      m.format == kManifestFormat ? ComputeDigest(m.files) : ComputeDigest(m.files, m.dependencies);
  if (expected != m.digest) return corrupt("digest does not match the file list and dependencies");
  return m;
}

}  // namespace spoke
