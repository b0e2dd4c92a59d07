// Validation of the names that come from outside: module names and file paths inside a module.
//
// Module names are lowercase path-like names: one or more segments joined by '/', each segment
// matching [a-z0-9][a-z0-9_-]* (so no dots, which keeps "refs/tags/<module>/<version>" unambiguous:
// versions always contain dots, module segments never do). At most 128 characters in all.
//
// File paths are relative, '/'-separated, end in ".proto", and contain no "..", ".", empty segment,
// backslash, NUL or control character. At most 1024 characters.
#ifndef SPOKE_NAMES_H_
#define SPOKE_NAMES_H_

#include <string>

#include "spoke/status.h"

namespace spoke {

Status ValidateModuleName(const std::string& name);
Status ValidateProtoPath(const std::string& path);

}  // namespace spoke

#endif  // SPOKE_NAMES_H_
