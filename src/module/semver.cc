// Semver 2.0 parsing and precedence (https://semver.org), with Spoke's "v" prefix.
#include "spoke/semver.h"

#include <algorithm>

namespace spoke {
namespace {

bool IsDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsIdentifier(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
  });
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

bool ParseNumber(const std::string& s, uint64_t* out) {
  if (!IsDigits(s) || (s.size() > 1 && s[0] == '0') || s.size() > 18) return false;
  *out = std::stoull(s);
  return true;
}

}  // namespace

Result<SemVer> SemVer::Parse(const std::string& text) {
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument(
        "invalid version \"" + text + "\": " + why +
        " (expected semver with a v prefix, e.g. v1.2.3 or v2.0.0-rc.1)");
  };
  if (text.size() > 128) return invalid("longer than 128 characters");
  if (text.empty() || text[0] != 'v') return invalid("must start with 'v'");
  SemVer v;
  v.text_ = text;
  std::string rest = text.substr(1);
  size_t plus = rest.find('+');
  if (plus != std::string::npos) {
    v.build_ = rest.substr(plus + 1);
    rest = rest.substr(0, plus);
    for (const auto& id : Split(v.build_, '.')) {
      if (!IsIdentifier(id)) return invalid("bad build metadata");
    }
  }
  size_t dash = rest.find('-');
  if (dash != std::string::npos) {
    std::string pre = rest.substr(dash + 1);
    rest = rest.substr(0, dash);
    for (const auto& id : Split(pre, '.')) {
      if (!IsIdentifier(id)) return invalid("bad pre-release identifier");
      if (IsDigits(id) && id.size() > 1 && id[0] == '0') {
        return invalid("numeric pre-release identifiers must not have leading zeros");
      }
      v.prerelease_.push_back(id);
    }
  }
  auto core = Split(rest, '.');
  if (core.size() != 3) return invalid("needs MAJOR.MINOR.PATCH");
  if (!ParseNumber(core[0], &v.major_) || !ParseNumber(core[1], &v.minor_) ||
      !ParseNumber(core[2], &v.patch_)) {
    return invalid("MAJOR, MINOR and PATCH must be numbers without leading zeros");
  }
  return v;
}

int SemVer::Compare(const SemVer& other) const {
  if (major_ != other.major_) return major_ < other.major_ ? -1 : 1;
  if (minor_ != other.minor_) return minor_ < other.minor_ ? -1 : 1;
  if (patch_ != other.patch_) return patch_ < other.patch_ ? -1 : 1;
  // A release ranks above any of its pre-releases.
  if (prerelease_.empty() || other.prerelease_.empty()) {
    if (prerelease_.empty() && other.prerelease_.empty()) return 0;
    return prerelease_.empty() ? 1 : -1;
  }
  size_t n = std::min(prerelease_.size(), other.prerelease_.size());
  for (size_t i = 0; i < n; ++i) {
    const std::string& a = prerelease_[i];
    const std::string& b = other.prerelease_[i];
    bool a_num = IsDigits(a), b_num = IsDigits(b);
    if (a_num && b_num) {
      if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
      if (a != b) return a < b ? -1 : 1;
    } else if (a_num != b_num) {
      return a_num ? -1 : 1;  // numeric identifiers rank below alphanumeric ones
    } else if (a != b) {
      return a < b ? -1 : 1;
    }
  }
  if (prerelease_.size() != other.prerelease_.size()) {
    return prerelease_.size() < other.prerelease_.size() ? -1 : 1;
  }
  return 0;
}

std::optional<std::string> HighestRelease(const std::vector<std::string>& versions) {
  std::optional<SemVer> best;
  for (const auto& text : versions) {
    auto parsed = SemVer::Parse(text);
    if (!parsed.ok() || parsed->is_prerelease()) continue;
    if (!best || best->Compare(*parsed) < 0 ||
        (best->Compare(*parsed) == 0 && best->text() < parsed->text())) {
      best = *parsed;
    }
  }
  if (!best) return std::nullopt;
  return best->text();
}

void SortVersions(std::vector<std::string>* versions) {
  std::stable_sort(versions->begin(), versions->end(),
                   [](const std::string& a, const std::string& b) {
                     auto pa = SemVer::Parse(a), pb = SemVer::Parse(b);
                     if (pa.ok() != pb.ok()) return pa.ok();
                     if (!pa.ok()) return a < b;
                     int c = pa->Compare(*pb);
                     return c != 0 ? c < 0 : a < b;
                   });
}

}  // namespace spoke
