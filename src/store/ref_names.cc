// Ref naming (spoke/refs.h): the one place that spells and splits the names of a store's refs.
#include <cstring>

#include "spoke/names.h"
#include "spoke/refs.h"
#include "spoke/semver.h"

namespace spoke {
namespace {

constexpr char kBranchSuffix[] = "/_history";
constexpr char kRecordSuffix[] = "/_record";
constexpr size_t kArtifactKeyHexDigits = 64;  // SHA-256 (artifact_cache.h)
constexpr size_t kObjectIdHexDigits = 40;     // SHA-1, as the store's git repositories use

bool IsLowerHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool StartsWith(const std::string& text, const char* prefix) {
  return text.compare(0, std::strlen(prefix), prefix) == 0;
}

}  // namespace

std::string VersionTagRef(const std::string& module, const std::string& version) {
  return ModuleTagRefsPrefix(module) + version;
}

std::string ModuleBranchRef(const std::string& module) {
  return kBranchRefsPrefix + module + kBranchSuffix;
}

std::string ModuleRecordRef(const std::string& module) {
  return kRecordRefsPrefix + module + kRecordSuffix;
}

std::string ModuleTagRefsPrefix(const std::string& module) { return kTagRefsPrefix + module + "/"; }

std::string ArtifactRef(const std::string& key_hex) {
  return kArtifactRefsPrefix + key_hex.substr(0, 2) + "/" + key_hex;
}

bool ParseVersionTagRef(const std::string& ref, std::string* module, std::string* version) {
  if (!StartsWith(ref, kTagRefsPrefix)) return false;
  std::string rest = ref.substr(std::strlen(kTagRefsPrefix));
  size_t slash = rest.rfind('/');
  if (slash == std::string::npos) return false;
  std::string m = rest.substr(0, slash), v = rest.substr(slash + 1);
  if (!ValidateModuleName(m).ok() || !SemVer::Parse(v).ok()) return false;
  *module = m;
  *version = v;
  return true;
}

bool ParseModuleBranchRef(const std::string& ref, std::string* module) {
  const size_t prefix = std::strlen(kBranchRefsPrefix), suffix = std::strlen(kBranchSuffix);
  if (!StartsWith(ref, kBranchRefsPrefix) || ref.size() <= prefix + suffix ||
      ref.compare(ref.size() - suffix, suffix, kBranchSuffix) != 0) {
    return false;
  }
  std::string m = ref.substr(prefix, ref.size() - suffix - prefix);
  if (!ValidateModuleName(m).ok()) return false;
  *module = m;
  return true;
}

bool ParseModuleRecordRef(const std::string& ref, std::string* module) {
  const size_t prefix = std::strlen(kRecordRefsPrefix), suffix = std::strlen(kRecordSuffix);
  if (!StartsWith(ref, kRecordRefsPrefix) || ref.size() <= prefix + suffix ||
      ref.compare(ref.size() - suffix, suffix, kRecordSuffix) != 0) {
    return false;
  }
  std::string m = ref.substr(prefix, ref.size() - suffix - prefix);
  if (!ValidateModuleName(m).ok()) return false;
  *module = m;
  return true;
}

bool ParseArtifactRef(const std::string& ref, std::string* key) {
  const size_t prefix = std::strlen(kArtifactRefsPrefix);
  if (!StartsWith(ref, kArtifactRefsPrefix) || ref.size() != prefix + 3 + kArtifactKeyHexDigits)
    return false;
  std::string k = ref.substr(prefix + 3);
  if (ref.substr(prefix, 3) != k.substr(0, 2) + "/") return false;
  for (char c : k) {
    if (!IsLowerHexDigit(c)) return false;
  }
  *key = k;
  return true;
}

Status CheckObjectIdHex(const std::string& hex) {
  bool hex_digits_only = hex.size() == kObjectIdHexDigits;
  bool lowercase = true;
  for (char c : hex) {
    if (c >= 'A' && c <= 'F') {
      lowercase = false;
    } else if (!IsLowerHexDigit(c)) {
      hex_digits_only = false;
    }
  }
  if (!hex_digits_only) return Status::InvalidArgument("not an object id: \"" + hex + "\"");
  if (!lowercase) {
    return Status::InvalidArgument("object ids are 40 lowercase hex digits: \"" + hex + "\"");
  }
  return Status::Ok();
}

}  // namespace spoke
