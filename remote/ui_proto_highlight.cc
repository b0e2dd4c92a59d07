// A small .proto highlighter for the file page (ui_proto_highlight.h): a scanner over the protobuf
// language's tokens, not a parser; what it does not know it leaves as escaped text.
#include "ui_proto_highlight.h"

#include <algorithm>
#include <array>

#include "ui_html.h"

namespace spoke::ui {
namespace {

constexpr std::array<std::string_view, 46> kKeywords = {
    "syntax",   "edition",  "package",  "import",     "public",  "weak",    "option",   "message",
    "enum",     "service",  "rpc",      "returns",    "stream",  "oneof",   "map",      "repeated",
    "optional", "required", "reserved", "extensions", "extend",  "to",      "max",      "group",
    "true",     "false",    "inf",      "nan",        "double",  "float",   "int32",    "int64",
    "uint32",   "uint64",   "sint32",   "sint64",     "fixed32", "fixed64", "sfixed32", "sfixed64",
    "bool",     "string",   "bytes",    "export",     "local",   "default"};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

std::vector<std::string_view> SplitLines(std::string_view source) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < source.size()) {
    size_t end = source.find('\n', start);
    if (end == std::string_view::npos) end = source.size();
    std::string_view line = source.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

void AppendSpan(std::string* out, const char* cls, std::string_view text) {
  out->append("<span class=\"").append(cls).append("\">");
  AppendEscaped(out, text);
  out->append("</span>");
}

// Highlights one line; `in_comment` says whether a block comment is open at its start, and is
// left saying whether one is open at its end.
std::string HighlightLine(std::string_view line, bool* in_comment) {
  std::string out;
  size_t i = 0;
  size_t plain = 0;  // start of text not yet written
  auto flush = [&](size_t upto) {
    AppendEscaped(&out, line.substr(plain, upto - plain));
    plain = upto;
  };
  if (*in_comment) {
    size_t end = line.find("*/");
    size_t stop = end == std::string_view::npos ? line.size() : end + 2;
    AppendSpan(&out, "com", line.substr(0, stop));
    *in_comment = end == std::string_view::npos;
    i = plain = stop;
  }
  while (i < line.size()) {
    char c = line[i];
    if (c == '/' && i + 1 < line.size() && line[i + 1] == '/') {
      flush(i);
      AppendSpan(&out, "com", line.substr(i));
      return out;
    }
    if (c == '/' && i + 1 < line.size() && line[i + 1] == '*') {
      flush(i);
      size_t end = line.find("*/", i + 2);
      size_t stop = end == std::string_view::npos ? line.size() : end + 2;
      AppendSpan(&out, "com", line.substr(i, stop - i));
      *in_comment = end == std::string_view::npos;
      i = plain = stop;
      continue;
    }
    if (c == '"' || c == '\'') {
      flush(i);
      size_t j = i + 1;
      while (j < line.size() && line[j] != c) j += line[j] == '\\' ? 2 : 1;
      size_t stop = std::min(j + 1, line.size());
      AppendSpan(&out, "str", line.substr(i, stop - i));
      i = plain = stop;
      continue;
    }
    if (IsIdentStart(c)) {
      size_t j = i;
      while (j < line.size() && IsIdentChar(line[j])) ++j;
      std::string_view word = line.substr(i, j - i);
      // A keyword only as a word of its own: not as part of a dotted name (foo.message).
      bool dotted = (i > 0 && line[i - 1] == '.') || (j < line.size() && line[j] == '.');
      if (!dotted && std::find(kKeywords.begin(), kKeywords.end(), word) != kKeywords.end()) {
        flush(i);
        AppendSpan(&out, "kw", word);
        plain = j;
      }
      i = j;
      continue;
    }
    if (IsDigit(c)) {
      size_t j = i;
      while (j < line.size() && (IsIdentChar(line[j]) || line[j] == '.')) ++j;
      flush(i);
      AppendSpan(&out, "num", line.substr(i, j - i));
      i = plain = j;
      continue;
    }
    ++i;
  }
  flush(line.size());
  return out;
}

}  // namespace

std::vector<std::string> HighlightProtoLines(std::string_view source) {
  std::vector<std::string> out;
  bool in_comment = false;
  for (std::string_view line : SplitLines(source)) out.push_back(HighlightLine(line, &in_comment));
  return out;
}

std::vector<std::string> PlainLines(std::string_view source) {
  std::vector<std::string> out;
  for (std::string_view line : SplitLines(source)) out.push_back(Escape(line));
  return out;
}

}  // namespace spoke::ui
