// Validation of the names that come from outside: module names and file paths inside a module.
//
// Module names are lowercase path-like names: one or more segments joined by '/', each segment
// matching [a-z0-9][a-z0-9_-]* (so no dots, which keeps "refs/tags/<module>/<version>" unambiguous:
// versions always contain dots, module segments never do). At most 128 characters in all.
//
// File paths are relative, '/'-separated, end in ".proto", are valid UTF-8, and contain no "..",
// ".", empty segment, backslash, NUL or control character. At most 1024 bytes in all and 255 bytes
// per segment, so every path a registry accepts can be written on the file systems that pull it
// (NAME_MAX is 255 bytes on Linux, macOS and Windows; PATH_MAX 4096 leaves room for the target
// directory).
//
// The content of a .proto file must be valid UTF-8, as protobuf's language specification says.
#ifndef SPOKE_NAMES_H_
#define SPOKE_NAMES_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "spoke/status.h"

namespace spoke {

inline constexpr size_t kMaxProtoPathBytes = 1024;
inline constexpr size_t kMaxPathSegmentBytes = 255;

// InvalidArgument saying what is wrong with the name or path.
Status ValidateModuleName(const std::string& name);
Status ValidateProtoPath(const std::string& path);

// InvalidArgument "<path>:<line>:<col>: not valid UTF-8 (byte 0xNN) ..." for the first byte of
// `content` that is not well-formed UTF-8 (lines and columns from 1, the column in bytes).
Status ValidateProtoText(const std::string& path, std::string_view content);

}  // namespace spoke

#endif  // SPOKE_NAMES_H_
