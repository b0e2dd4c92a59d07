// Where Sprocket finds versions and has them compiled: a store it writes artifacts into itself
// (store_backend.cc), or a running registry it asks to compile (registry_backend.cc).
#ifndef SPOKE_SPROCKET_SPROCKET_BACKEND_H_
#define SPOKE_SPROCKET_SPROCKET_BACKEND_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spoke/remote.h"
#include "spoke/sprocket.h"
#include "spoke/status.h"
#include "spoke/store.h"
#include "spoke/store_watch.h"

namespace spoke {

class SprocketBackend {
 public:
  struct Compiled {
    std::string key;
    size_t files = 0;
    bool cached = false;  // found in the cache: nothing was compiled
  };

  virtual ~SprocketBackend() = default;
  // What is watched, for Sprocket's first line: a store's path or a registry's URL.
  virtual std::string Describe() const = 0;
  // How often to look for new versions, given -delay.
  virtual std::chrono::milliseconds PollInterval(std::chrono::milliseconds delay) const = 0;
  // Every version there now, in ref-name order; they count as seen.
  virtual Result<std::vector<VersionName>> Start() = 0;
  // The versions that appeared since the last look; empty when none.
  virtual Result<std::vector<VersionName>> NewVersions() = 0;
  // The versions a version pins.
  virtual Result<std::vector<VersionName>> DependenciesOf(const VersionName& version) = 0;
  // The artifact key the (version, language) has, when it can be known without compiling; ""
  // when only the compile tells. An error when the version cannot be compiled at all.
  virtual Result<std::string> KeyFor(const VersionName& version, const std::string& language) = 0;
  // Finds the artifact cached, or compiles and stores it, with the request a download without
  // query parameters makes, so that the download finds it.
  virtual Result<Compiled> Compile(const VersionName& version, const std::string& language) = 0;
};

// Counts a compile that succeeded into `pass`: cached, or compiled, and then `event` (its module,
// version, language and time already set) completed and told to `on_event` (may be empty). What
// the store's Sprocket and the job queue's workers both do with a result.
void CountSucceeded(const SprocketBackend::Compiled& compiled, SprocketEvent* event,
                    SprocketPass* pass, const std::function<void(const SprocketEvent&)>& on_event);

// The artifact key GET .../download/{language} without query parameters looks up for `version`.
// An error when it cannot be computed (the language's plugin is not on PATH, the version's
// sources cannot be read).
Result<std::string> DownloadArtifactKey(Store& store, const VersionInfo& version,
                                        const std::string& language);

// REQUIRES: `store` outlives the backend.
std::unique_ptr<SprocketBackend> MakeStoreBackend(Store& store);
// InvalidArgument for a URL RemoteClient refuses.
Result<std::unique_ptr<SprocketBackend>> MakeRegistryBackend(const RemoteOptions& registry);

}  // namespace spoke

#endif  // SPOKE_SPROCKET_SPROCKET_BACKEND_H_
