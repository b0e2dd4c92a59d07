// Strict parsing of HTTP/1.1 request heads (RFC 9110, RFC 9112).
#include "http_head.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace spoke::http {
namespace {

bool IsTokenChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsTokenChar(c); });
}

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The comma-separated elements of every value of header `name`, trimmed, empty ones dropped.
std::vector<std::string> ListElements(const Headers& headers, const std::string& name) {
  std::vector<std::string> out;
  auto [begin, end] = headers.equal_range(name);
  for (auto it = begin; it != end; ++it) {
    std::string_view rest = it->second;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view item = TrimWhitespace(rest.substr(0, comma));
      if (!item.empty()) out.emplace_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

bool Fail(HeadError* error, int status, std::string message) {
  error->status = status;
  error->message = std::move(message);
  return false;
}

bool ParseQuery(std::string_view query, Params* params) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key, value;
      if (!PercentDecode(pair.substr(0, eq), true, &key)) return false;
      if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, &value))
        return false;
      params->emplace(std::move(key), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return true;
}

// Splits the request line "METHOD SP target SP HTTP/x.y".
bool ParseRequestLine(std::string_view line, const HeadLimits& limits, ParsedHead* out,
                      HeadError* error) {
  size_t first = line.find(' ');
  size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    return Fail(error, 400, "malformed request line");
  }
  std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, last - first - 1);
  std::string_view version = line.substr(last + 1);
  if (target.size() > limits.max_target_bytes) {
    return Fail(
        error, 414,
        "request target is longer than " + std::to_string(limits.max_target_bytes) + " bytes");
  }
  if (!IsToken(method)) return Fail(error, 400, "malformed method");
  if (target.empty() || target.find(' ') != std::string_view::npos) {
    return Fail(error, 400, "malformed request line");
  }
  for (unsigned char c : target) {
    if (c <= 0x20 || c == 0x7f) return Fail(error, 400, "request target holds a control character");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    if (version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
        std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
        std::isdigit(static_cast<unsigned char>(version[7]))) {
      return Fail(error, 505,
                  "HTTP version " + std::string(version.substr(5)) + " is not supported");
    }
    return Fail(error, 400, "malformed HTTP version");
  }
  static constexpr std::string_view kKnownMethods[] = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"};
  if (std::find(std::begin(kKnownMethods), std::end(kKnownMethods), method) ==
      std::end(kKnownMethods)) {
    return Fail(error, 501, "method " + std::string(method) + " is not implemented");
  }
  // Absolute form (what a client sends to a proxy) names the same resource as the origin form.
  if (target.substr(0, 7) == "http://" || target.substr(0, 8) == "https://") {
    size_t authority = target.find("//") + 2;
    size_t slash = target.find('/', authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target.front() != '/') return Fail(error, 400, "request target must be a path");
  size_t fragment = target.find('#');
  if (fragment != std::string_view::npos)
    return Fail(error, 400, "request target holds a fragment");
  size_t question = target.find('?');
  if (!PercentDecode(target.substr(0, question), false, &out->path)) {
    return Fail(error, 400, "request path holds a malformed %-escape");
  }
  if (question != std::string_view::npos &&
      !ParseQuery(target.substr(question + 1), &out->params)) {
    return Fail(error, 400, "query holds a malformed %-escape");
  }
  out->method = std::string(method);
  out->target = std::string(line.substr(first + 1, last - first - 1));
  out->version = std::string(version);
  return true;
}

bool ParseHeaderLine(std::string_view line, ParsedHead* out, HeadError* error) {
  if (line.front() == ' ' || line.front() == '\t') {
    return Fail(error, 400, "obsolete line folding in the request head");
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Fail(error, 400, "header line without a colon");
  std::string_view name = line.substr(0, colon);
  if (!IsToken(name))
    return Fail(error, 400, "malformed header name \"" + std::string(name.substr(0, 64)) + "\"");
  std::string_view value = TrimWhitespace(line.substr(colon + 1));
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return Fail(error, 400, "header " + std::string(name) + " holds a control character");
    }
  }
  out->headers.emplace(std::string(name), std::string(value));
  return true;
}

bool ParseFraming(ParsedHead* out, HeadError* error) {
  const bool http11 = out->version == "HTTP/1.1";
  if (http11 && out->headers.count("Host") != 1) {
    return Fail(error, 400,
                out->headers.count("Host") == 0 ? "HTTP/1.1 request without a Host header"
                                                : "more than one Host header");
  }
  std::vector<std::string> lengths = ListElements(out->headers, "Content-Length");
  if (out->headers.count("Content-Length") && lengths.empty())
    return Fail(error, 400, "empty Content-Length");
  for (const auto& length : lengths) {
    if (length.size() > 18 ||
        !std::all_of(length.begin(), length.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Fail(error, 400, "invalid Content-Length \"" + length.substr(0, 32) + "\"");
    }
    if (length != lengths.front()) return Fail(error, 400, "conflicting Content-Length headers");
  }
  if (!lengths.empty()) out->content_length = std::stoull(lengths.front());
  if (out->headers.count("Transfer-Encoding")) {
    if (!http11) return Fail(error, 400, "Transfer-Encoding in an HTTP/1.0 request");
    if (!lengths.empty()) return Fail(error, 400, "both Transfer-Encoding and Content-Length");
    std::vector<std::string> codings = ListElements(out->headers, "Transfer-Encoding");
    for (auto& coding : codings) coding = Lower(coding);
    if (codings.size() == 1 && codings[0] == "chunked") {
      out->chunked = true;
    } else {
      for (const auto& coding : codings) {
        if (coding != "chunked")
          return Fail(error, 501,
                      "transfer coding \"" + coding.substr(0, 32) + "\" is not supported");
      }
      return Fail(error, 400, "malformed Transfer-Encoding");
    }
  }
  if (out->headers.count("Expect")) {
    std::string expect = Lower(out->headers.find("Expect")->second);
    if (expect != "100-continue")
      return Fail(error, 417, "only \"Expect: 100-continue\" is supported");
    out->expect_continue = http11;
  }
  out->keep_alive = http11;
  for (const auto& token : ListElements(out->headers, "Connection")) {
    if (Lower(token) == "close") out->keep_alive = false;
  }
  return true;
}

}  // namespace

size_t FindHeadEnd(std::string_view buffer, HeadScan* scan) {
  size_t pos = scan->line_start;
  while (true) {
    size_t newline = buffer.find('\n', pos);
    if (newline == std::string_view::npos) {
      scan->line_start = pos;
      return std::string_view::npos;
    }
    size_t length = newline - pos;
    if (length > 0 && buffer[newline - 1] == '\r') --length;
    if (length > 0) {
      scan->saw_request_line = true;
    } else if (scan->saw_request_line) {
      // Left at the empty line, so asking again (the worker that takes the head does) finds the
      // same end.
      scan->line_start = pos;
      return newline + 1;
    }
    pos = newline + 1;
  }
}

bool ParseRequestHead(std::string_view head, const HeadLimits& limits, ParsedHead* out,
                      HeadError* error) {
  *out = ParsedHead();
  bool saw_request_line = false;
  size_t header_count = 0;
  while (!head.empty()) {
    size_t newline = head.find('\n');
    std::string_view line = head.substr(0, newline);
    head.remove_prefix(newline == std::string_view::npos ? head.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos)
      return Fail(error, 400, "bare CR in the request head");
    if (line.find('\0') != std::string_view::npos)
      return Fail(error, 400, "NUL in the request head");
    if (!saw_request_line) {
      if (line.empty()) continue;
      if (!ParseRequestLine(line, limits, out, error)) return false;
      saw_request_line = true;
      continue;
    }
    if (line.empty()) break;
    if (++header_count > limits.max_headers) {
      return Fail(error, 431, "more than " + std::to_string(limits.max_headers) + " header lines");
    }
    if (!ParseHeaderLine(line, out, error)) return false;
  }
  if (!saw_request_line) return Fail(error, 400, "empty request");
  return ParseFraming(out, error);
}

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int high = hex(in[i + 1]), low = hex(in[i + 2]);
      if (high < 0 || low < 0) return false;
      char decoded = static_cast<char>(high * 16 + low);
      if (decoded == '\0') return false;
      out->push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace spoke::http
