// The registry's version check: validation (the same SchemaImage build as `spoke validate`) and the
// module's compatibility level against the previous release in the major version. It is in deps/,
// not check/, because it checks a version against its dependency closure (deps.h).
#include "spoke/policy.h"

#include <cctype>
#include <future>
#include <optional>

#include "spoke/deps.h"
#include "spoke/names.h"
#include "spoke/semver.h"

namespace spoke {
namespace {

Result<std::unique_ptr<SchemaImage>> BuildStored(const Store& store, const VersionInfo& version) {
  SPOKE_ASSIGN_OR_RETURN(SchemaSources sources, VersionSources(store, version));
  auto image = SchemaImage::Build(sources);
  if (!image.ok())
    return image.status().WithContext(version.module + "@" + version.version + " does not compile");
  return image;
}

}  // namespace

std::string PreviousReleaseInMajor(const std::vector<std::string>& existing,
                                   const std::string& version) {
  auto target = SemVer::Parse(version);
  if (!target.ok()) return "";
  std::optional<SemVer> best;
  for (const auto& name : existing) {
    auto candidate = SemVer::Parse(name);
    if (!candidate.ok() || candidate->is_prerelease() || candidate->major() != target->major())
      continue;
    if (candidate->Compare(*target) >= 0) continue;
    if (!best || best->Compare(*candidate) < 0) best = *candidate;
  }
  return best ? best->text() : "";
}

Result<std::string> ParseCompatibility(const std::string& text) {
  if (text.empty()) return std::string();
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "NONE") return std::string();
  auto level = ParseBreakingLevel(text);
  if (!level.ok()) {
    return Status::InvalidArgument(
        "unknown compatibility \"" + text +
        "\"; use FILE, PACKAGE, WIRE_JSON, WIRE (strictest first) or NONE");
  }
  return std::string(BreakingLevelName(*level));
}

std::string CompatibilityName(const std::string& level) { return level.empty() ? "NONE" : level; }

Status CheckPushedVersion(const Store& store, const Manifest& manifest, const FileSet& files,
                          bool validate) {
  // Whatever else is checked: a file that is not UTF-8 is not a .proto file (the language spec),
  // and every tool downstream (protoc, JSON answers, editors) would trip on it.
  for (const auto& [path, content] : files) SPOKE_RETURN_IF_ERROR(ValidateProtoText(path, content));
  std::string compatibility;
  if (auto module = store.GetModule(manifest.module); module.ok()) {
    compatibility = module->compatibility;
  } else if (module.status().code() != Status::Code::kNotFound) {
    return module.status();
  }
  if (!validate && compatibility.empty()) return Status::Ok();
  const std::string name = manifest.module + "@" + manifest.version;
  SPOKE_ASSIGN_OR_RETURN(SchemaSources sources,
                         ClosureSources(store, name, files, manifest.dependencies));
  if (compatibility.empty()) return SchemaImage::Build(sources).status();

  auto level = ParseBreakingLevel(compatibility);
  if (!level.ok())
    return Status::Internal("module " + manifest.module + " has an unknown compatibility " +
                            compatibility);
  SPOKE_ASSIGN_OR_RETURN(auto versions, store.ListVersions(manifest.module));
  std::string previous_name = PreviousReleaseInMajor(versions, manifest.version);
  if (previous_name.empty()) return SchemaImage::Build(sources).status();
  SPOKE_ASSIGN_OR_RETURN(VersionInfo previous, store.GetVersion(manifest.module, previous_name));
  // The previous release parses on another thread while this version does.
  auto previous_image =
      std::async(std::launch::async, [&] { return BuildStored(store, previous); });
  auto current = SchemaImage::Build(sources);
  auto before = previous_image.get();
  if (!current.ok()) return current.status();
  if (!before.ok()) {
    // A previous release that does not compile (pushed with --validate none) leaves nothing to
    // compare against: the policy cannot be applied, which is not this push's fault. Any other
    // failure (the store's) keeps its code.
    const std::string context = "cannot check " + name + " against " + previous_name;
    if (before.status().code() != Status::Code::kInvalidArgument)
      return before.status().WithContext(context);
    return Status::FailedPrecondition(context + ": " + before.status().message());
  }
  BreakingOptions options;
  options.level = *level;
  std::vector<Finding> findings = CheckBreaking(**before, **current, options);
  if (findings.empty()) return Status::Ok();
  SemVer next_major = *SemVer::Parse(manifest.version);
  std::string listed = FormatFindings(findings);
  listed.pop_back();  // the last line's '\n'
  return Status::FailedPrecondition(
      name + " breaks " + previous_name + " at the module's compatibility level " + compatibility +
      " (" + std::to_string(findings.size()) + (findings.size() == 1 ? " finding" : " findings") +
      "); fix it, or publish it as a new major version (v" +
      std::to_string(next_major.major() + 1) + ".0.0):\n" + listed);
}

Result<std::vector<Finding>> CompareVersions(const Store& store, const VersionInfo& from,
                                             const VersionInfo& to, BreakingLevel level) {
  auto from_image = std::async(std::launch::async, [&] { return BuildStored(store, from); });
  auto to_image = BuildStored(store, to);
  auto before = from_image.get();
  if (!before.ok()) return before.status();
  if (!to_image.ok()) return to_image.status();
  BreakingOptions options;
  options.level = level;
  return CheckBreaking(**before, **to_image, options);
}

}  // namespace spoke
