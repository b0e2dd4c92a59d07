// Sprocket against a running registry: versions from its ref list, dependencies from its REST
// version answer, and each compile asked of POST /modules/{m}/versions/{v}/compile/{language},
// which finds or compiles the artifact with the request a download makes.
#include <set>
#include <utility>

#include "spoke/refs.h"
#include "sprocket/sprocket_backend.h"

namespace spoke {
namespace {

class RegistryBackend : public SprocketBackend {
 public:
  explicit RegistryBackend(std::unique_ptr<RemoteClient> client) : client_(std::move(client)) {}

  std::string Describe() const override { return client_->url(); }

  // A look is a request for every version tag of the registry: once per -delay (at least a
  // second), not more often.
  std::chrono::milliseconds PollInterval(std::chrono::milliseconds delay) const override {
    return std::max<std::chrono::milliseconds>(delay, std::chrono::seconds(1));
  }

  Result<std::vector<VersionName>> Start() override {
    SPOKE_ASSIGN_OR_RETURN(std::vector<VersionName> all, ListVersions());
    seen_.insert(all.begin(), all.end());
    return all;
  }

  Result<std::vector<VersionName>> NewVersions() override {
    SPOKE_ASSIGN_OR_RETURN(std::vector<VersionName> all, ListVersions());
    std::vector<VersionName> fresh;
    for (auto& name : all) {
      if (seen_.insert(name).second) fresh.push_back(std::move(name));
    }
    return fresh;
  }

  Result<std::vector<VersionName>> DependenciesOf(const VersionName& name) override {
    SPOKE_ASSIGN_OR_RETURN(Json version, client_->GetVersion(name.first, name.second));
    std::vector<VersionName> dependencies;
    if (const Json* pins = version.Get("dependencies"); pins && pins->is_array()) {
      for (const Json& pin : pins->as_array()) {
        dependencies.emplace_back(pin.GetString("module"), pin.GetString("version"));
      }
    }
    return dependencies;
  }

  // Only the registry knows the key: the compile route answers it.
  Result<std::string> KeyFor(const VersionName&, const std::string&) override {
    return std::string();
  }

  Result<Compiled> Compile(const VersionName& name, const std::string& language) override {
    // As a download asks for it: dependencies' generated code included, the registry's defaults.
    SPOKE_ASSIGN_OR_RETURN(Json answer, client_->Compile(name.first, name.second, language, {}));
    Compiled compiled;
    compiled.key = answer.GetString("key");
    const Json* cached = answer.Get("cached");
    compiled.cached = cached && cached->as_bool();
    const Json* files = answer.Get("files");
    compiled.files = files && files->is_array() ? files->as_array().size() : 0;
    if (compiled.key.empty()) {
      return Status::Internal("the registry's compile answer for " + name.first + "@" +
                              name.second + " " + language + " names no key");
    }
    return compiled;
  }

 private:
  Result<std::vector<VersionName>> ListVersions() {
    SPOKE_ASSIGN_OR_RETURN(auto refs, client_->ListRefs(kTagRefsPrefix));
    std::vector<VersionName> versions;
    for (const auto& ref : refs) {
      VersionName name;
      if (ParseVersionTagRef(ref.name, &name.first, &name.second)) {
        versions.push_back(std::move(name));
      }
    }
    return versions;
  }

  std::unique_ptr<RemoteClient> client_;
  std::set<VersionName> seen_;
};

}  // namespace

Result<std::unique_ptr<SprocketBackend>> MakeRegistryBackend(const RemoteOptions& registry) {
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<RemoteClient> client, RemoteClient::Create(registry));
  return std::unique_ptr<SprocketBackend>(new RegistryBackend(std::move(client)));
}

}  // namespace spoke
