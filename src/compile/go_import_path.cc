// Default Go import paths for files without go_package; see go_import_path.h.
#include "spoke/go_import_path.h"

namespace spoke {
namespace {

constexpr size_t kMaxGoImportPrefixBytes = 512;

// The characters Go's module.CheckImportPath allows in an import path element.
bool IsGoImportPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+';
}

// `element` with every character Go does not allow (a UTF-8 sequence counting as one) and a '.' at
// either end replaced by '_'. REQUIRES: `element` is not empty.
std::string SanitizeElement(const std::string& element) {
  std::string out;
  for (char c : element) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: its lead byte became '_'
    out += IsGoImportPathChar(c) ? c : '_';
  }
  if (out.front() == '.') out.front() = '_';
  if (out.back() == '.') out.back() = '_';
  return out;
}

// The sanitized non-empty elements of `path`, joined by '/'.
std::string SanitizePath(const std::string& path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start)
      out += (out.empty() ? "" : "/") + SanitizeElement(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string DefaultGoImportPrefix(const std::string& name) {
  std::string prefix = SanitizePath(name);
  if (prefix.empty()) prefix = "proto";
  if (prefix.find_first_of("/.") == std::string::npos) prefix = "example/" + prefix;
  return prefix;
}

Status ValidateGoImportPrefix(const std::string& prefix) {
  auto refuse = [&prefix](const std::string& why) {
    return Status::InvalidArgument(
        "go_package_prefix \"" + prefix + "\" is not a Go import path: " + why +
        " (use '/'-separated elements of letters, digits and -._~+, such as "
        "example.com/acme/gen)");
  };
  if (prefix.empty()) return refuse("it is empty");
  if (prefix.size() > kMaxGoImportPrefixBytes) {
    return refuse("it is over " + std::to_string(kMaxGoImportPrefixBytes) + " bytes");
  }
  size_t start = 0;
  while (start <= prefix.size()) {
    size_t end = prefix.find('/', start);
    if (end == std::string::npos) end = prefix.size();
    const std::string element = prefix.substr(start, end - start);
    if (element.empty()) return refuse("it has an empty element");
    for (char c : element) {
      if (!IsGoImportPathChar(c))
        return refuse("it holds the character '" + std::string(1, c) + "'");
    }
    if (element.front() == '.' || element.back() == '.') {
      return refuse("the element \"" + element + "\" starts or ends with '.'");
    }
    start = end + 1;
  }
  return Status::Ok();
}

std::string DefaultGoImportPath(const std::string& prefix, const std::string& proto_path) {
  const size_t slash = proto_path.rfind('/');
  if (slash == std::string::npos) return prefix;
  const std::string directory = SanitizePath(proto_path.substr(0, slash));
  return directory.empty() ? prefix : prefix + "/" + directory;
}

Result<std::string> GoImportPathParameter(const std::string& prefix,
                                          const std::vector<std::string>& files) {
  std::string parameter;
  for (const auto& file : files) {
    if (file.find_first_of(",=") != std::string::npos) {
      return Status::InvalidArgument(
          "cannot give " + file +
          " a default Go import path: the Go plugins' parameter cannot carry a "
          "file name holding ',' or '='; set option go_package in it");
    }
    parameter += (parameter.empty() ? "M" : ",M") + file + "=" + DefaultGoImportPath(prefix, file);
  }
  return parameter;
}

}  // namespace spoke
