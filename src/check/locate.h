// Where a descriptor is in its .proto file: the SourceCodeInfo path of every kind of element (and
// of the parts a finding points at: a name, a type, a number), and findings built from them.
#ifndef SPOKE_CHECK_LOCATE_H_
#define SPOKE_CHECK_LOCATE_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <string>
#include <vector>

#include "spoke/finding.h"

namespace spoke::check {

namespace pb = google::protobuf;

// Field numbers of descriptor.proto, the steps of a SourceCodeInfo path.
namespace tag {
inline constexpr int kFilePackage = 2, kFileMessage = 4, kFileEnum = 5, kFileService = 6,
                     kFileExtension = 7, kFileOptions = 8, kFileSyntax = 12;
inline constexpr int kMessageField = 2, kMessageNested = 3, kMessageEnum = 4,
                     kMessageExtensionRange = 5, kMessageExtension = 6, kMessageOptions = 7,
                     kMessageOneof = 8, kMessageReservedRange = 9, kMessageReservedName = 10;
inline constexpr int kFieldName = 1, kFieldNumber = 3, kFieldLabel = 4, kFieldType = 5,
                     kFieldTypeName = 6, kFieldDefault = 7, kFieldOptions = 8, kFieldJsonName = 10;
inline constexpr int kEnumValue = 2, kEnumOptions = 3, kEnumReservedRange = 4,
                     kEnumReservedName = 5;
inline constexpr int kEnumValueNumber = 2;
// Inside options: FieldOptions.ctype, FileOptions.java_string_check_utf8.
inline constexpr int kFieldOptionCtype = 1, kFileOptionJavaStringCheckUtf8 = 27;
inline constexpr int kServiceMethod = 2;
inline constexpr int kMethodInput = 2, kMethodOutput = 3, kMethodOptions = 4,
                     kMethodClientStreaming = 5, kMethodServerStreaming = 6;
inline constexpr int kName = 1;  // every named element keeps its name in field 1
}  // namespace tag

std::vector<int> PathOf(const pb::Descriptor* message);
std::vector<int> PathOf(const pb::FieldDescriptor* field);
std::vector<int> PathOf(const pb::OneofDescriptor* oneof);
std::vector<int> PathOf(const pb::EnumDescriptor* enum_type);
std::vector<int> PathOf(const pb::EnumValueDescriptor* value);
std::vector<int> PathOf(const pb::ServiceDescriptor* service);
std::vector<int> PathOf(const pb::MethodDescriptor* method);

// `path` with `steps` appended.
std::vector<int> Sub(std::vector<int> path, std::initializer_list<int> steps);

// A finding at `path` in `file`; when the path has no recorded location (map entries, a type
// never written out) the nearest enclosing element that has one is used, and line 0 when none.
Finding FindingAt(const pb::FileDescriptor* file, const std::vector<int>& path, const char* rule,
                  std::string message);

// Where the first location recorded for `path` starts (1-based), when there is one. protoc
// records some paths twice, a field's json_name as `json_name = "v"` and then as `"v"`;
// GetSourceLocation answers the last. Copies the file's source info: for rare findings only.
bool FirstLocation(const pb::FileDescriptor* file, const std::vector<int>& path, int* line,
                   int* column);

// The leading comment of the element at `path` (the comment right above it), or "".
std::string LeadingComments(const pb::FileDescriptor* file, const std::vector<int>& path);

}  // namespace spoke::check

#endif  // SPOKE_CHECK_LOCATE_H_
