// The breaking-change rules as the comparison code sees them: an enum for fast "is this rule on"
// checks, the table of IDs and levels, and the sink that keeps the findings of enabled rules.
#ifndef SPOKE_CHECK_BREAKING_RULES_H_
#define SPOKE_CHECK_BREAKING_RULES_H_

#include <bitset>
#include <string>
#include <vector>

#include "check/locate.h"
#include "spoke/breaking.h"

namespace spoke::check {

enum class Rule : int {
  kFileNoDelete,
  kFileSamePackage,
  kFileSameSyntax,
  kFileSameGoPackage,
  kFileSameJavaPackage,
  kFileSameJavaOuterClassname,
  kFileSameJavaMultipleFiles,
  kFileSameCsharpNamespace,
  kFileSameObjcClassPrefix,
  kFileSamePhpClassPrefix,
  kFileSamePhpNamespace,
  kFileSamePhpMetadataNamespace,
  kFileSameRubyPackage,
  kFileSameSwiftPrefix,
  kFileSameOptimizeFor,
  kFileSameCcGenericServices,
  kFileSameJavaGenericServices,
  kFileSamePyGenericServices,
  kFileSamePhpGenericServices,
  kFileSameCcEnableArenas,
  kPackageNoDelete,
  kPackageMessageNoDelete,
  kPackageEnumNoDelete,
  kPackageServiceNoDelete,
  kPackageExtensionNoDelete,
  kMessageNoDelete,
  kEnumNoDelete,
  kServiceNoDelete,
  kExtensionNoDelete,
  kMessageNoRemoveStandardDescriptorAccessor,
  kMessageSameMessageSetWireFormat,
  kMessageSameRequiredFields,
  kMessageSameJsonFormat,
  kExtensionMessageNoDelete,
  kOneofNoDelete,
  kReservedMessageNoDelete,
  kReservedEnumNoDelete,
  kFieldNoDelete,
  kFieldNoDeleteUnlessNumberReserved,
  kFieldNoDeleteUnlessNameReserved,
  kFieldSameName,
  kFieldSameJsonName,
  kFieldSameType,
  kFieldWireCompatibleType,
  kFieldWireJsonCompatibleType,
  kFieldSameCardinality,
  kFieldWireCompatibleCardinality,
  kFieldWireJsonCompatibleCardinality,
  kFieldSameOneof,
  kFieldSameCppStringType,
  kFieldSameJavaUtf8Validation,
  kFieldSameUtf8Validation,
  kFieldSameJstype,
  kFieldSameDefault,
  kEnumSameType,
  kEnumSameJsonFormat,
  kEnumValueNoDelete,
  kEnumValueNoDeleteUnlessNumberReserved,
  kEnumValueNoDeleteUnlessNameReserved,
  kEnumValueSameName,
  kRpcNoDelete,
  kRpcSameRequestType,
  kRpcSameResponseType,
  kRpcSameClientStreaming,
  kRpcSameServerStreaming,
  kRpcSameIdempotencyLevel,
  kCount,
};

inline constexpr int kRuleCount = static_cast<int>(Rule::kCount);

// The rule's ID ("FIELD_NO_DELETE").
const char* RuleId(Rule rule);

// Collects the findings of the enabled rules. The comparison code asks Enabled() before doing work
// only a rule needs, and hands every finding to Add(), which drops ignored paths (and, with
// options.ignore_unstable_packages, files of unstable packages).
class FindingSink {
 public:
  FindingSink(std::bitset<kRuleCount> enabled, const BreakingOptions& options)
      : enabled_(enabled),
        ignore_(options.ignore),
        ignore_unstable_packages_(options.ignore_unstable_packages),
        report_nested_deletions_(options.report_nested_deletions) {}
  bool Enabled(Rule rule) const { return enabled_[static_cast<int>(rule)]; }
  // Whether a deleted message's nested messages, enums and extensions are reported too.
  bool ReportNestedDeletions() const { return report_nested_deletions_; }
  bool AnyEnabled(std::initializer_list<Rule> rules) const {
    for (Rule rule : rules) {
      if (Enabled(rule)) return true;
    }
    return false;
  }
  // A finding at `path` in `file` of the current version; an empty path: the file's line 1.
  void Add(Rule rule, const pb::FileDescriptor* file, const std::vector<int>& path,
           std::string message);
  // As Add, at the first location recorded for `path` (FirstLocation in locate.h).
  void AddAtFirstLocation(Rule rule, const pb::FileDescriptor* file, const std::vector<int>& path,
                          std::string message);
  // A finding at `path` in `file` of the previous version (something deleted), shown in the
  // current version at `new_path` in `new_file` (an empty path: the file's line 1; no file: not
  // shown there, the file is gone).
  void AddPrevious(Rule rule, const pb::FileDescriptor* file, const std::vector<int>& path,
                   std::string message, const pb::FileDescriptor* new_file,
                   const std::vector<int>& new_path);
  std::vector<Finding> Take() { return std::move(findings_); }

 private:
  void Keep(const pb::FileDescriptor* file, Finding finding);
  std::bitset<kRuleCount> enabled_;
  std::vector<std::string> ignore_;
  bool ignore_unstable_packages_;
  bool report_nested_deletions_;
  std::vector<Finding> findings_;
};

// The rules of `options.use` (or of `options.level` when `use` is empty) minus `options.except`;
// deprecated aliases stand for the rules that replaced them. Unknown IDs are skipped (the config
// and flag parsers refuse them).
std::bitset<kRuleCount> EnabledRules(const BreakingOptions& options);

// The comparison passes (breaking_files.cc, breaking_types.cc, breaking_fields.cc).
void CompareFilesAndPackages(const SchemaImage& previous, const SchemaImage& current,
                             FindingSink* sink);
void CompareMessagesEnumsServices(const SchemaImage& previous, const SchemaImage& current,
                                  FindingSink* sink);
void CompareFields(const pb::FieldDescriptor* previous, const pb::FieldDescriptor* current,
                   FindingSink* sink);

}  // namespace spoke::check

#endif  // SPOKE_CHECK_BREAKING_RULES_H_
