// The import index: built from a store's version tags, kept current by Add(), queried under a
// shared lock.
#include "spoke/import_index.h"

#include <algorithm>
#include <mutex>
#include <thread>

#include "spoke/refs.h"
#include "util/parallel.h"

namespace spoke {

Result<std::unique_ptr<ImportIndex>> ImportIndex::Build(const Store& store,
                                                        std::vector<Status>* unreadable) {
  SPOKE_ASSIGN_OR_RETURN(auto refs, store.ListRefs(kTagRefsPrefix));
  std::vector<std::pair<std::string, std::string>> versions;
  for (const auto& ref : refs) {
    std::string module, version;
    if (ParseVersionTagRef(ref.name, &module, &version)) versions.emplace_back(module, version);
  }
  // Reading manifests is most of the work, and the store's reads run in parallel.
  unsigned parts = std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 8);
  parts = std::max<unsigned>(1, std::min<unsigned>(parts, versions.size() / 64 + 1));
  std::vector<std::vector<Manifest>> read(parts);
  std::vector<std::vector<Status>> failed(parts);
  SPOKE_RETURN_IF_ERROR(RunInParallel(parts, [&](unsigned part) -> Status {
    for (size_t i = part; i < versions.size(); i += parts) {
      auto version = store.GetVersion(versions[i].first, versions[i].second);
      if (version.ok()) {
        read[part].push_back(std::move(version->manifest));
      } else {
        failed[part].push_back(
            version.status().WithContext(versions[i].first + "@" + versions[i].second));
      }
    }
    return Status::Ok();
  }));
  auto index = std::make_unique<ImportIndex>();
  for (unsigned part = 0; part < parts; ++part) {
    for (const auto& manifest : read[part]) index->Add(manifest);
    if (unreadable) unreadable->insert(unreadable->end(), failed[part].begin(), failed[part].end());
  }
  return index;
}

void ImportIndex::Add(const Manifest& manifest) {
  auto semver = SemVer::Parse(manifest.version);
  if (!semver.ok()) return;
  std::unique_lock lock(mutex_);
  ModuleVersions& module = modules_[manifest.module];
  auto [it, inserted] =
      module.by_name.emplace(manifest.version, static_cast<uint32_t>(module.versions.size()));
  if (!inserted) return;
  module.versions.push_back(std::move(*semver));
  for (const auto& file : manifest.files) paths_[file.path][manifest.module].push_back(it->second);
  ++version_count_;
}

std::vector<ImportProvider> ImportIndex::Providers(const std::string& path) const {
  std::shared_lock lock(mutex_);
  std::vector<ImportProvider> providers;
  auto found = paths_.find(path);
  if (found == paths_.end()) return providers;
  for (const auto& [module, ids] : found->second) {
    const ModuleVersions& known = modules_.at(module);
    std::vector<const SemVer*> holding;
    for (uint32_t id : ids) holding.push_back(&known.versions[id]);
    std::sort(holding.begin(), holding.end(), [](const SemVer* a, const SemVer* b) {
      int order = a->Compare(*b);
      return order != 0 ? order < 0 : a->text() < b->text();
    });
    ImportProvider provider{module, {}};
    for (const SemVer* v : holding) provider.versions.push_back(v->text());
    providers.push_back(std::move(provider));
  }
  return providers;
}

namespace {

// The highest release among `ids`; the highest pre-release only when there is no release.
const SemVer* BestVersion(const std::vector<SemVer>& versions, const std::vector<uint32_t>& ids) {
  const SemVer* best = nullptr;
  for (uint32_t id : ids) {
    const SemVer& v = versions[id];
    if (!best || (best->is_prerelease() && !v.is_prerelease()) ||
        (best->is_prerelease() == v.is_prerelease() &&
         (best->Compare(v) < 0 || (best->Compare(v) == 0 && best->text() < v.text())))) {
      best = &v;
    }
  }
  return best;
}

}  // namespace

ImportResolution ImportIndex::Resolve(const std::string& path) const {
  ImportResolution resolution;
  resolution.path = path;
  std::vector<DependencyPin> candidates;
  {
    std::shared_lock lock(mutex_);
    auto found = paths_.find(path);
    if (found != paths_.end()) {
      for (const auto& [module, ids] : found->second) {
        candidates.push_back(
            {module, BestVersion(modules_.at(module).versions, ids)->text(), "", "", ""});
      }
    } else {
      // The original Spoke's rule: "common/types.proto" is the file types.proto of module common
      // (the longest module name that qualifies), mounted under the module's name.
      for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0;
           slash = path.rfind('/', slash - 1)) {
        const std::string module = path.substr(0, slash);
        auto rest = paths_.find(path.substr(slash + 1));
        if (rest == paths_.end()) continue;
        auto ids = rest->second.find(module);
        if (ids == rest->second.end()) continue;
        candidates.push_back({module,
                              BestVersion(modules_.at(module).versions, ids->second)->text(), "",
                              "", module});
        break;
      }
    }
  }
  if (candidates.empty()) return resolution;
  if (candidates.size() == 1) {
    resolution.outcome = ImportResolution::Outcome::kResolved;
    resolution.pin = candidates[0];
    return resolution;
  }
  resolution.outcome = ImportResolution::Outcome::kAmbiguous;
  for (const auto& c : candidates) resolution.candidates.push_back(c.module + "@" + c.version);
  return resolution;
}

size_t ImportIndex::version_count() const {
  std::shared_lock lock(mutex_);
  return version_count_;
}

}  // namespace spoke
