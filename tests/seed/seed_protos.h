// The example schemas the document implies, written from its proto snippets: each is the
// snippet made a complete file (syntax and package added, "{ ... }" filled in, messages a snippet
// names but does not show declared), so that protoc accepts it.
#ifndef SPOKE_TESTS_SEED_SEED_PROTOS_H_
#define SPOKE_TESTS_SEED_SEED_PROTOS_H_

#include <string>

#include "spoke/manifest.h"

namespace spoke::seed {

// Lines 120-123: module "common", file types.proto, imported by others as "common/types.proto".
inline const std::string kCommonTypes =
    "syntax = \"proto3\";\n\npackage common;\n\n"
    "message Timestamp {\n  int64 seconds = 1;\n  int32 nanos = 2;\n}\n\n"
    "message UUID {\n  string value = 1;\n}\n";
inline const FileSet kCommonV1 = {{"types.proto", kCommonTypes}};

// Lines 125-130: module "order", file order.proto.
inline const std::string kOrderV1 =
    "syntax = \"proto3\";\n\npackage order;\n\nimport \"common/types.proto\";\n\n"
    "message Order {\n  common.UUID id = 1;\n  common.Timestamp created_at = 2;\n}\n";

// Lines 34-38: order v1.2.0 adds the OrderService of the gRPC example and its messages.
inline const std::string kOrderV12 =
    kOrderV1 +
    "\nmessage OrderID {\n  common.UUID id = 1;\n}\n\n"
    "message OrderRequest {\n  repeated string items = 1;\n}\n\n"
    "message OrderResponse {\n  Order order = 1;\n}\n\n"
    "service OrderService {\n  rpc CreateOrder(OrderRequest) returns (OrderResponse);\n"
    "  rpc GetOrder(OrderID) returns (Order);\n}\n";

// Lines 57-62: module "events".
inline const std::string kEvents =
    "syntax = \"proto3\";\n\npackage events;\n\n"
    "message UserAction {\n  string user_id = 1;\n  string action_type = 2;\n  int64 timestamp = "
    "3;\n}\n";

// Module "user": the document's style guide (lines 529-545) and documented UserProfile (lines
// 561-572), building on common as its registry diagram shows (line 91, common -> user).
inline const std::string kUserV1 =
    "syntax = \"proto3\";\n\n"
    "// Package naming: domain.service.version\npackage company.userservice.v1;\n\n"
    "import \"common/types.proto\";\n\n"
    "// User profile information.\n//\n"
    "// This message represents a user's public profile data\n"
    "// that can be shared across services.\n"
    "message UserProfile {\n"
    "  // Unique user identifier (UUID format)\n  string user_id = 1;\n\n"
    "  // Display name (3-50 characters)\n  string display_name = 2;\n\n"
    "  common.Timestamp created_at = 3;\n"
    "}\n\n"
    "enum Status {\n  STATUS_UNKNOWN = 0;\n  STATUS_ACTIVE = 1;\n}\n";
// The line v1.1.0 adds ("Version 2: Add new field", line 108), as lines 343-347 add a field.
inline const std::string kUserNewField =
    "  int32 timeout = 4;  // New field, old agents ignore it\n";
inline const std::string kUserV11 = [] {
  std::string text = kUserV1;
  const std::string before = "  common.Timestamp created_at = 3;\n";
  return text.insert(text.find(before) + before.size(), kUserNewField);
}();

// Lines 433-440: sensor-data.proto, the IoT scenario's schema (used where a story needs one more
// module: "myservice", "myapi", "mymodule").
inline const std::string kSensorData =
    "syntax = \"proto3\";\n\npackage iot;\n\n"
    "message SensorReading {\n  string device_id = 1;\n  double temperature = 2;\n"
    "  double humidity = 3;\n  int64 timestamp = 4;\n}\n";

// Lines 320-328 and 338-347: the agent command and the config that gains a field.
inline const std::string kMyApiV1 =
    "syntax = \"proto3\";\n\npackage myapi;\n\n"
    "message AgentCommand {\n  enum CommandType {\n    START = 0;\n    STOP = 1;\n    RESTART = "
    "2;\n"
    "  }\n  CommandType type = 1;\n  string agent_id = 2;\n}\n\n"
    "message Config {\n  string name = 1;\n}\n";
inline const std::string kMyApiNewField =
    "  int32 timeout = 2;  // New field, old agents ignore it\n";
inline const std::string kMyApiV11 = [] {
  std::string text = kMyApiV1;
  const std::string before = "  string name = 1;\n";
  return text.insert(text.find(before) + before.size(), kMyApiNewField);
}();

}  // namespace spoke::seed

#endif  // SPOKE_TESTS_SEED_SEED_PROTOS_H_
