// The two modules the Sprocket tests compile, standalone (sprocket_test.cc) and inside the server
// (server_sprocket_test.cc).
#ifndef SPOKE_TESTS_E2E_SPROCKET_FIXTURE_H_
#define SPOKE_TESTS_E2E_SPROCKET_FIXTURE_H_

#include "spoke/manifest.h"

namespace spoke::e2e {

// A dependency whose name sorts after its dependent's, so that compiling in name order would put
// the dependent first.
inline const FileSet kZeta = {
    {"zeta/money.proto",
     "syntax = \"proto3\";\npackage zeta;\n\nmessage Money {\n  int64 units = 1;\n}\n"}};
inline const FileSet kAlpha = {
    {"alpha/order.proto",
     "syntax = \"proto3\";\npackage alpha;\nimport \"zeta/money.proto\";\n\n"
     "message Order {\n  zeta.Money total = 1;\n}\n"}};

}  // namespace spoke::e2e

#endif  // SPOKE_TESTS_E2E_SPROCKET_FIXTURE_H_
