// UTF-8 as RFC 3629 defines it: what Spoke requires of file paths and .proto files (protobuf's
// language spec says a .proto file is UTF-8), what Json::Parse accepts and what Json::Dump writes.
//
// Well-formed means: no stray continuation byte, no truncated sequence, no overlong form (C0, C1,
// E0 80..9F, F0 80..8F), no UTF-16 surrogate (ED A0..BF) and nothing above U+10FFFF (F4 90..,
// F5..FF). A NUL byte is well-formed UTF-8; callers that refuse control characters do so
// themselves.
#ifndef SPOKE_UTIL_UTF8_H_
#define SPOKE_UTIL_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace spoke {

// The length (1 to 4) of the well-formed UTF-8 sequence starting at text[at], or 0 when the bytes
// there do not start one. REQUIRES: at < text.size().
size_t Utf8SequenceLength(std::string_view text, size_t at);

// The offset of the first byte that is not part of a well-formed sequence, or npos when `text` is
// all well-formed.
size_t FindInvalidUtf8(std::string_view text);

// Where byte `offset` of `text` is, for messages: 1-based line and column. Lines end at '\n'; the
// column counts bytes, as protoc and most compilers do.
struct TextPosition {
  size_t line = 1;
  size_t column = 1;
};
TextPosition PositionOf(std::string_view text, size_t offset);

// A byte as "0xC3", for saying what a bad sequence starts with.
std::string HexByte(char byte);

}  // namespace spoke

#endif  // SPOKE_UTIL_UTF8_H_
