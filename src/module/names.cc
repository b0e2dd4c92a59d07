// Module-name and file-path rules; see include/spoke/names.h for the grammar.
#include "spoke/names.h"

namespace spoke {
namespace {

bool IsSegmentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsSegmentChar(char c) { return IsSegmentStart(c) || c == '_' || c == '-'; }

}  // namespace

Status ValidateModuleName(const std::string& name) {
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument("invalid module name \"" + name + "\": " + why +
                                   " (use lowercase segments like \"user\" or \"payments/ledger\")");
  };
  if (name.empty()) return invalid("empty");
  if (name.size() > 128) return invalid("longer than 128 characters");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (end == start) return invalid("empty segment");
    if (!IsSegmentStart(name[start])) return invalid("each segment must start with a-z or 0-9");
    for (size_t i = start; i < end; ++i) {
      if (!IsSegmentChar(name[i])) {
        return invalid(std::string("character '") + name[i] + "' is not allowed");
      }
    }
    start = end + 1;
  }
  return Status::Ok();
}

Status ValidateProtoPath(const std::string& path) {
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument("invalid file path \"" + path + "\": " + why);
  };
  if (path.empty()) return invalid("empty");
  if (path.size() > 1024) return invalid("longer than 1024 characters");
  if (path[0] == '/') return invalid("absolute paths are not allowed; use a path relative to the module");
  for (char c : path) {
    if (c == '\\') return invalid("backslashes are not allowed; use '/'");
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return invalid("control characters are not allowed");
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string segment = path.substr(start, end - start);
    if (segment.empty()) return invalid("empty path segment");
    if (segment == "..") return invalid("'..' is not allowed");
    if (segment == ".") return invalid("'.' segments are not allowed");
    if (segment == ".git") return invalid("'.git' is not allowed");
    start = end + 1;
  }
  if (path.size() < 7 || path.compare(path.size() - 6, 6, ".proto") != 0) {
    return invalid("only .proto files can be part of a module");
  }
  return Status::Ok();
}

}  // namespace spoke
