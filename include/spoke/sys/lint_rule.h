// The lint-rule extension point: what a rule is (an ID, its categories, a check) and the calls a
// check receives. Spoke's built-in rules (lint.h) are written against exactly this interface, and
// Lint() takes further rules the same way.
//
// A run walks every target file of an image once, and for each element calls the matching hook of
// every enabled rule's check, in this order: CheckFile, then for each message (nested ones after
// their parent) CheckMessage, its fields and extensions (CheckField), its oneofs (CheckOneof, real
// oneofs only), its enums (CheckEnum, then CheckEnumValue for each value); then the file's enums,
// extensions, services (CheckService, then CheckMethod for each RPC). Map-entry messages that
// protoc synthesises are skipped. Finish runs once after every file, for rules that compare
// elements across files. A check object lives for one run; it may keep state between calls.
#ifndef SPOKE_SYS_LINT_RULE_H_
#define SPOKE_SYS_LINT_RULE_H_

#include <google/protobuf/descriptor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace spoke {

class SchemaImage;

// Which part of an element a finding points at.
enum class LintPart {
  kElement,     // the whole declaration
  kName,        // its name
  kType,        // a field's type, an RPC's request type
  kOutput,      // an RPC's response type
  kNumber,      // a field's or enum value's number
  kAllowAlias,  // an enum's `option allow_alias` statement (else the enum)
};

// The settings of the configurable rules, as buf names them (lint.h has the spoke.yaml keys).
struct LintOptions {
  std::string enum_zero_value_suffix = "_UNSPECIFIED";  // ENUM_ZERO_VALUE_SUFFIX
  std::string service_suffix = "Service";               // SERVICE_SUFFIX
  // RPC_REQUEST_RESPONSE_UNIQUE accepts an RPC whose request and response are one type.
  bool rpc_allow_same_request_response = false;
  // The RPC_* naming and uniqueness rules accept google.protobuf.Empty as every RPC's request
  // (response).
  bool rpc_allow_google_protobuf_empty_requests = false;
  bool rpc_allow_google_protobuf_empty_responses = false;
  // The files linted (as `--path`: files or directories); empty for all. As in buf, the hooks see
  // only these, so rules comparing files compare only them; the image still holds every file.
  std::vector<std::string> paths;
};

// Where a check reports. A finding is dropped when a leading comment says
// "spoke:lint:ignore <RULE_ID>" (or buf's "buf:lint:ignore <RULE_ID>"): the comment of the element
// or of any element enclosing it (a message's ignore covers its fields and nested types), of the
// `package` line for findings about the file, of the `option` line for findings about an option;
// unless comment ignores are turned off (lint.h).
class LintReport {
 public:
  virtual ~LintReport() = default;
  virtual void Add(const google::protobuf::FileDescriptor& file,
                   std::string message) = 0;  // at `package`, else at 1:1
  // At the file option `option_number` (a FileOptions field, e.g. 11 for go_package), else at 1:1.
  virtual void AddFileOption(const google::protobuf::FileDescriptor& file, int option_number,
                             std::string message) = 0;
  virtual void AddImport(const google::protobuf::FileDescriptor& file, int dependency_index,
                         std::string message) = 0;
  virtual void Add(const google::protobuf::Descriptor& message, LintPart part,
                   std::string text) = 0;
  virtual void Add(const google::protobuf::FieldDescriptor& field, LintPart part,
                   std::string text) = 0;
  virtual void Add(const google::protobuf::OneofDescriptor& oneof, LintPart part,
                   std::string text) = 0;
  virtual void Add(const google::protobuf::EnumDescriptor& enum_type, LintPart part,
                   std::string text) = 0;
  virtual void Add(const google::protobuf::EnumValueDescriptor& value, LintPart part,
                   std::string text) = 0;
  virtual void Add(const google::protobuf::ServiceDescriptor& service, LintPart part,
                   std::string text) = 0;
  virtual void Add(const google::protobuf::MethodDescriptor& method, LintPart part,
                   std::string text) = 0;
};

// One run of one rule. Every hook does nothing unless overridden.
class LintCheck {
 public:
  virtual ~LintCheck() = default;
  virtual void CheckFile(const google::protobuf::FileDescriptor&, LintReport*) {}
  virtual void CheckMessage(const google::protobuf::Descriptor&, LintReport*) {}
  virtual void CheckField(const google::protobuf::FieldDescriptor&, LintReport*) {}
  virtual void CheckOneof(const google::protobuf::OneofDescriptor&, LintReport*) {}
  virtual void CheckEnum(const google::protobuf::EnumDescriptor&, LintReport*) {}
  virtual void CheckEnumValue(const google::protobuf::EnumValueDescriptor&, LintReport*) {}
  virtual void CheckService(const google::protobuf::ServiceDescriptor&, LintReport*) {}
  virtual void CheckMethod(const google::protobuf::MethodDescriptor&, LintReport*) {}
  virtual void Finish(LintReport*) {}
};

struct LintRule {
  std::string id;                       // UPPER_SNAKE_CASE, unique, e.g. "FIELD_LOWER_SNAKE_CASE"
  std::vector<std::string> categories;  // e.g. {"BASIC", "STANDARD"}; "DEFAULT" is not a category
  std::string summary;                  // one line: what the rule wants
  // A fresh check for one run over `image` with `options` (both outlive the check).
  std::function<std::unique_ptr<LintCheck>(const SchemaImage& image, const LintOptions& options)>
      make;
};

}  // namespace spoke

#endif  // SPOKE_SYS_LINT_RULE_H_
