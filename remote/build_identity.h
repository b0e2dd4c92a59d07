// What tells one build of the server from another, for validators computed without rendering: a
// page whose ETag names only the data it shows (a file page: the version and the path) must still
// change when a new binary renders that data differently.
#ifndef SPOKE_REMOTE_BUILD_IDENTITY_H_
#define SPOKE_REMOTE_BUILD_IDENTITY_H_

#include <string>

namespace spoke {

// The running executable's GNU build id (the linker's hash of its contents) in hex; without one
// (a linker that writes none), a value unique to this process, so validators are then only good
// until the server restarts. Thread-safe; computed once.
const std::string& BuildIdentity();

}  // namespace spoke

#endif  // SPOKE_REMOTE_BUILD_IDENTITY_H_
