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
  kFileSameJavaStringCheckUtf8,
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
  kMessageNoRemoveStandardDescriptorAccessor,
  kMessageSameMessageSetWireFormat,
  kMessageSameRequiredFields,
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
  kFieldSameCtype,
  kFieldSameJstype,
  kFieldSameDefault,
  kEnumSameType,
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
// only a rule needs, and hands every finding to Add(), which drops ignored paths.
class FindingSink {
 public:
  FindingSink(std::bitset<kRuleCount> enabled, std::vector<std::string> ignore)
      : enabled_(enabled), ignore_(std::move(ignore)) {}
  bool Enabled(Rule rule) const { return enabled_[static_cast<int>(rule)]; }
  bool AnyEnabled(std::initializer_list<Rule> rules) const {
    for (Rule rule : rules) {
      if (Enabled(rule)) return true;
    }
    return false;
  }
  // A finding at `path` in `file` of the current version.
  void Add(Rule rule, const pb::FileDescriptor* file, const std::vector<int>& path,
           std::string message);
  // A finding at `path` in `file` of the previous version (something deleted).
  void AddPrevious(Rule rule, const pb::FileDescriptor* file, const std::vector<int>& path,
                   std::string message);
  std::vector<Finding> Take() { return std::move(findings_); }

 private:
  void Keep(Finding finding);
  std::bitset<kRuleCount> enabled_;
  std::vector<std::string> ignore_;
  std::vector<Finding> findings_;
};

// The rules of `options.level` minus `options.except`.
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
