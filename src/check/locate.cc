// SourceCodeInfo paths of descriptors, and findings placed at them.
#include "check/locate.h"

#include <algorithm>

namespace spoke::check {

std::vector<int> PathOf(const pb::Descriptor* message) {
  if (message->containing_type() == nullptr) return {tag::kFileMessage, message->index()};
  return Sub(PathOf(message->containing_type()), {tag::kMessageNested, message->index()});
}

std::vector<int> PathOf(const pb::FieldDescriptor* field) {
  if (field->is_extension()) {
    if (field->extension_scope() == nullptr) return {tag::kFileExtension, field->index()};
    return Sub(PathOf(field->extension_scope()), {tag::kMessageExtension, field->index()});
  }
  return Sub(PathOf(field->containing_type()), {tag::kMessageField, field->index()});
}

std::vector<int> PathOf(const pb::OneofDescriptor* oneof) {
  return Sub(PathOf(oneof->containing_type()), {tag::kMessageOneof, oneof->index()});
}

std::vector<int> PathOf(const pb::EnumDescriptor* enum_type) {
  if (enum_type->containing_type() == nullptr) return {tag::kFileEnum, enum_type->index()};
  return Sub(PathOf(enum_type->containing_type()), {tag::kMessageEnum, enum_type->index()});
}

std::vector<int> PathOf(const pb::EnumValueDescriptor* value) {
  return Sub(PathOf(value->type()), {tag::kEnumValue, value->index()});
}

std::vector<int> PathOf(const pb::ServiceDescriptor* service) {
  return {tag::kFileService, service->index()};
}

std::vector<int> PathOf(const pb::MethodDescriptor* method) {
  return Sub(PathOf(method->service()), {tag::kServiceMethod, method->index()});
}

std::vector<int> Sub(std::vector<int> path, std::initializer_list<int> steps) {
  path.insert(path.end(), steps.begin(), steps.end());
  return path;
}

Finding FindingAt(const pb::FileDescriptor* file, const std::vector<int>& path, const char* rule,
                  std::string message) {
  Finding finding;
  finding.rule = rule;
  finding.file = file->name();
  finding.message = std::move(message);
  std::vector<int> at = path;
  pb::SourceLocation location;
  while (!at.empty()) {
    if (file->GetSourceLocation(at, &location)) {
      finding.line = location.start_line + 1;
      finding.column = location.start_column + 1;
      return finding;
    }
    // Paths come in (field number, index) pairs below the file, with one more step for a part of
    // an element (its name, its type), so shorten by one step and try again.
    at.pop_back();
  }
  return finding;
}

bool FirstLocation(const pb::FileDescriptor* file, const std::vector<int>& path, int* line,
                   int* column) {
  pb::FileDescriptorProto proto;
  file->CopySourceCodeInfoTo(&proto);
  for (const pb::SourceCodeInfo::Location& location : proto.source_code_info().location()) {
    if (location.span_size() >= 3 &&
        std::equal(location.path().begin(), location.path().end(), path.begin(), path.end())) {
      *line = location.span(0) + 1;
      *column = location.span(1) + 1;
      return true;
    }
  }
  return false;
}

std::string LeadingComments(const pb::FileDescriptor* file, const std::vector<int>& path) {
  pb::SourceLocation location;
  if (!file->GetSourceLocation(path, &location)) return "";
  return location.leading_comments;
}

}  // namespace spoke::check
