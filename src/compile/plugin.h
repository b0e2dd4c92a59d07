// Running a protoc plugin: the CodeGeneratorRequest goes to its stdin, the CodeGeneratorResponse
// comes from its stdout, as protoc does it.
#ifndef SPOKE_COMPILE_PLUGIN_H_
#define SPOKE_COMPILE_PLUGIN_H_

#include <string>

#include "spoke/status.h"

namespace spoke {

// Runs `binary` with `input` on stdin; returns its stdout. FailedPrecondition when it exits
// non-zero (it refused the input; its stderr is in the message); IOError when it cannot start or
// is killed.
Result<std::string> RunPlugin(const std::string& binary, const std::string& input);

}  // namespace spoke

#endif  // SPOKE_COMPILE_PLUGIN_H_
