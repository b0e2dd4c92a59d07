// Sprocket on a store: versions from its refs (StoreWatch), keys computed here, artifacts written
// by CompileWithCache, as the registry serving the same store writes them.
#include <algorithm>
#include <utility>

#include "spoke/artifact_cache.h"
#include "spoke/refs.h"
#include "sprocket/sprocket_backend.h"

namespace spoke {

// The request GET .../download/{language} builds without query parameters
// (remote/routes_compile.cc ArtifactFor): the version's request with its dependencies' files as
// targets too, and the module's default Go import prefix.
Result<CachedCompileRequest> DownloadRequestFor(Store& store, const VersionInfo& version,
                                                const std::string& language) {
  SPOKE_ASSIGN_OR_RETURN(CachedCompileRequest request,
                         RequestForVersion(store, version, {language}, {}));
  IncludeImports(&request);
  return request;
}

Result<std::string> DownloadArtifactKey(Store& store, const VersionInfo& version,
                                        const std::string& language) {
  SPOKE_ASSIGN_OR_RETURN(CachedCompileRequest request,
                         DownloadRequestFor(store, version, language));
  SPOKE_ASSIGN_OR_RETURN(auto keys, ArtifactKeysFor(request));
  return keys.at(language).hex;
}

namespace {

class LocalStoreBackend : public SprocketBackend {
 public:
  explicit LocalStoreBackend(Store& store) : store_(store) {}

  std::string Describe() const override { return store_.path(); }

  // A look is a few stat() calls (store_watch.h), so it can be frequent: a push is seen within a
  // second however long -delay is, and compiled -delay after it.
  std::chrono::milliseconds PollInterval(std::chrono::milliseconds delay) const override {
    return std::clamp<std::chrono::milliseconds>(delay, std::chrono::milliseconds(100),
                                                 std::chrono::seconds(1));
  }

  Result<std::vector<VersionName>> Start() override {
    // The interval is Sprocket's to keep: the watch looks whenever it is asked.
    watch_ = std::make_unique<StoreWatch>(store_, std::chrono::milliseconds(0));
    return watch_->Start();
  }

  Result<std::vector<VersionName>> NewVersions() override { return watch_->NewVersions(); }

  Result<std::vector<VersionName>> DependenciesOf(const VersionName& name) override {
    SPOKE_ASSIGN_OR_RETURN(VersionInfo version, store_.GetVersion(name.first, name.second));
    std::vector<VersionName> dependencies;
    for (const auto& pin : version.manifest.dependencies) {
      dependencies.emplace_back(pin.module, pin.version);
    }
    return dependencies;
  }

  Result<std::string> KeyFor(const VersionName& name, const std::string& language) override {
    SPOKE_ASSIGN_OR_RETURN(CachedCompileRequest request, DownloadRequest(name, language));
    SPOKE_ASSIGN_OR_RETURN(auto keys, ArtifactKeysFor(request));
    return keys.at(language).hex;
  }

  Result<Compiled> Compile(const VersionName& name, const std::string& language) override {
    SPOKE_ASSIGN_OR_RETURN(CachedCompileRequest request, DownloadRequest(name, language));
    SPOKE_ASSIGN_OR_RETURN(auto keys, ArtifactKeysFor(request));
    Compiled compiled;
    compiled.key = keys.at(language).hex;
    // The ref alone says it is done: reading the snapshot back would cost more than the check is
    // worth, and an entry that does not read back cannot be replaced anyway (its ref exists).
    SPOKE_ASSIGN_OR_RETURN(std::string stored, store_.ResolveRef(ArtifactRef(compiled.key)));
    if (!stored.empty()) {
      compiled.cached = true;
      return compiled;
    }
    CompileStats stats;
    SPOKE_ASSIGN_OR_RETURN(auto artifacts, CompileWithCache(store_, request, &stats));
    compiled.files = artifacts.at(language).files.size();
    compiled.cached = stats.generator_runs == 0;
    return compiled;
  }

 private:
  Result<CachedCompileRequest> DownloadRequest(const VersionName& name,
                                               const std::string& language) {
    SPOKE_ASSIGN_OR_RETURN(VersionInfo version, store_.GetVersion(name.first, name.second));
    return DownloadRequestFor(store_, version, language);
  }

  Store& store_;
  std::unique_ptr<StoreWatch> watch_;
};

}  // namespace

std::unique_ptr<SprocketBackend> MakeStoreBackend(Store& store) {
  return std::make_unique<LocalStoreBackend>(store);
}

}  // namespace spoke
