// `spoke-server token create|list|revoke`: the store's scoped tokens (spoke/tokens.h), managed
// beside a running server, which sees the changes at its next request.
#ifndef SPOKE_CLI_SERVER_TOKENS_H_
#define SPOKE_CLI_SERVER_TOKENS_H_

namespace spoke::cli {

// Runs `spoke-server token ...`; argv[0] is "token". Returns the exit code (0 ok, 1 failure, 2
// usage).
int TokenMain(int argc, char** argv);

}  // namespace spoke::cli

#endif  // SPOKE_CLI_SERVER_TOKENS_H_
