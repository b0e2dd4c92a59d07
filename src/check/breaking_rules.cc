// The breaking-change rule table (IDs, summaries, levels as in buf), levels and options, the
// finding sink, and CheckBreaking(), which runs the comparison passes.
#include <algorithm>
#include <cctype>
#include <map>

#include "check/breaking_rules.h"

namespace spoke {
namespace check {
namespace {

// Levels as bits: a rule belongs to every level whose bit it has. Rules buf has deprecated belong
// to none (kNone): they are checked only when `use` names them.
constexpr unsigned kNone = 0, kF = 1, kP = 2, kWJ = 4, kW = 8, kAll = kF | kP | kWJ | kW;

struct RuleEntry {
  Rule rule;
  const char* id;
  unsigned levels;
  const char* summary;
};

constexpr RuleEntry kRules[] = {
    {Rule::kFileNoDelete, "FILE_NO_DELETE", kF, "files are not deleted"},
    {Rule::kFileSamePackage, "FILE_SAME_PACKAGE", kAll, "files keep their package"},
    {Rule::kFileSameSyntax, "FILE_SAME_SYNTAX", kF | kP,
     "files keep their syntax (proto2, proto3)"},
    {Rule::kFileSameGoPackage, "FILE_SAME_GO_PACKAGE", kF | kP, "files keep option go_package"},
    {Rule::kFileSameJavaPackage, "FILE_SAME_JAVA_PACKAGE", kF | kP,
     "files keep option java_package"},
    {Rule::kFileSameJavaOuterClassname, "FILE_SAME_JAVA_OUTER_CLASSNAME", kF | kP,
     "files keep option java_outer_classname"},
    {Rule::kFileSameJavaMultipleFiles, "FILE_SAME_JAVA_MULTIPLE_FILES", kF | kP,
     "files keep option java_multiple_files"},
    {Rule::kFileSameCsharpNamespace, "FILE_SAME_CSHARP_NAMESPACE", kF | kP,
     "files keep option csharp_namespace"},
    {Rule::kFileSameObjcClassPrefix, "FILE_SAME_OBJC_CLASS_PREFIX", kF | kP,
     "files keep option objc_class_prefix"},
    {Rule::kFileSamePhpClassPrefix, "FILE_SAME_PHP_CLASS_PREFIX", kF | kP,
     "files keep option php_class_prefix"},
    {Rule::kFileSamePhpNamespace, "FILE_SAME_PHP_NAMESPACE", kF | kP,
     "files keep option php_namespace"},
    {Rule::kFileSamePhpMetadataNamespace, "FILE_SAME_PHP_METADATA_NAMESPACE", kF | kP,
     "files keep option php_metadata_namespace"},
    {Rule::kFileSameRubyPackage, "FILE_SAME_RUBY_PACKAGE", kF | kP,
     "files keep option ruby_package"},
    {Rule::kFileSameSwiftPrefix, "FILE_SAME_SWIFT_PREFIX", kF | kP,
     "files keep option swift_prefix"},
    {Rule::kFileSameOptimizeFor, "FILE_SAME_OPTIMIZE_FOR", kF | kP,
     "files keep option optimize_for"},
    {Rule::kFileSameCcGenericServices, "FILE_SAME_CC_GENERIC_SERVICES", kF | kP,
     "files keep option cc_generic_services"},
    {Rule::kFileSameJavaGenericServices, "FILE_SAME_JAVA_GENERIC_SERVICES", kF | kP,
     "files keep option java_generic_services"},
    {Rule::kFileSamePyGenericServices, "FILE_SAME_PY_GENERIC_SERVICES", kF | kP,
     "files keep option py_generic_services"},
    {Rule::kFileSamePhpGenericServices, "FILE_SAME_PHP_GENERIC_SERVICES", kNone,
     "files keep option php_generic_services (deprecated by buf)"},
    {Rule::kFileSameCcEnableArenas, "FILE_SAME_CC_ENABLE_ARENAS", kF | kP,
     "files keep option cc_enable_arenas"},
    {Rule::kPackageNoDelete, "PACKAGE_NO_DELETE", kP, "packages are not deleted"},
    {Rule::kPackageMessageNoDelete, "PACKAGE_MESSAGE_NO_DELETE", kP,
     "messages are not deleted from a package"},
    {Rule::kPackageEnumNoDelete, "PACKAGE_ENUM_NO_DELETE", kP,
     "enums are not deleted from a package"},
    {Rule::kPackageServiceNoDelete, "PACKAGE_SERVICE_NO_DELETE", kP,
     "services are not deleted from a package"},
    {Rule::kPackageExtensionNoDelete, "PACKAGE_EXTENSION_NO_DELETE", kP,
     "extensions are not deleted from a package"},
    {Rule::kMessageNoDelete, "MESSAGE_NO_DELETE", kF, "messages are not deleted from a file"},
    {Rule::kEnumNoDelete, "ENUM_NO_DELETE", kF, "enums are not deleted from a file"},
    {Rule::kServiceNoDelete, "SERVICE_NO_DELETE", kF, "services are not deleted from a file"},
    {Rule::kExtensionNoDelete, "EXTENSION_NO_DELETE", kF, "extensions are not deleted from a file"},
    {Rule::kMessageNoRemoveStandardDescriptorAccessor,
     "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR", kF | kP,
     "messages do not turn on option no_standard_descriptor_accessor"},
    {Rule::kMessageSameMessageSetWireFormat, "MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT", kNone,
     "messages keep option message_set_wire_format (deprecated by buf)"},
    {Rule::kMessageSameRequiredFields, "MESSAGE_SAME_REQUIRED_FIELDS", kAll,
     "messages neither add nor remove required fields"},
    {Rule::kMessageSameJsonFormat, "MESSAGE_SAME_JSON_FORMAT", kF | kP | kWJ,
     "messages keep their JSON support (a proto3 message moved to proto2 loses it)"},
    {Rule::kExtensionMessageNoDelete, "EXTENSION_MESSAGE_NO_DELETE", kF | kP,
     "extension ranges are not deleted from messages"},
    {Rule::kOneofNoDelete, "ONEOF_NO_DELETE", kF | kP, "oneofs are not deleted from messages"},
    {Rule::kReservedMessageNoDelete, "RESERVED_MESSAGE_NO_DELETE", kAll,
     "reserved numbers and names are not deleted from messages"},
    {Rule::kReservedEnumNoDelete, "RESERVED_ENUM_NO_DELETE", kAll,
     "reserved numbers and names are not deleted from enums"},
    {Rule::kFieldNoDelete, "FIELD_NO_DELETE", kF | kP, "fields are not deleted from messages"},
    {Rule::kFieldNoDeleteUnlessNumberReserved, "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", kWJ | kW,
     "fields are not deleted unless their number is reserved"},
    {Rule::kFieldNoDeleteUnlessNameReserved, "FIELD_NO_DELETE_UNLESS_NAME_RESERVED", kWJ,
     "fields are not deleted unless their name is reserved"},
    {Rule::kFieldSameName, "FIELD_SAME_NAME", kF | kP | kWJ, "fields keep their name"},
    {Rule::kFieldSameJsonName, "FIELD_SAME_JSON_NAME", kF | kP | kWJ,
     "fields keep their JSON name"},
    {Rule::kFieldSameType, "FIELD_SAME_TYPE", kF | kP, "fields keep their type"},
    {Rule::kFieldWireCompatibleType, "FIELD_WIRE_COMPATIBLE_TYPE", kW,
     "fields change type only within a wire-compatible group (int32/int64/uint32/uint64/bool, "
     "...)"},
    {Rule::kFieldWireJsonCompatibleType, "FIELD_WIRE_JSON_COMPATIBLE_TYPE", kWJ,
     "fields change type only to one compatible in both the wire format and JSON"},
    {Rule::kFieldSameCardinality, "FIELD_SAME_CARDINALITY", kF | kP,
     "fields keep their cardinality (optional, implicit, required, repeated, map)"},
    {Rule::kFieldWireCompatibleCardinality, "FIELD_WIRE_COMPATIBLE_CARDINALITY", kW,
     "fields change cardinality only in a wire-compatible way"},
    {Rule::kFieldWireJsonCompatibleCardinality, "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", kWJ,
     "fields change cardinality only in a way compatible in both the wire format and JSON"},
    {Rule::kFieldSameOneof, "FIELD_SAME_ONEOF", kAll,
     "fields neither move into, out of, nor between oneofs"},
    {Rule::kFieldSameCppStringType, "FIELD_SAME_CPP_STRING_TYPE", kF | kP,
     "string and bytes fields keep their C++ string type (option ctype; STRING_PIECE may become "
     "STRING)"},
    {Rule::kFieldSameJavaUtf8Validation, "FIELD_SAME_JAVA_UTF8_VALIDATION", kF | kP,
     "string fields keep their Java UTF-8 validation (proto3, or java_string_check_utf8)"},
    {Rule::kFieldSameUtf8Validation, "FIELD_SAME_UTF8_VALIDATION", kF | kP,
     "string fields keep their UTF-8 validation (proto3 verifies, proto2 does not)"},
    {Rule::kFieldSameJstype, "FIELD_SAME_JSTYPE", kF | kP, "fields keep option jstype"},
    {Rule::kFieldSameDefault, "FIELD_SAME_DEFAULT", kAll, "fields keep their default value"},
    {Rule::kEnumSameType, "ENUM_SAME_TYPE", kF | kP, "enums stay open or closed"},
    {Rule::kEnumSameJsonFormat, "ENUM_SAME_JSON_FORMAT", kF | kP | kWJ,
     "enums keep their JSON support (a proto3 enum moved to proto2 loses it)"},
    {Rule::kEnumValueNoDelete, "ENUM_VALUE_NO_DELETE", kF | kP, "enum values are not deleted"},
    {Rule::kEnumValueNoDeleteUnlessNumberReserved, "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
     kWJ | kW, "enum values are not deleted unless their number is reserved"},
    {Rule::kEnumValueNoDeleteUnlessNameReserved, "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", kWJ,
     "enum values are not deleted unless their name is reserved"},
    {Rule::kEnumValueSameName, "ENUM_VALUE_SAME_NAME", kF | kP | kWJ,
     "enum values keep their names (aliases may be added)"},
    {Rule::kRpcNoDelete, "RPC_NO_DELETE", kF | kP, "RPCs are not deleted from services"},
    {Rule::kRpcSameRequestType, "RPC_SAME_REQUEST_TYPE", kAll, "RPCs keep their request type"},
    {Rule::kRpcSameResponseType, "RPC_SAME_RESPONSE_TYPE", kAll, "RPCs keep their response type"},
    {Rule::kRpcSameClientStreaming, "RPC_SAME_CLIENT_STREAMING", kAll,
     "RPCs keep client streaming on or off"},
    {Rule::kRpcSameServerStreaming, "RPC_SAME_SERVER_STREAMING", kAll,
     "RPCs keep server streaming on or off"},
    {Rule::kRpcSameIdempotencyLevel, "RPC_SAME_IDEMPOTENCY_LEVEL", kAll,
     "RPCs keep option idempotency_level"},
};

constexpr bool TableInEnumOrder() {
  if (std::size(kRules) != static_cast<size_t>(kRuleCount)) return false;
  for (size_t i = 0; i < std::size(kRules); ++i) {
    if (static_cast<size_t>(kRules[i].rule) != i) return false;
  }
  return true;
}
static_assert(TableInEnumOrder(), "kRules must list every Rule once, in enum order");

// IDs buf deprecated in favour of others: naming one names its replacements (as buf's v1 configs
// do), and findings carry the replacements' IDs.
struct Alias {
  const char* id;
  std::vector<Rule> replaced_by;
};

const std::vector<Alias>& Aliases() {
  static const std::vector<Alias> aliases = {
      {"FIELD_SAME_CTYPE", {Rule::kFieldSameCppStringType}},
      {"FIELD_SAME_LABEL",
       {Rule::kFieldSameCardinality, Rule::kFieldWireCompatibleCardinality,
        Rule::kFieldWireJsonCompatibleCardinality}},
      {"FILE_SAME_JAVA_STRING_CHECK_UTF8", {Rule::kFieldSameJavaUtf8Validation}},
  };
  return aliases;
}

// The rules an ID stands for: itself, or an alias's replacements; empty when unknown.
std::vector<Rule> RulesNamed(const std::string& id) {
  for (const auto& entry : kRules) {
    if (id == entry.id) return {entry.rule};
  }
  for (const auto& alias : Aliases()) {
    if (id == alias.id) return alias.replaced_by;
  }
  return {};
}

constexpr struct {
  BreakingLevel level;
  const char* name;
  unsigned bit;
} kLevels[] = {
    {BreakingLevel::kFile, "FILE", kF},
    {BreakingLevel::kPackage, "PACKAGE", kP},
    {BreakingLevel::kWireJson, "WIRE_JSON", kWJ},
    {BreakingLevel::kWire, "WIRE", kW},
};

unsigned LevelBit(BreakingLevel level) {
  for (const auto& entry : kLevels) {
    if (entry.level == level) return entry.bit;
  }
  return 0;
}

bool UnderIgnoredPath(const std::string& file, const std::vector<std::string>& ignore) {
  for (const auto& prefix : ignore) {
    if (file == prefix) return true;
    std::string dir = prefix.empty() || prefix.back() == '/' ? prefix : prefix + "/";
    if (file.compare(0, dir.size(), dir) == 0) return true;
  }
  return false;
}

}  // namespace

const char* RuleId(Rule rule) { return kRules[static_cast<int>(rule)].id; }

void FindingSink::Add(Rule rule, const pb::FileDescriptor* file, const std::vector<int>& path,
                      std::string message) {
  if (!Enabled(rule)) return;
  Finding finding = FindingAt(file, path, RuleId(rule), std::move(message));
  if (path.empty()) finding.line = finding.column = 1;  // the file as a whole, at its top, as buf
  Keep(file, std::move(finding));
}

void FindingSink::AddAtFirstLocation(Rule rule, const pb::FileDescriptor* file,
                                     const std::vector<int>& path, std::string message) {
  if (!Enabled(rule)) return;
  Finding finding = FindingAt(file, path, RuleId(rule), std::move(message));
  int line = 0, column = 0;
  if (FirstLocation(file, path, &line, &column)) {
    finding.line = line;
    finding.column = column;
  }
  Keep(file, std::move(finding));
}

void FindingSink::AddPrevious(Rule rule, const pb::FileDescriptor* file,
                              const std::vector<int>& path, std::string message,
                              const pb::FileDescriptor* new_file,
                              const std::vector<int>& new_path) {
  if (!Enabled(rule)) return;
  Finding finding = FindingAt(file, path, RuleId(rule), std::move(message));
  finding.in_previous = true;
  if (new_file != nullptr) {
    Finding shown = FindingAt(new_file, new_path, RuleId(rule), "");
    finding.new_file = shown.file;
    finding.new_line = shown.line > 0 ? shown.line : 1;
    finding.new_column = shown.line > 0 ? shown.column : 1;
  }
  Keep(file, std::move(finding));
}

void FindingSink::Keep(const pb::FileDescriptor* file, Finding finding) {
  if (UnderIgnoredPath(finding.file, ignore_)) return;
  if (ignore_unstable_packages_ && IsUnstablePackage(file->package())) return;
  findings_.push_back(std::move(finding));
}

std::bitset<kRuleCount> EnabledRules(const BreakingOptions& options) {
  std::bitset<kRuleCount> enabled;
  // The rules a level or rule ID names.
  auto named = [](const std::string& name) {
    auto level = ParseBreakingLevel(name);
    if (!level.ok()) return RulesNamed(name);
    std::vector<Rule> rules;
    for (const auto& entry : kRules) {
      if (entry.levels & LevelBit(*level)) rules.push_back(entry.rule);
    }
    return rules;
  };
  for (const auto& name : options.use.empty()
                              ? std::vector<std::string>{BreakingLevelName(options.level)}
                              : options.use) {
    for (Rule rule : named(name)) enabled.set(static_cast<int>(rule));
  }
  for (const auto& name : options.except) {
    for (Rule rule : named(name)) enabled.reset(static_cast<int>(rule));
  }
  return enabled;
}

}  // namespace check

Result<BreakingLevel> ParseBreakingLevel(const std::string& name) {
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& entry : check::kLevels) {
    if (upper == entry.name) return entry.level;
  }
  return Status::InvalidArgument("unknown compatibility level \"" + name +
                                 "\"; use FILE, PACKAGE, WIRE_JSON or WIRE (strictest first)");
}

const char* BreakingLevelName(BreakingLevel level) {
  for (const auto& entry : check::kLevels) {
    if (entry.level == level) return entry.name;
  }
  return "FILE";
}

const std::vector<BreakingRuleInfo>& BreakingRules() {
  static const std::vector<BreakingRuleInfo> rules = [] {
    std::vector<BreakingRuleInfo> out;
    for (const auto& entry : check::kRules) {
      BreakingRuleInfo info{entry.id, entry.summary, {}, entry.levels == check::kNone, {}};
      for (const auto& level : check::kLevels) {
        if (entry.levels & level.bit) info.levels.push_back(level.level);
      }
      out.push_back(std::move(info));
    }
    for (const auto& alias : check::Aliases()) {
      BreakingRuleInfo info{alias.id, "deprecated by buf: stands for ", {}, true, {}};
      for (check::Rule rule : alias.replaced_by) {
        info.summary += (info.replaced_by.empty() ? "" : ", ") + std::string(check::RuleId(rule));
        info.replaced_by.push_back(check::RuleId(rule));
      }
      out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
  }();
  return rules;
}

bool IsBreakingRuleId(const std::string& id) { return !check::RulesNamed(id).empty(); }

bool BreakingRuleEnabled(const BreakingOptions& options, const std::string& id) {
  std::vector<check::Rule> rules = check::RulesNamed(id);
  std::bitset<check::kRuleCount> enabled = check::EnabledRules(options);
  return !rules.empty() && std::all_of(rules.begin(), rules.end(), [&](check::Rule rule) {
    return enabled[static_cast<int>(rule)];
  });
}

bool IsUnstablePackage(const std::string& package) {
  std::string last = package.substr(package.rfind('.') + 1);
  size_t i = 0;
  // Digits, the first not 0 unless `zero_ok`; false when there are none.
  auto digits = [&](bool zero_ok) {
    size_t start = i;
    if (i < last.size() && !zero_ok && last[i] == '0') return false;
    while (i < last.size() && std::isdigit(static_cast<unsigned char>(last[i]))) ++i;
    return i > start;
  };
  if (last.empty() || last[i++] != 'v' || !digits(false)) return false;
  if (last.compare(i, 4, "test") == 0) return true;
  if (i < last.size() && last[i] == 'p') {
    ++i;
    if (!digits(false)) return false;
  }
  for (std::string stage : {"alpha", "beta"}) {
    if (last.compare(i, stage.size(), stage) != 0) continue;
    i += stage.size();
    return i == last.size() || (digits(false) && i == last.size());
  }
  return false;
}

namespace {

Result<bool> ConfigBool(const std::string& key, const std::vector<std::string>& values) {
  if (values.size() == 1 && (values[0] == "true" || values[0] == "false")) {
    return values[0] == "true";
  }
  return Status::InvalidArgument("spoke.yaml: " + key + " takes true or false");
}

}  // namespace

Result<BreakingOptions> BreakingOptionsFromConfig(const ModuleConfig& config) {
  BreakingOptions options;
  bool has_level = false;
  for (const auto& [key, values] : config.values) {
    if (key.rfind("breaking.", 0) != 0) continue;
    std::string name = key.substr(9);
    if (name == "level") {
      if (values.size() != 1)
        return Status::InvalidArgument("spoke.yaml: breaking.level takes one level");
      SPOKE_ASSIGN_OR_RETURN(options.level, ParseBreakingLevel(values[0]));
      has_level = true;
    } else if (name == "use" || name == "except") {
      for (const auto& id : values) {
        if (!ParseBreakingLevel(id).ok() && !IsBreakingRuleId(id)) {
          return Status::InvalidArgument("spoke.yaml: breaking." + name +
                                         ": unknown level or rule " + id +
                                         " (see spoke breaking --list-rules)");
        }
        (name == "use" ? options.use : options.except).push_back(id);
      }
    } else if (name == "ignore") {
      options.ignore = values;
    } else if (name == "ignore_unstable_packages") {
      SPOKE_ASSIGN_OR_RETURN(options.ignore_unstable_packages, ConfigBool(key, values));
    } else if (name == "report_nested_deletions") {
      SPOKE_ASSIGN_OR_RETURN(options.report_nested_deletions, ConfigBool(key, values));
    } else {
      return Status::InvalidArgument(
          "spoke.yaml: unknown key breaking." + name +
          " (known: level, use, except, ignore, ignore_unstable_packages, "
          "report_nested_deletions)");
    }
  }
  if (has_level && !options.use.empty()) {
    return Status::InvalidArgument(
        "spoke.yaml: breaking.level and breaking.use both set; give the level in use instead");
  }
  return options;
}

std::vector<Finding> CheckBreaking(const SchemaImage& previous, const SchemaImage& current,
                                   const BreakingOptions& options) {
  check::FindingSink sink(check::EnabledRules(options), options);
  check::CompareFilesAndPackages(previous, current, &sink);
  check::CompareMessagesEnumsServices(previous, current, &sink);
  std::vector<Finding> findings = sink.Take();
  SortFindings(&findings);
  return findings;
}

}  // namespace spoke
