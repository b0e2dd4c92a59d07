// Parsing an HTTP/1.1 request head (RFC 9112) strictly, as a server facing strangers must: what a
// proxy in front and this server could read differently (two Content-Lengths, a transfer coding
// beside a length, folded or colon-less header lines) is refused, never guessed at.
#ifndef SPOKE_REMOTE_HTTP_HEAD_H_
#define SPOKE_REMOTE_HTTP_HEAD_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "http_server.h"

namespace spoke::http {

struct HeadLimits {
  size_t max_target_bytes = 8 << 10;
  size_t max_headers = 100;
};

struct ParsedHead {
  std::string method, target, path, version;
  Headers headers;
  Params params;
  bool chunked = false;          // Transfer-Encoding: chunked
  uint64_t content_length = 0;   // 0 when absent
  bool expect_continue = false;  // Expect: 100-continue
  bool keep_alive = true;        // false for HTTP/1.0 or "Connection: close"
};

// Why a head was refused: the HTTP status to answer with (400, 414, 417, 431, 501, 505) and what
// was wrong, for the error body.
struct HeadError {
  int status = 400;
  std::string message;
};

// Where FindHeadEnd left off in a buffer that grows, so a head trickling in byte by byte is
// scanned once, not once per byte.
struct HeadScan {
  size_t line_start = 0;  // start of the first line not yet seen whole
  bool saw_request_line = false;
};

// The offset just past the empty line that ends the first request head in `buffer` (lines end in
// CRLF or a bare LF), or std::string_view::npos when the head is not complete yet. Empty lines
// before a request line (allowed by RFC 9112 2.2) are part of the head. `scan` starts
// default-constructed for each head and is passed again as the same buffer grows; once the end
// is found, asking again gives the same answer.
size_t FindHeadEnd(std::string_view buffer, HeadScan* scan);

// Parses `head` (as delimited by FindHeadEnd). False with `*error` set when the head is malformed
// or asks for something this server does not do.
bool ParseRequestHead(std::string_view head, const HeadLimits& limits, ParsedHead* out,
                      HeadError* error);

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). False for a malformed escape or
// an escaped NUL.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

}  // namespace spoke::http

#endif  // SPOKE_REMOTE_HTTP_HEAD_H_
