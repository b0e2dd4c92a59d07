// Module-name and file-path rules; see include/spoke/names.h for the grammar.
#include "spoke/names.h"

#include "util/utf8.h"

namespace spoke {
namespace {

bool IsSegmentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsSegmentChar(char c) { return IsSegmentStart(c) || c == '_' || c == '-'; }

// Code points HFS+ ignores in file names, as UTF-8: U+200C-200F, U+202A-202E, U+206A-206F, U+FEFF.
size_t HfsIgnoredLength(const std::string& s, size_t i) {
  if (i + 2 >= s.size()) return 0;
  auto b0 = static_cast<unsigned char>(s[i]), b1 = static_cast<unsigned char>(s[i + 1]),
       b2 = static_cast<unsigned char>(s[i + 2]);
  bool ignored =
      (b0 == 0xE2 && b1 == 0x80 && ((b2 >= 0x8C && b2 <= 0x8F) || (b2 >= 0xAA && b2 <= 0xAE))) ||
      (b0 == 0xE2 && b1 == 0x81 && b2 >= 0xAA && b2 <= 0xAF) ||
      (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF);
  return ignored ? 3 : 0;
}

// Whether git would take this path segment for ".git" (its fsck "hasDotgit" check, which also
// guards checkouts on case-insensitive, NTFS and HFS+ file systems): any case, with trailing dots
// or spaces, the 8.3 short name "git~1", or with code points HFS+ ignores. A store holding such a
// tree fails `git fsck`, and libgit2 refuses to write one.
bool IsGitDirectoryName(const std::string& segment) {
  std::string folded;
  for (size_t i = 0; i < segment.size(); ++i) {
    if (size_t skip = HfsIgnoredLength(segment, i)) {
      i += skip - 1;
      continue;
    }
    char c = segment[i];
    folded.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  while (!folded.empty() && (folded.back() == '.' || folded.back() == ' ')) folded.pop_back();
  return folded == ".git" || folded == "git~1";
}

// `text` for a message: control characters and bytes that are not part of well-formed UTF-8 are
// spelled \xNN, so the message itself is printable UTF-8 whatever the input was.
std::string Printable(const std::string& text) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    auto byte = static_cast<unsigned char>(text[at]);
    size_t length = Utf8SequenceLength(text, at);
    if (length == 0 || byte < 0x20 || byte == 0x7f) {
      out += "\\x" + HexByte(text[at]).substr(2);
      ++at;
      continue;
    }
    out.append(text, at, length);
    at += length;
  }
  return out;
}

}  // namespace

Status ValidateModuleName(const std::string& name) {
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument(
        "invalid module name \"" + Printable(name) + "\": " + why +
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
        return invalid("character '" + Printable(std::string(1, name[i])) + "' is not allowed");
      }
    }
    start = end + 1;
  }
  return Status::Ok();
}

Status ValidateProtoPath(const std::string& path) {
  auto invalid = [&](const std::string& why) {
    return Status::InvalidArgument("invalid file path \"" + Printable(path) + "\": " + why);
  };
  if (path.empty()) return invalid("empty");
  if (path.size() > kMaxProtoPathBytes) {
    return invalid("longer than " + std::to_string(kMaxProtoPathBytes) + " bytes");
  }
  if (path[0] == '/')
    return invalid("absolute paths are not allowed; use a path relative to the module");
  if (size_t bad = FindInvalidUtf8(path); bad != std::string::npos) {
    return invalid("not valid UTF-8 (byte " + HexByte(path[bad]) + " at offset " +
                   std::to_string(bad) + ")");
  }
  for (char c : path) {
    if (c == '\\') return invalid("backslashes are not allowed; use '/'");
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return invalid("control characters are not allowed");
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string segment = path.substr(start, end - start);
    if (segment.empty()) return invalid("empty path segment");
    // Most file systems refuse a longer name, so such a version could be pushed but never pulled.
    if (segment.size() > kMaxPathSegmentBytes) {
      size_t shown = 16;  // backed up to a character boundary, so the message stays UTF-8
      while ((static_cast<unsigned char>(segment[shown]) & 0xC0) == 0x80) --shown;
      return invalid("segment \"" + segment.substr(0, shown) + "...\" is " +
                     std::to_string(segment.size()) + " bytes, over the limit of " +
                     std::to_string(kMaxPathSegmentBytes));
    }
    if (segment == "..") return invalid("'..' is not allowed");
    if (segment == ".") return invalid("'.' segments are not allowed");
    if (IsGitDirectoryName(segment)) return invalid("'" + segment + "' names git's own directory");
    start = end + 1;
  }
  // The file name itself needs a stem: "dir/.proto" is as wrong as ".proto".
  size_t last_slash = path.rfind('/');
  size_t name_start = last_slash == std::string::npos ? 0 : last_slash + 1;
  if (path.size() - name_start < 7 || path.compare(path.size() - 6, 6, ".proto") != 0) {
    return invalid("only .proto files can be part of a module");
  }
  return Status::Ok();
}

Status ValidateProtoText(const std::string& path, std::string_view content) {
  size_t bad = FindInvalidUtf8(content);
  if (bad == std::string_view::npos) return Status::Ok();
  TextPosition at = PositionOf(content, bad);
  return Status::InvalidArgument(
      path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
      ": not valid UTF-8 (byte " + HexByte(content[bad]) +
      "); .proto files must be UTF-8, so convert the file (e.g. iconv -t UTF-8)");
}

}  // namespace spoke
