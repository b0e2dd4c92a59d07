// The artifact key recipe and artifact paths: everything about artifacts that needs neither the
// object store nor libprotoc, so the `spoke` front end can name a cached artifact on its own.
#include <algorithm>

#include "spoke/artifact_cache.h"
#include "spoke/digest.h"

namespace spoke {
namespace {

constexpr char kKeyFormat[] = "spoke-artifact-key/1";

class KeyHasher {
 public:
  void Add(const std::string& tag, const std::string& value) {
    std::string header = tag + " " + std::to_string(value.size()) + "\n";
    hasher_.Update(header);
    hasher_.Update(value);
    hasher_.Update("\n");
    explanation_ += tag + " " + value + "\n";
  }
  ArtifactKey Finish() { return {hasher_.FinishHex(), explanation_}; }

 private:
  Sha256 hasher_;
  std::string explanation_;
};

}  // namespace

Status CheckArtifactPath(const std::string& path) {
  const bool control = std::any_of(path.begin(), path.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  if (path.empty() || path[0] == '/' || path.find('\\') != std::string::npos || control) {
    return Status::Corruption("generated file with a bad path: \"" + path + "\"");
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string segment = path.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return Status::Corruption("generated file with a bad path: \"" + path + "\"");
    }
    start = end + 1;
  }
  return Status::Ok();
}

ArtifactKey ComputeArtifactKey(const ArtifactKeyInputs& inputs) {
  KeyHasher hasher;
  hasher.Add("format", kKeyFormat);
  hasher.Add("language", inputs.language);
  hasher.Add("generator", inputs.generator);
  hasher.Add("parameter", inputs.parameter);
  if (!inputs.go_import_prefix.empty()) hasher.Add("go_package_prefix", inputs.go_import_prefix);
  for (const auto& [path, blob] : inputs.sources) {
    hasher.Add("source", path);
    hasher.Add("blob", blob);
  }
  std::vector<std::string> targets = inputs.targets;
  std::sort(targets.begin(), targets.end());
  for (const auto& target : targets) hasher.Add("target", target);
  return hasher.Finish();
}

Result<std::map<std::string, ArtifactKey>> ArtifactKeysFor(const CachedCompileRequest& request) {
  std::map<std::string, ArtifactKey> keys;
  for (const auto& name : request.languages) {
    SPOKE_ASSIGN_OR_RETURN(Language language, FindLanguage(name));
    SPOKE_ASSIGN_OR_RETURN(std::string generator, GeneratorIdentity(language));
    auto param = request.parameters.find(name);
    keys[name] = ComputeArtifactKey(
        {name, generator, param == request.parameters.end() ? "" : param->second, request.sources,
         request.targets, language.takes_go_import_paths ? request.go_import_prefix : ""});
  }
  return keys;
}

}  // namespace spoke
