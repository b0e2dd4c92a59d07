// Breaking-change detection: a table of old schema, new schema, level and the exact rule IDs that
// must be reported (an empty list means the change must not be reported at that level), plus
// locations, options and the level/config parsing.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "spoke/breaking.h"
#include "spoke/schema_image.h"

namespace spoke {
namespace {

using L = BreakingLevel;

const std::string kProto3 = "syntax = \"proto3\";\npackage acme.v1;\n";
const std::string kProto2 = "syntax = \"proto2\";\npackage acme.v1;\n";

// One proto3 file, acme/v1/a.proto, holding `body`.
FileSet P3(const std::string& body) { return {{"acme/v1/a.proto", kProto3 + body}}; }
FileSet P2(const std::string& body) { return {{"acme/v1/a.proto", kProto2 + body}}; }

std::unique_ptr<SchemaImage> Image(const FileSet& files) {
  auto image = SchemaImage::Build(SourcesFromFiles(files));
  EXPECT_TRUE(image.ok()) << image.status().message();
  return image.ok() ? std::move(*image) : nullptr;
}

std::vector<Finding> Breaking(const FileSet& before, const FileSet& after,
                              BreakingOptions options) {
  auto old_image = Image(before);
  auto new_image = Image(after);
  if (!old_image || !new_image) return {};
  return CheckBreaking(*old_image, *new_image, options);
}

struct Case {
  const char* name;
  FileSet before, after;
  BreakingLevel level;
  std::vector<std::string> expected;  // rule IDs, with repeats; order does not matter
};

// gtest prints a failing parameter with this instead of its bytes.
void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

const std::string kMsg = "message M {\n  int32 a = 1;\n  string b = 2;\n}\n";
const std::string kEnum =
    "enum Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n  COLOR_BLUE = 2;\n}\n";
const std::string kService =
    "message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\nmessage ListResponse "
    "{}\n"
    "service Svc {\n  rpc Get(GetRequest) returns (GetResponse);\n  rpc List(ListRequest) returns "
    "(ListResponse);\n}\n";

std::string WithField(const std::string& field) {
  return "message M {\n  " + field + "\n}\nmessage Other {}\n";
}

std::vector<Case> Cases() {
  std::vector<Case> cases = {
      // Additions are never breaking.
      {"AddField_File",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  string b = 2;\n  bool c = 3;\n}\n"),
       L::kFile,
       {}},
      {"AddEnumValue_File",
       P3(kEnum),
       P3(kEnum.substr(0, kEnum.size() - 2) + "  COLOR_GREEN = 3;\n}\n"),
       L::kFile,
       {}},
      {"AddMessage_File", P3(kMsg), P3(kMsg + "message N {}\n"), L::kFile, {}},
      {"AddRpc_File",
       P3(kService),
       P3(kService.substr(0, kService.size() - 2) +
          "  rpc Put(GetRequest) returns (GetResponse);\n}\n"),
       L::kFile,
       {}},
      {"Identical_File", P3(kMsg + kEnum + kService), P3(kMsg + kEnum + kService), L::kFile, {}},
      // Deleted fields, and the reserved escapes of the wire levels.
      {"DeleteField_File",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n}\n"),
       L::kFile,
       {"FIELD_NO_DELETE"}},
      {"DeleteField_Package",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n}\n"),
       L::kPackage,
       {"FIELD_NO_DELETE"}},
      {"DeleteField_WireJson",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n}\n"),
       L::kWireJson,
       {"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_NO_DELETE_UNLESS_NAME_RESERVED"}},
      {"DeleteField_Wire",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n}\n"),
       L::kWire,
       {"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"}},
      {"DeleteFieldReservingNumber_Wire",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  reserved 2;\n}\n"),
       L::kWire,
       {}},
      {"DeleteFieldReservingNumber_WireJson",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  reserved 2;\n}\n"),
       L::kWireJson,
       {"FIELD_NO_DELETE_UNLESS_NAME_RESERVED"}},
      {"DeleteFieldReservingBoth_WireJson",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  reserved 2;\n  reserved \"b\";\n}\n"),
       L::kWireJson,
       {}},
      {"DeleteFieldReservingBoth_File",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  reserved 2;\n  reserved \"b\";\n}\n"),
       L::kFile,
       {"FIELD_NO_DELETE"}},
      // Renames: names matter to generated code and JSON, not to the wire.
      {"RenameField_File",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  string bee = 2;\n}\n"),
       L::kFile,
       {"FIELD_SAME_NAME", "FIELD_SAME_JSON_NAME"}},
      {"RenameField_WireJson",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  string bee = 2;\n}\n"),
       L::kWireJson,
       {"FIELD_SAME_NAME", "FIELD_SAME_JSON_NAME"}},
      {"RenameField_Wire",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  string bee = 2;\n}\n"),
       L::kWire,
       {}},
      {"JsonNameOption_WireJson",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  string b = 2 [json_name = \"x\"];\n}\n"),
       L::kWireJson,
       {"FIELD_SAME_JSON_NAME"}},
      {"JsonNameOption_Wire",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  string b = 2 [json_name = \"x\"];\n}\n"),
       L::kWire,
       {}},
      // Type changes, with protobuf's wire-compatible groups.
      {"Int32ToInt64_Wire",
       P3(WithField("int32 f = 1;")),
       P3(WithField("int64 f = 1;")),
       L::kWire,
       {}},
      {"Int32ToInt64_WireJson",
       P3(WithField("int32 f = 1;")),
       P3(WithField("int64 f = 1;")),
       L::kWireJson,
       {"FIELD_WIRE_JSON_COMPATIBLE_TYPE"}},
      {"Int32ToInt64_File",
       P3(WithField("int32 f = 1;")),
       P3(WithField("int64 f = 1;")),
       L::kFile,
       {"FIELD_SAME_TYPE"}},
      {"Int32ToInt64_Package",
       P3(WithField("int32 f = 1;")),
       P3(WithField("int64 f = 1;")),
       L::kPackage,
       {"FIELD_SAME_TYPE"}},
      {"Int32ToUint32_WireJson",
       P3(WithField("int32 f = 1;")),
       P3(WithField("uint32 f = 1;")),
       L::kWireJson,
       {}},
      {"Uint64ToBool_Wire",
       P3(WithField("uint64 f = 1;")),
       P3(WithField("bool f = 1;")),
       L::kWire,
       {}},
      {"Int32ToSint32_Wire",
       P3(WithField("int32 f = 1;")),
       P3(WithField("sint32 f = 1;")),
       L::kWire,
       {"FIELD_WIRE_COMPATIBLE_TYPE"}},
      {"Fixed32ToSfixed32_Wire",
       P3(WithField("fixed32 f = 1;")),
       P3(WithField("sfixed32 f = 1;")),
       L::kWire,
       {}},
      {"Fixed32ToFixed64_Wire",
       P3(WithField("fixed32 f = 1;")),
       P3(WithField("fixed64 f = 1;")),
       L::kWire,
       {"FIELD_WIRE_COMPATIBLE_TYPE"}},
      {"StringToBytes_Wire",
       P3(WithField("string f = 1;")),
       P3(WithField("bytes f = 1;")),
       L::kWire,
       {}},
      {"BytesToString_Wire",
       P3(WithField("bytes f = 1;")),
       P3(WithField("string f = 1;")),
       L::kWire,
       {"FIELD_WIRE_COMPATIBLE_TYPE"}},
      {"StringToBytes_WireJson",
       P3(WithField("string f = 1;")),
       P3(WithField("bytes f = 1;")),
       L::kWireJson,
       {"FIELD_WIRE_JSON_COMPATIBLE_TYPE"}},
      {"Int64ToDouble_Wire",
       P3(WithField("int64 f = 1;")),
       P3(WithField("double f = 1;")),
       L::kWire,
       {"FIELD_WIRE_COMPATIBLE_TYPE"}},
      {"MessageTypeChange_Wire",
       P3(WithField("Other f = 1;")),
       P3(WithField("M f = 1;")),
       L::kWire,
       {"FIELD_WIRE_COMPATIBLE_TYPE"}},
      {"MessageTypeChange_File",
       P3(WithField("Other f = 1;")),
       P3(WithField("M f = 1;")),
       L::kFile,
       {"FIELD_SAME_TYPE"}},
      {"MessageToBytes_Wire",
       P3(WithField("Other f = 1;")),
       P3(WithField("bytes f = 1;")),
       L::kWire,
       {"FIELD_WIRE_COMPATIBLE_TYPE"}},
      {"MapValueWidened_Wire",
       P3(WithField("map<string, int32> f = 1;")),
       P3(WithField("map<string, int64> f = 1;")),
       L::kWire,
       {}},
      {"MapValueWidened_WireJson",
       P3(WithField("map<string, int32> f = 1;")),
       P3(WithField("map<string, int64> f = 1;")),
       L::kWireJson,
       {"FIELD_WIRE_JSON_COMPATIBLE_TYPE"}},
      {"MapFieldRenamed_Wire",
       P3(WithField("map<string, int32> f = 1;")),
       P3(WithField("map<string, int32> g = 1;")),
       L::kWire,
       {}},
      {"EnumReplacedByOtherEnum_Wire",
       P3(kEnum + "enum Shade {\n  SHADE_UNSPECIFIED = 0;\n}\n" + WithField("Color f = 1;")),
       P3(kEnum + "enum Shade {\n  SHADE_UNSPECIFIED = 0;\n}\n" + WithField("Shade f = 1;")),
       L::kWire,
       {"FIELD_WIRE_COMPATIBLE_TYPE"}},
      {"EnumMovedKeepingValues_Wire",
       P3(kEnum + WithField("Color f = 1;")),
       P3("message Palette {\n  " + kEnum + "}\n" + WithField("Palette.Color f = 1;")),
       L::kWire,
       {}},
      {"EnumMovedKeepingValues_File",
       P3(kEnum + WithField("Color f = 1;")),
       P3("message Palette {\n  " + kEnum + "}\n" + WithField("Palette.Color f = 1;")),
       L::kFile,
       {"ENUM_NO_DELETE", "FIELD_SAME_TYPE"}},
      // A field number reused for something else.
      {"FieldNumberReuse_File",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  int32 c = 2;\n}\n"),
       L::kFile,
       {"FIELD_SAME_NAME", "FIELD_SAME_JSON_NAME", "FIELD_SAME_TYPE"}},
      {"FieldNumberReuse_Wire",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  int32 c = 2;\n}\n"),
       L::kWire,
       {"FIELD_WIRE_COMPATIBLE_TYPE"}},
      {"FieldNumberReuseSameType_Wire",
       P3(kMsg),
       P3("message M {\n  int32 a = 1;\n  string c = 2;\n}\n"),
       L::kWire,
       {}},
      // Cardinality.
      {"SingularToRepeated_File",
       P3(WithField("int32 f = 1;")),
       P3(WithField("repeated int32 f = 1;")),
       L::kFile,
       {"FIELD_SAME_CARDINALITY"}},
      {"SingularToRepeated_Wire",
       P3(WithField("int32 f = 1;")),
       P3(WithField("repeated int32 f = 1;")),
       L::kWire,
       {"FIELD_WIRE_COMPATIBLE_CARDINALITY"}},
      {"Proto3OptionalAdded_File",
       P3(WithField("int32 f = 1;")),
       P3(WithField("optional int32 f = 1;")),
       L::kFile,
       {"FIELD_SAME_CARDINALITY"}},
      {"Proto3OptionalAdded_Wire",
       P3(WithField("int32 f = 1;")),
       P3(WithField("optional int32 f = 1;")),
       L::kWire,
       {}},
      {"OptionalToRequired_Wire",
       P2(WithField("optional int32 f = 1;")),
       P2(WithField("required int32 f = 1;")),
       L::kWire,
       {"FIELD_WIRE_COMPATIBLE_CARDINALITY", "MESSAGE_SAME_REQUIRED_FIELDS"}},
      {"RequiredFieldAdded_Wire",
       P2(WithField("optional int32 f = 1;")),
       P2(WithField("optional int32 f = 1;\n  required int32 g = 2;")),
       L::kWire,
       {"MESSAGE_SAME_REQUIRED_FIELDS"}},
      // Oneofs.
      {"MoveIntoOneof_Wire",
       P3(WithField("Other f = 1;\n  Other g = 2;")),
       P3(WithField("Other f = 1;\n  oneof choice {\n    Other g = 2;\n  }")),
       L::kWire,
       {"FIELD_SAME_ONEOF"}},
      {"MoveOutOfOneof_File",
       P3(WithField("Other f = 1;\n  oneof choice {\n    Other g = 2;\n    Other h = 3;\n  }")),
       P3(WithField("Other f = 1;\n  Other g = 2;\n  oneof choice {\n    Other h = 3;\n  }")),
       L::kFile,
       {"FIELD_SAME_ONEOF"}},
      {"MoveBetweenOneofs_Wire",
       P3(WithField("oneof a {\n    Other f = 1;\n    Other g = 2;\n  }\n  oneof b {\n    Other h "
                    "= 3;\n  }")),
       P3(WithField("oneof a {\n    Other f = 1;\n  }\n  oneof b {\n    Other g = 2;\n    Other h "
                    "= 3;\n  }")),
       L::kWire,
       {"FIELD_SAME_ONEOF"}},
      {"DeleteOneof_File",
       P3(WithField("oneof choice {\n    Other f = 1;\n    Other g = 2;\n  }")),
       P3(WithField("Other f = 1;\n  Other g = 2;")),
       L::kFile,
       {"ONEOF_NO_DELETE", "FIELD_SAME_ONEOF", "FIELD_SAME_ONEOF"}},
      // Messages, enums and services deleted, per file and per package.
      {"DeleteMessage_File",
       P3(kMsg + "message N {}\n"),
       P3(kMsg),
       L::kFile,
       {"MESSAGE_NO_DELETE"}},
      {"DeleteMessage_Package",
       P3(kMsg + "message N {}\n"),
       P3(kMsg),
       L::kPackage,
       {"PACKAGE_MESSAGE_NO_DELETE"}},
      {"DeleteMessage_WireJson", P3(kMsg + "message N {}\n"), P3(kMsg), L::kWireJson, {}},
      {"DeleteMessage_Wire", P3(kMsg + "message N {}\n"), P3(kMsg), L::kWire, {}},
      {"DeleteMessageWithNested_File",
       P3(kMsg + "message N {\n  message Inner {}\n  enum E {\n    E_UNSPECIFIED = 0;\n  }\n}\n"),
       P3(kMsg),
       L::kFile,
       {"MESSAGE_NO_DELETE"}},
      {"DeleteNestedMessage_File",
       P3("message N {\n  message Inner {}\n}\n"),
       P3("message N {}\n"),
       L::kFile,
       {"MESSAGE_NO_DELETE"}},
      {"RenameMessage_File",
       P3(kMsg),
       P3("message Renamed {\n  int32 a = 1;\n  string b = 2;\n}\n"),
       L::kFile,
       {"MESSAGE_NO_DELETE"}},
      {"DeleteEnum_File", P3(kMsg + kEnum), P3(kMsg), L::kFile, {"ENUM_NO_DELETE"}},
      {"DeleteEnum_Package", P3(kMsg + kEnum), P3(kMsg), L::kPackage, {"PACKAGE_ENUM_NO_DELETE"}},
      {"DeleteNestedEnum_Package",
       P3("message N {\n  enum E {\n    E_UNSPECIFIED = 0;\n  }\n}\n"),
       P3("message N {}\n"),
       L::kPackage,
       {"PACKAGE_ENUM_NO_DELETE"}},
      {"DeleteService_File",
       P3(kService),
       P3("message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\n"
          "message ListResponse {}\n"),
       L::kFile,
       {"SERVICE_NO_DELETE"}},
      {"DeleteService_Package",
       P3(kService),
       P3("message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\n"
          "message ListResponse {}\n"),
       L::kPackage,
       {"PACKAGE_SERVICE_NO_DELETE"}},
      // Enum values.
      {"DeleteEnumValue_File",
       P3(kEnum),
       P3("enum Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n}\n"),
       L::kFile,
       {"ENUM_VALUE_NO_DELETE"}},
      {"DeleteEnumValue_WireJson",
       P3(kEnum),
       P3("enum Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n}\n"),
       L::kWireJson,
       {"ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
        "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED"}},
      {"DeleteEnumValueReservingNumber_Wire",
       P3(kEnum),
       P3("enum Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n  reserved 2;\n}\n"),
       L::kWire,
       {}},
      {"RenameEnumValue_WireJson",
       P3(kEnum),
       P3("enum Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n  COLOR_AZURE = 2;\n}\n"),
       L::kWireJson,
       {"ENUM_VALUE_SAME_NAME"}},
      {"RenameEnumValue_Wire",
       P3(kEnum),
       P3("enum Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n  COLOR_AZURE = 2;\n}\n"),
       L::kWire,
       {}},
      {"AddEnumValueAlias_File",
       P3(kEnum),
       P3("enum Color {\n  option allow_alias = true;\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = "
          "1;\n  COLOR_BLUE = 2;\n"
          "  COLOR_AZURE = 2;\n}\n"),
       L::kFile,
       {}},
      // RPCs.
      {"DeleteRpc_File",
       P3(kService),
       P3("message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\nmessage "
          "ListResponse {}\n"
          "service Svc {\n  rpc Get(GetRequest) returns (GetResponse);\n}\n"),
       L::kFile,
       {"RPC_NO_DELETE"}},
      {"DeleteRpc_Wire",
       P3(kService),
       P3("message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\nmessage "
          "ListResponse {}\n"
          "service Svc {\n  rpc Get(GetRequest) returns (GetResponse);\n}\n"),
       L::kWire,
       {}},
      {"RenameRpc_Package",
       P3(kService),
       P3("message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\nmessage "
          "ListResponse {}\n"
          "service Svc {\n  rpc Get(GetRequest) returns (GetResponse);\n  rpc ListAll(ListRequest) "
          "returns (ListResponse);\n}\n"),
       L::kPackage,
       {"RPC_NO_DELETE"}},
      {"RpcRequestType_Wire",
       P3(kService),
       P3("message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\nmessage "
          "ListResponse {}\n"
          "service Svc {\n  rpc Get(ListRequest) returns (GetResponse);\n  rpc List(ListRequest) "
          "returns (ListResponse);\n}\n"),
       L::kWire,
       {"RPC_SAME_REQUEST_TYPE"}},
      {"RpcResponseType_File",
       P3(kService),
       P3("message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\nmessage "
          "ListResponse {}\n"
          "service Svc {\n  rpc Get(GetRequest) returns (ListResponse);\n  rpc List(ListRequest) "
          "returns (ListResponse);\n}\n"),
       L::kFile,
       {"RPC_SAME_RESPONSE_TYPE"}},
      {"RpcClientStreaming_Wire",
       P3(kService),
       P3("message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\nmessage "
          "ListResponse {}\n"
          "service Svc {\n  rpc Get(stream GetRequest) returns (GetResponse);\n  rpc "
          "List(ListRequest) returns (ListResponse);\n}\n"),
       L::kWire,
       {"RPC_SAME_CLIENT_STREAMING"}},
      {"RpcServerStreaming_WireJson",
       P3(kService),
       P3("message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\nmessage "
          "ListResponse {}\n"
          "service Svc {\n  rpc Get(GetRequest) returns (GetResponse);\n  rpc List(ListRequest) "
          "returns (stream ListResponse);\n}\n"),
       L::kWireJson,
       {"RPC_SAME_SERVER_STREAMING"}},
      {"RpcIdempotency_File",
       P3(kService),
       P3("message GetRequest {}\nmessage GetResponse {}\nmessage ListRequest {}\nmessage "
          "ListResponse {}\n"
          "service Svc {\n  rpc Get(GetRequest) returns (GetResponse) {\n    option "
          "idempotency_level = NO_SIDE_EFFECTS;\n  }\n"
          "  rpc List(ListRequest) returns (ListResponse);\n}\n"),
       L::kFile,
       {"RPC_SAME_IDEMPOTENCY_LEVEL"}},
      // Reserved ranges and names.
      {"ReservedRangeRemoved_Wire",
       P3("message M {\n  reserved 5 to 9;\n}\n"),
       P3("message M {\n  reserved 5 to 8;\n}\n"),
       L::kWire,
       {"RESERVED_MESSAGE_NO_DELETE"}},
      {"ReservedNameRemoved_Wire",
       P3("message M {\n  reserved \"old\";\n}\n"),
       P3("message M {}\n"),
       L::kWire,
       {"RESERVED_MESSAGE_NO_DELETE"}},
      {"ReservedRangesMerged_File",
       P3("message M {\n  reserved 2, 3, 7 to 9;\n}\n"),
       P3("message M {\n  reserved 2 to 3;\n  reserved 7, 8 to 9;\n}\n"),
       L::kFile,
       {}},
      {"EnumReservedRemoved_WireJson",
       P3("enum E {\n  E_UNSPECIFIED = 0;\n  reserved 3;\n  reserved \"E_OLD\";\n}\n"),
       P3("enum E {\n  E_UNSPECIFIED = 0;\n}\n"),
       L::kWireJson,
       {"RESERVED_ENUM_NO_DELETE", "RESERVED_ENUM_NO_DELETE"}},
      {"ExtensionRangeRemoved_File",
       P2("message M {\n  extensions 100 to 199;\n}\n"),
       P2("message M {}\n"),
       L::kFile,
       {"EXTENSION_MESSAGE_NO_DELETE"}},
      // Packages and files.
      {"PackageChanged_File",
       P3(kMsg),
       {{"acme/v1/a.proto", "syntax = \"proto3\";\npackage acme.v2;\n" + kMsg}},
       L::kFile,
       {"FILE_SAME_PACKAGE"}},
      {"PackageChanged_Package",
       P3(kMsg),
       {{"acme/v1/a.proto", "syntax = \"proto3\";\npackage acme.v2;\n" + kMsg}},
       L::kPackage,
       {"FILE_SAME_PACKAGE", "PACKAGE_NO_DELETE"}},
      {"PackageChanged_Wire",
       P3(kMsg),
       {{"acme/v1/a.proto", "syntax = \"proto3\";\npackage acme.v2;\n" + kMsg}},
       L::kWire,
       {"FILE_SAME_PACKAGE"}},
      {"FileDeleted_File",
       {{"acme/v1/a.proto", kProto3 + kMsg}, {"acme/v1/b.proto", kProto3 + "message N {}\n"}},
       P3(kMsg),
       L::kFile,
       {"FILE_NO_DELETE"}},
      {"FileDeleted_Package",
       {{"acme/v1/a.proto", kProto3 + kMsg}, {"acme/v1/b.proto", kProto3 + "message N {}\n"}},
       P3(kMsg),
       L::kPackage,
       {"PACKAGE_MESSAGE_NO_DELETE"}},
      {"MessageMovedToOtherFile_File",
       P3(kMsg + "message N {}\n"),
       {{"acme/v1/a.proto", kProto3 + kMsg}, {"acme/v1/b.proto", kProto3 + "message N {}\n"}},
       L::kFile,
       {"MESSAGE_NO_DELETE"}},
      {"MessageMovedToOtherFile_Package",
       P3(kMsg + "message N {}\n"),
       {{"acme/v1/a.proto", kProto3 + kMsg}, {"acme/v1/b.proto", kProto3 + "message N {}\n"}},
       L::kPackage,
       {}},
      {"GoPackageChanged_File",
       P3("option go_package = \"a/b\";\n" + kMsg),
       P3("option go_package = \"a/c\";\n" + kMsg),
       L::kFile,
       {"FILE_SAME_GO_PACKAGE"}},
      {"GoPackageChanged_WireJson",
       P3("option go_package = \"a/b\";\n" + kMsg),
       P3("option go_package = \"a/c\";\n" + kMsg),
       L::kWireJson,
       {}},
      {"JavaMultipleFiles_Package",
       P3(kMsg),
       P3("option java_multiple_files = true;\n" + kMsg),
       L::kPackage,
       {"FILE_SAME_JAVA_MULTIPLE_FILES"}},
      {"SyntaxChanged_File",
       P2("message M {\n  optional Other o = 1;\n}\nmessage Other {}\n"),
       P3("message M {\n  Other o = 1;\n}\nmessage Other {}\n"),
       L::kFile,
       {"FILE_SAME_SYNTAX"}},
      {"EnumOpenToClosed_Package",
       P3(kEnum),
       P2(kEnum),
       L::kPackage,
       {"FILE_SAME_SYNTAX", "ENUM_SAME_TYPE", "ENUM_SAME_JSON_FORMAT"}},
      // Options and defaults on fields and messages.
      {"DefaultChanged_Wire",
       P2(WithField("optional int32 f = 1 [default = 5];")),
       P2(WithField("optional int32 f = 1 [default = 6];")),
       L::kWire,
       {"FIELD_SAME_DEFAULT"}},
      {"DefaultKeptAcrossWidening_Wire",
       P2(WithField("optional int32 f = 1 [default = 5];")),
       P2(WithField("optional int64 f = 1 [default = 5];")),
       L::kWire,
       {}},
      {"JstypeChanged_File",
       P3(WithField("int64 f = 1;")),
       P3(WithField("int64 f = 1 [jstype = JS_STRING];")),
       L::kFile,
       {"FIELD_SAME_JSTYPE"}},
      {"CtypeChanged_Package",
       P2(WithField("optional string f = 1;")),
       P2(WithField("optional string f = 1 [ctype = CORD];")),
       L::kPackage,
       {"FIELD_SAME_CPP_STRING_TYPE"}},
      {"NoStandardDescriptorAccessor_File",
       P3(kMsg),
       P3("message M {\n  option no_standard_descriptor_accessor = true;\n  int32 a = 1;\n  string "
          "b = 2;\n}\n"),
       L::kFile,
       {"MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR"}},
      {"ExtensionTypeChanged_File",
       P2("message M {\n  extensions 100 to 199;\n}\nextend M {\n  optional int32 x = 100;\n}\n"),
       P2("message M {\n  extensions 100 to 199;\n}\nextend M {\n  optional string x = 100;\n}\n"),
       L::kFile,
       {"FIELD_SAME_TYPE"}},
      // JSON support: a proto3 message or enum moved to proto2 loses it (ALLOW ->
      // LEGACY_BEST_EFFORT); the other way round gains it.
      {"MessageAndEnumToProto2_WireJson",
       P3(kMsg + kEnum),
       P2("message M {\n  optional int32 a = 1;\n  optional string b = 2;\n}\n" + kEnum),
       L::kWireJson,
       {"MESSAGE_SAME_JSON_FORMAT", "ENUM_SAME_JSON_FORMAT"}},
      {"MessageAndEnumToProto2_Wire",
       P3(kMsg + kEnum),
       P2("message M {\n  optional int32 a = 1;\n  optional string b = 2;\n}\n" + kEnum),
       L::kWire,
       {}},
      {"MessageAndEnumToProto3_WireJson",
       P2("message M {\n  optional int32 a = 1;\n}\n" + kEnum),
       P3("message M {\n  optional int32 a = 1;\n}\n" + kEnum),
       L::kWireJson,
       {}},
      // Extensions deleted from a file.
      {"ExtensionDeleted_File",
       P2("message M {\n  extensions 10 to 20;\n}\nextend M {\n  optional int32 x = 10;\n}\n"),
       P2("message M {\n  extensions 10 to 20;\n}\n"),
       L::kFile,
       {"EXTENSION_NO_DELETE"}},
      {"ExtensionDeleted_WireJson",
       P2("message M {\n  extensions 10 to 20;\n}\nextend M {\n  optional int32 x = 10;\n}\n"),
       P2("message M {\n  extensions 10 to 20;\n}\n"),
       L::kWireJson,
       {}},
      // Extensions are named by their scope, and always have explicit presence.
      {"ExtensionMovedIntoMessage_WireJson",
       P2("message M {\n  extensions 10 to 20;\n}\nextend M {\n  optional int32 x = 10;\n}\n"
          "message H {}\n"),
       P2("message M {\n  extensions 10 to 20;\n}\nmessage H {\n  extend M {\n    optional int32 "
          "x = 10;\n  }\n}\n"),
       L::kWireJson,
       {"FIELD_SAME_NAME"}},
      {"ExtensionMovedIntoMessage_File",
       P2("message M {\n  extensions 10 to 20;\n}\nextend M {\n  optional int32 x = 10;\n}\n"
          "message H {}\n"),
       P2("message M {\n  extensions 10 to 20;\n}\nmessage H {\n  extend M {\n    optional int32 "
          "x = 10;\n  }\n}\n"),
       L::kFile,
       {"EXTENSION_NO_DELETE", "FIELD_SAME_NAME"}},
      {"Proto3ExtensionMovedToProto2_File",
       P3("import \"google/protobuf/descriptor.proto\";\nextend google.protobuf.MessageOptions {\n"
          "  int32 x = 50001;\n}\n"),
       P2("import \"google/protobuf/descriptor.proto\";\nextend google.protobuf.MessageOptions {\n"
          "  optional int32 x = 50001;\n}\n"),
       L::kFile,
       {"FILE_SAME_SYNTAX"}},
      // C++ string types (option ctype).
      {"CtypeCordToString_File",
       P2(WithField("optional string f = 1 [ctype = CORD];")),
       P2(WithField("optional string f = 1;")),
       L::kFile,
       {"FIELD_SAME_CPP_STRING_TYPE"}},
      {"CtypeStringPieceToString_File",
       P2(WithField("optional bytes f = 1 [ctype = STRING_PIECE];")),
       P2(WithField("optional bytes f = 1;")),
       L::kFile,
       {}},
      {"CtypeChanged_WireJson",
       P2(WithField("optional string f = 1;")),
       P2(WithField("optional string f = 1 [ctype = CORD];")),
       L::kWireJson,
       {}},
      // UTF-8 validation: proto3 strings are verified, proto2 ones only by Java when asked.
      {"JavaStringCheckUtf8InProto2_File",
       P2(WithField("optional string f = 1;\n  optional int32 g = 2;")),
       P2("option java_string_check_utf8 = true;\n" +
          WithField("optional string f = 1;\n  optional int32 g = 2;")),
       L::kFile,
       {"FIELD_SAME_JAVA_UTF8_VALIDATION"}},
      {"JavaStringCheckUtf8InProto3_File",
       P3(WithField("string f = 1;")),
       P3("option java_string_check_utf8 = true;\n" + WithField("string f = 1;")),
       L::kFile,
       {}},
      {"StringsProto2ToProto3_File",
       P2(WithField(
           "optional string f = 1;\n  map<string, string> m = 2;\n  map<int32, bytes> n = 3;")),
       P3(WithField(
           "optional string f = 1;\n  map<string, string> m = 2;\n  map<int32, bytes> n = 3;")),
       L::kFile,
       {"FILE_SAME_SYNTAX", "FIELD_SAME_UTF8_VALIDATION", "FIELD_SAME_UTF8_VALIDATION",
        "FIELD_SAME_UTF8_VALIDATION", "FIELD_SAME_JAVA_UTF8_VALIDATION",
        "FIELD_SAME_JAVA_UTF8_VALIDATION", "FIELD_SAME_JAVA_UTF8_VALIDATION"}},
      {"StringsProto2ToProto3_WireJson",
       P2(WithField("optional string f = 1;")),
       P3(WithField("optional string f = 1;")),
       L::kWireJson,
       {}},
      // A map spelled out as its repeated entry message changes cardinality only.
      {"MapRewrittenAsEntryMessage_File",
       P3(WithField("map<string, int32> f = 1;")),
       P3(WithField("repeated FEntry f = 1;\n  message FEntry {\n    string key = 1;\n    int32 "
                    "value = 2;\n  }")),
       L::kFile,
       {"FIELD_SAME_CARDINALITY"}},
      {"MapRewrittenAsEntryMessage_WireJson",
       P3(WithField("map<string, int32> f = 1;")),
       P3(WithField("repeated FEntry f = 1;\n  message FEntry {\n    string key = 1;\n    int32 "
                    "value = 2;\n  }")),
       L::kWireJson,
       {"FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"}},
      {"MapRewrittenAsEntryMessage_Wire",
       P3(WithField("map<string, int32> f = 1;")),
       P3(WithField("repeated FEntry f = 1;\n  message FEntry {\n    string key = 1;\n    int32 "
                    "value = 2;\n  }")),
       L::kWire,
       {}},
      {"MapRewrittenAsOtherMessage_File",
       P3(WithField("map<string, int32> f = 1;")),
       P3(WithField("repeated Other f = 1;")),
       L::kFile,
       {"FIELD_SAME_CARDINALITY", "FIELD_SAME_TYPE"}},
      // Aliased enum values: one finding per line that carries the renamed number.
      {"AliasedEnumValueRenamed_File",
       P3("enum E {\n  option allow_alias = true;\n  E_UNSPECIFIED = 0;\n  E_A = 1;\n  E_B = "
          "1;\n}\n"),
       P3("enum E {\n  option allow_alias = true;\n  E_UNSPECIFIED = 0;\n  E_C = 1;\n  E_D = 1;\n"
          "  E_E = 1;\n}\n"),
       L::kFile,
       {"ENUM_VALUE_SAME_NAME", "ENUM_VALUE_SAME_NAME", "ENUM_VALUE_SAME_NAME"}},
  };
  return cases;
}

class BreakingTable : public ::testing::TestWithParam<Case> {};

TEST_P(BreakingTable, ReportsExactlyTheExpectedRules) {
  const Case& c = GetParam();
  BreakingOptions options;
  options.level = c.level;
  std::vector<Finding> findings = Breaking(c.before, c.after, options);
  std::vector<std::string> got;
  for (const auto& f : findings) got.push_back(f.rule);
  std::vector<std::string> want = c.expected;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want) << "level " << BreakingLevelName(c.level) << "; findings:\n"
                       << FormatFindings(findings);
  for (const auto& f : findings) {
    EXPECT_FALSE(f.message.empty());
    EXPECT_FALSE(f.file.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, BreakingTable, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(BreakingTableSize, HasAtLeastSixtyCasesIncludingOnesThatMustNotBeReported) {
  auto cases = Cases();
  size_t silent =
      std::count_if(cases.begin(), cases.end(), [](const Case& c) { return c.expected.empty(); });
  EXPECT_GE(cases.size(), 60u);
  EXPECT_GE(silent, 15u);
}

TEST(Breaking, DeletionPointsAtWhereTheElementWasInThePreviousVersion) {
  BreakingOptions options;
  auto findings = Breaking(P3(kMsg), P3("message M {\n  int32 a = 1;\n}\n"), options);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].file, "acme/v1/a.proto");
  EXPECT_EQ(findings[0].line, 5);  // "  string b = 2;" in the old file
  EXPECT_EQ(findings[0].column, 3);
  EXPECT_TRUE(findings[0].in_previous);
  EXPECT_EQ(FormatFinding(findings[0]),
            "acme/v1/a.proto:5:3: Previously present field \"2\" with name \"b\" on message \"M\" "
            "was deleted. "
            "(FIELD_NO_DELETE)");
}

TEST(Breaking, DeletionAlsoShowsWhereBufPutsItInTheNewVersion) {
  BreakingOptions options;
  // A field: at the message that lost it.
  auto field = Breaking(P3(kMsg), P3("\nmessage M {\n  int32 a = 1;\n}\n"), options);
  ASSERT_EQ(field.size(), 1u);
  EXPECT_EQ(field[0].new_file, "acme/v1/a.proto");
  EXPECT_EQ(field[0].new_line, 4);
  EXPECT_EQ(field[0].new_column, 1);
  Json json = FindingToJson(field[0]);
  ASSERT_NE(json.Get("in_new"), nullptr);
  EXPECT_EQ(json.Get("in_new")->Get("line")->as_int(), 4);
  // A top-level message: the file's line 1; a nested one: the message still holding it.
  auto messages = Breaking(P3("message N {\n  message Inner {}\n}\nmessage Gone {}\n"),
                           P3("message N {}\n"), options);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].new_line, 3);  // N, for N.Inner
  EXPECT_EQ(messages[1].new_line, 1);  // the file, for Gone
  EXPECT_EQ(messages[1].new_column, 1);
  // A deleted file shows nowhere in the new version.
  auto file = Breaking({{"acme/v1/a.proto", kProto3 + kMsg}, {"acme/v1/b.proto", kProto3}},
                       P3(kMsg), options);
  ASSERT_EQ(file.size(), 1u);
  EXPECT_EQ(file[0].new_line, 0);
  EXPECT_EQ(FindingToJson(file[0]).Get("in_new"), nullptr);
}

TEST(Breaking, ChangePointsAtTheTypeInTheNewVersion) {
  BreakingOptions options;
  auto findings =
      Breaking(P3(WithField("int32 f = 1;")), P3(WithField("\n  string f = 1;")), options);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "FIELD_SAME_TYPE");
  EXPECT_EQ(findings[0].line, 5);
  EXPECT_EQ(findings[0].column, 3);
  EXPECT_FALSE(findings[0].in_previous);
  EXPECT_NE(findings[0].message.find("from \"int32\" to \"string\""), std::string::npos)
      << findings[0].message;
}

TEST(Breaking, ExceptTurnsOneRuleOff) {
  BreakingOptions options;
  options.except = {"FIELD_SAME_JSON_NAME"};
  auto findings =
      Breaking(P3(kMsg), P3("message M {\n  int32 a = 1;\n  string bee = 2;\n}\n"), options);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "FIELD_SAME_NAME");
}

TEST(Breaking, IgnoreDropsFindingsUnderAPath) {
  FileSet before = {{"acme/v1/a.proto", kProto3 + kMsg},
                    {"legacy/b.proto", "syntax = \"proto3\";\nmessage N {}\n"}};
  FileSet after = {{"acme/v1/a.proto", kProto3 + kMsg}};
  BreakingOptions options;
  EXPECT_EQ(Breaking(before, after, options).size(), 1u);
  options.ignore = {"legacy"};
  EXPECT_TRUE(Breaking(before, after, options).empty());
}

TEST(Breaking, LevelsParseInAnyCaseAndUnknownOnesAreRefused) {
  EXPECT_EQ(*ParseBreakingLevel("wire_json"), BreakingLevel::kWireJson);
  EXPECT_EQ(*ParseBreakingLevel("FILE"), BreakingLevel::kFile);
  auto bad = ParseBreakingLevel("SOURCE");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("WIRE_JSON"), std::string::npos);
}

TEST(Breaking, EveryRuleBelongsToALevelAndWireIsTheMostLenient) {
  size_t file = 0, wire = 0;
  for (const auto& rule : BreakingRules()) {
    EXPECT_NE(rule.levels.empty(), !rule.deprecated) << rule.id;
    file += std::count(rule.levels.begin(), rule.levels.end(), BreakingLevel::kFile);
    wire += std::count(rule.levels.begin(), rule.levels.end(), BreakingLevel::kWire);
  }
  EXPECT_GT(file, wire);
}

TEST(Breaking, ConfigReadsLevelExceptAndIgnoreAndRefusesUnknownRules) {
  auto config = ParseModuleConfig(
      "breaking:\n  level: wire\n  except:\n    - FIELD_SAME_DEFAULT\n  ignore:\n    - old/\n",
      "spoke.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  auto options = BreakingOptionsFromConfig(*config);
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->level, BreakingLevel::kWire);
  EXPECT_EQ(options->except, std::vector<std::string>{"FIELD_SAME_DEFAULT"});
  EXPECT_EQ(options->ignore, std::vector<std::string>{"old/"});
  auto bad = ParseModuleConfig("breaking:\n  except:\n    - NOT_A_RULE\n", "spoke.yaml");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(BreakingOptionsFromConfig(*bad).ok());
  auto unknown_key = ParseModuleConfig("breaking:\n  levle: FILE\n", "spoke.yaml");
  ASSERT_TRUE(unknown_key.ok());
  EXPECT_FALSE(BreakingOptionsFromConfig(*unknown_key).ok());
}

std::vector<std::string> RulesOf(const std::vector<Finding>& findings) {
  std::vector<std::string> rules;
  for (const auto& f : findings) rules.push_back(f.rule);
  std::sort(rules.begin(), rules.end());
  return rules;
}

std::vector<std::string> LinesOf(const std::vector<Finding>& findings) {
  std::vector<std::string> lines;
  for (const auto& f : findings) {
    lines.push_back(f.rule + " " + std::to_string(f.line) + ":" + std::to_string(f.column));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(Breaking, UseMixesLevelsAndSingleRules) {
  BreakingOptions options;
  options.use = {"WIRE", "FIELD_SAME_NAME"};
  auto renamed =
      Breaking(P3(kMsg), P3("message M {\n  int32 a = 1;\n  string bee = 2;\n}\n"), options);
  EXPECT_EQ(RulesOf(renamed), std::vector<std::string>{"FIELD_SAME_NAME"});
  auto retyped = Breaking(P3(WithField("int32 f = 1;")), P3(WithField("sint32 f = 1;")), options);
  EXPECT_EQ(RulesOf(retyped), std::vector<std::string>{"FIELD_WIRE_COMPATIBLE_TYPE"});
  options.except = {"WIRE"};  // a level left out leaves the single rule
  EXPECT_EQ(RulesOf(Breaking(P3(kMsg), P3("message M {\n  int32 a = 1;\n  string bee = 2;\n}\n"),
                             options)),
            std::vector<std::string>{"FIELD_SAME_NAME"});
  EXPECT_TRUE(
      Breaking(P3(WithField("int32 f = 1;")), P3(WithField("sint32 f = 1;")), options).empty());
  options.except = {};
  options.use = {"FIELD_SAME_JSON_NAME"};
  EXPECT_EQ(
      RulesOf(Breaking(P3(WithField("int32 f = 1;")), P3(WithField("sint32 f = 1;")), options)),
      std::vector<std::string>{});
}

TEST(Breaking, DeprecatedIdsStandForTheRulesThatReplacedThem) {
  FileSet before = P2(WithField("optional string f = 1;"));
  FileSet after = P2(WithField("optional string f = 1 [ctype = CORD];"));
  BreakingOptions options;
  options.use = {"FIELD_SAME_CTYPE"};
  EXPECT_EQ(RulesOf(Breaking(before, after, options)),
            std::vector<std::string>{"FIELD_SAME_CPP_STRING_TYPE"});
  options.use = {};
  options.except = {"FIELD_SAME_CTYPE"};
  EXPECT_TRUE(Breaking(before, after, options).empty());

  options = BreakingOptions();
  options.use = {"FIELD_SAME_LABEL"};
  EXPECT_EQ(RulesOf(Breaking(P3(WithField("int32 f = 1;")), P3(WithField("repeated int32 f = 1;")),
                             options)),
            (std::vector<std::string>{"FIELD_SAME_CARDINALITY", "FIELD_WIRE_COMPATIBLE_CARDINALITY",
                                      "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"}));
  options.use = {"FILE_SAME_JAVA_STRING_CHECK_UTF8"};
  EXPECT_EQ(RulesOf(Breaking(
                before,
                P2("option java_string_check_utf8 = true;\n" + WithField("optional string f = 1;")),
                options)),
            std::vector<std::string>{"FIELD_SAME_JAVA_UTF8_VALIDATION"});
}

TEST(Breaking, DeprecatedRulesBelongToNoLevelButRunWhenUsed) {
  FileSet before = P3(kMsg);
  FileSet after = P3("option php_generic_services = true;\n" + kMsg);
  BreakingOptions options;
  EXPECT_TRUE(Breaking(before, after, options).empty());
  options.use = {"FILE_SAME_PHP_GENERIC_SERVICES"};
  EXPECT_EQ(RulesOf(Breaking(before, after, options)),
            std::vector<std::string>{"FILE_SAME_PHP_GENERIC_SERVICES"});
  bool label_listed = false;
  for (const auto& rule : BreakingRules()) {
    if (rule.id != "FIELD_SAME_LABEL") continue;
    label_listed = true;
    EXPECT_TRUE(rule.deprecated);
    EXPECT_TRUE(rule.levels.empty());
    EXPECT_EQ(rule.replaced_by.size(), 3u);
  }
  EXPECT_TRUE(label_listed);
  EXPECT_TRUE(IsBreakingRuleId("MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT"));
  EXPECT_FALSE(IsBreakingRuleId("FIELD_SAME_LABELS"));
  options = BreakingOptions();
  EXPECT_FALSE(BreakingRuleEnabled(options, "FIELD_SAME_LABEL"));  // WIRE's half is off at FILE
  EXPECT_TRUE(BreakingRuleEnabled(options, "FIELD_SAME_CTYPE"));
}

TEST(Breaking, UnstablePackagesAreTheOnesWithAlphaBetaOrTestVersions) {
  for (const char* unstable : {"acme.v1alpha", "acme.v1alpha1", "acme.v2beta3", "acme.v1p1beta1",
                               "acme.v1test", "acme.v1testfoo", "v1beta1"}) {
    EXPECT_TRUE(IsUnstablePackage(unstable)) << unstable;
  }
  for (const char* stable : {"acme.v1", "acme", "", "acme.v1p1", "acme.alpha", "acme.v0alpha1x",
                             "acme.v1beta0", "acme.v01alpha"}) {
    EXPECT_FALSE(IsUnstablePackage(stable)) << stable;
  }
}

TEST(Breaking, IgnoreUnstablePackagesDropsTheirFindingsOnly) {
  FileSet before = {
      {"acme/v1beta1/a.proto", "syntax = \"proto3\";\npackage acme.v1beta1;\n" + kMsg},
      {"acme/v1/b.proto", kProto3 + kMsg}};
  FileSet after = {{"acme/v1beta1/a.proto", "syntax = \"proto3\";\npackage acme.v1beta1;\n"},
                   {"acme/v1/b.proto", kProto3}};
  BreakingOptions options;
  EXPECT_EQ(Breaking(before, after, options).size(), 2u);
  options.ignore_unstable_packages = true;
  auto findings = Breaking(before, after, options);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].file, "acme/v1/b.proto");
}

TEST(Breaking, NestedDeletionsAreReportedOnlyWhenAsked) {
  FileSet before =
      P2("message N {\n  message Inner {\n    message Deeper {}\n  }\n  enum E {\n    "
         "E_UNSPECIFIED = 0;\n  }\n  extend Other {\n    optional int32 x = 10;\n  }\n}\n"
         "message Other {\n  extensions 10 to 20;\n}\n");
  FileSet after = P2("message Other {\n  extensions 10 to 20;\n}\n");
  BreakingOptions options;
  EXPECT_EQ(RulesOf(Breaking(before, after, options)),
            std::vector<std::string>{"MESSAGE_NO_DELETE"});
  options.report_nested_deletions = true;
  EXPECT_EQ(RulesOf(Breaking(before, after, options)),
            (std::vector<std::string>{"ENUM_NO_DELETE", "EXTENSION_NO_DELETE", "MESSAGE_NO_DELETE",
                                      "MESSAGE_NO_DELETE", "MESSAGE_NO_DELETE"}));
  options.level = BreakingLevel::kPackage;
  EXPECT_EQ(RulesOf(Breaking(before, after, options)),
            (std::vector<std::string>{"PACKAGE_ENUM_NO_DELETE", "PACKAGE_EXTENSION_NO_DELETE",
                                      "PACKAGE_MESSAGE_NO_DELETE", "PACKAGE_MESSAGE_NO_DELETE",
                                      "PACKAGE_MESSAGE_NO_DELETE"}));
}

TEST(Breaking, NewRulesPointWhereBufDoes) {
  BreakingOptions options;
  // Each alias line, at its number.
  auto aliases = Breaking(P3("enum E {\n  option allow_alias = true;\n  E_UNSPECIFIED = 0;\n  E_A "
                             "= 1;\n  E_B = 1;\n}\n"),
                          P3("enum E {\n  option allow_alias = true;\n  E_UNSPECIFIED = 0;\n  E_C "
                             "= 1;\n  E_D = 1;\n}\n"),
                          options);
  EXPECT_EQ(LinesOf(aliases),
            (std::vector<std::string>{"ENUM_VALUE_SAME_NAME 6:9", "ENUM_VALUE_SAME_NAME 7:9"}));
  // The ctype option; the file option java_string_check_utf8 when the new version sets it.
  auto ctype = Breaking(P2(WithField("optional string f = 1;")),
                        P2(WithField("optional string f = 1 [ctype = CORD];")), options);
  EXPECT_EQ(LinesOf(ctype), std::vector<std::string>{"FIELD_SAME_CPP_STRING_TYPE 4:26"});
  auto java = Breaking(
      P2(WithField("optional string f = 1;")),
      P2("option java_string_check_utf8 = true;\n" + WithField("optional string f = 1;")), options);
  EXPECT_EQ(LinesOf(java), std::vector<std::string>{"FIELD_SAME_JAVA_UTF8_VALIDATION 3:1"});
  // Messages and enums losing JSON support, at their declarations.
  options.level = BreakingLevel::kWireJson;
  auto json = Breaking(P3("message M {\n  message N {}\n}\n" + kEnum),
                       P2("message M {\n  message N {}\n}\n" + kEnum), options);
  EXPECT_EQ(LinesOf(json),
            (std::vector<std::string>{"ENUM_SAME_JSON_FORMAT 6:1", "MESSAGE_SAME_JSON_FORMAT 3:1",
                                      "MESSAGE_SAME_JSON_FORMAT 4:3"}));
}

TEST(Breaking, ConfigReadsUseUnstablePackagesAndNestedDeletions) {
  auto config = ParseModuleConfig(
      "breaking:\n  use:\n    - wire\n    - FIELD_SAME_NAME\n    - FIELD_SAME_LABEL\n"
      "  ignore_unstable_packages: true\n  report_nested_deletions: true\n",
      "spoke.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  auto options = BreakingOptionsFromConfig(*config);
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->use,
            (std::vector<std::string>{"wire", "FIELD_SAME_NAME", "FIELD_SAME_LABEL"}));
  EXPECT_TRUE(options->ignore_unstable_packages);
  EXPECT_TRUE(options->report_nested_deletions);
  for (const char* bad :
       {"breaking:\n  use:\n    - SOURCE\n", "breaking:\n  level: WIRE\n  use:\n    - FILE\n",
        "breaking:\n  report_nested_deletions: yes\n"}) {
    auto parsed = ParseModuleConfig(bad, "spoke.yaml");
    ASSERT_TRUE(parsed.ok()) << bad;
    EXPECT_FALSE(BreakingOptionsFromConfig(*parsed).ok()) << bad;
  }
  auto defaults = ParseModuleConfig("breaking:\n  level: FILE\n", "spoke.yaml");
  ASSERT_TRUE(defaults.ok());
  auto plain = BreakingOptionsFromConfig(*defaults);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->ignore_unstable_packages);
  EXPECT_FALSE(plain->report_nested_deletions);
}

}  // namespace
}  // namespace spoke
