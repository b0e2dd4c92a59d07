// The original Spoke's example modules, as its document writes them: module `common` holds
// types.proto, and module `order` imports it under the module's name ("common/types.proto").
#ifndef SPOKE_TESTS_E2E_ORIGINAL_MODULES_H_
#define SPOKE_TESTS_E2E_ORIGINAL_MODULES_H_

#include "spoke/manifest.h"

namespace spoke::e2e {

inline const FileSet kOriginalCommon = {
    {"types.proto",
     "syntax = \"proto3\";\npackage common;\n\nmessage UUID {\n  string value = 1;\n}\n"
     "message Timestamp {\n  int64 unix = 1;\n}\n"}};

inline const FileSet kOriginalOrder = {
    {"order.proto",
     "syntax = \"proto3\";\npackage order;\n\nimport \"common/types.proto\";\n\n"
     "message Order {\n  common.UUID id = 1;\n  common.Timestamp created_at = 2;\n}\n"}};

}  // namespace spoke::e2e

#endif  // SPOKE_TESTS_E2E_ORIGINAL_MODULES_H_
