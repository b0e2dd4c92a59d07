// The lint engine: which rules a config turns on, one walk over the image calling every enabled
// rule's hooks, findings placed at source positions, ignore comments and ignored paths honoured.
#include "spoke/lint.h"

#include <algorithm>
#include <map>
#include <set>

#include "check/lint_support.h"
#include "check/locate.h"

namespace spoke {
namespace check {
namespace {

class HookCheck : public LintCheck {
 public:
  explicit HookCheck(LintHooks hooks) : hooks_(std::move(hooks)) {}
  void CheckFile(const pb::FileDescriptor& d, LintReport* r) override {
    if (hooks_.file) hooks_.file(d, r);
  }
  void CheckMessage(const pb::Descriptor& d, LintReport* r) override {
    if (hooks_.message) hooks_.message(d, r);
  }
  void CheckField(const pb::FieldDescriptor& d, LintReport* r) override {
    if (hooks_.field) hooks_.field(d, r);
  }
  void CheckOneof(const pb::OneofDescriptor& d, LintReport* r) override {
    if (hooks_.oneof) hooks_.oneof(d, r);
  }
  void CheckEnum(const pb::EnumDescriptor& d, LintReport* r) override {
    if (hooks_.enum_type) hooks_.enum_type(d, r);
  }
  void CheckEnumValue(const pb::EnumValueDescriptor& d, LintReport* r) override {
    if (hooks_.enum_value) hooks_.enum_value(d, r);
  }
  void CheckService(const pb::ServiceDescriptor& d, LintReport* r) override {
    if (hooks_.service) hooks_.service(d, r);
  }
  void CheckMethod(const pb::MethodDescriptor& d, LintReport* r) override {
    if (hooks_.method) hooks_.method(d, r);
  }

 private:
  LintHooks hooks_;
};

bool IsNamedType(const pb::FieldDescriptor& field) {
  return field.type() == pb::FieldDescriptor::TYPE_MESSAGE ||
         field.type() == pb::FieldDescriptor::TYPE_GROUP ||
         field.type() == pb::FieldDescriptor::TYPE_ENUM;
}

// Findings of one rule, placed with SourceCodeInfo paths.
class RuleReport : public LintReport {
 public:
  RuleReport(const char* rule, bool comment_ignores, std::vector<Finding>* out)
      : rule_(rule), comment_ignores_(comment_ignores), out_(out) {}

  void Add(const pb::FileDescriptor& file, std::string message) override {
    // At the package statement, else (as buf) at the top of the file.
    KeepAtFileLevel(file, {tag::kFilePackage}, std::move(message));
  }
  void AddFileOption(const pb::FileDescriptor& file, int option_number,
                     std::string message) override {
    KeepAtFileLevel(file, {tag::kFileOptions, option_number}, std::move(message));
  }
  void AddImport(const pb::FileDescriptor& file, int index, std::string message) override {
    constexpr int kFileDependency = 3;
    Keep(file, {kFileDependency, index}, {}, std::move(message));
  }
  void Add(const pb::Descriptor& d, LintPart part, std::string text) override {
    Keep(*d.file(), PathOf(&d), NamePart(part), std::move(text));
  }
  void Add(const pb::FieldDescriptor& d, LintPart part, std::string text) override {
    std::vector<int> sub;
    if (part == LintPart::kName) sub = {tag::kName};
    if (part == LintPart::kType) sub = {IsNamedType(d) ? tag::kFieldTypeName : tag::kFieldType};
    if (part == LintPart::kNumber) sub = {tag::kFieldNumber};
    Keep(*d.file(), PathOf(&d), sub, std::move(text));
  }
  void Add(const pb::OneofDescriptor& d, LintPart part, std::string text) override {
    Keep(*d.file(), PathOf(&d), NamePart(part), std::move(text));
  }
  void Add(const pb::EnumDescriptor& d, LintPart part, std::string text) override {
    // EnumDescriptorProto.options is field 3, EnumOptions.allow_alias field 2.
    constexpr int kEnumOptions = 3, kAllowAlias = 2;
    std::vector<int> sub = NamePart(part);
    if (part == LintPart::kAllowAlias) sub = {kEnumOptions, kAllowAlias};
    Keep(*d.file(), PathOf(&d), sub, std::move(text));
  }
  void Add(const pb::EnumValueDescriptor& d, LintPart part, std::string text) override {
    constexpr int kEnumValueNumber = 2;
    std::vector<int> sub = NamePart(part);
    if (part == LintPart::kNumber) sub = {kEnumValueNumber};
    Keep(*d.file(), PathOf(&d), sub, std::move(text));
  }
  void Add(const pb::ServiceDescriptor& d, LintPart part, std::string text) override {
    Keep(*d.file(), PathOf(&d), NamePart(part), std::move(text));
  }
  void Add(const pb::MethodDescriptor& d, LintPart part, std::string text) override {
    std::vector<int> sub = NamePart(part);
    if (part == LintPart::kType) sub = {tag::kMethodInput};
    if (part == LintPart::kOutput) sub = {tag::kMethodOutput};
    Keep(*d.file(), PathOf(&d), sub, std::move(text));
  }

 private:
  static std::vector<int> NamePart(LintPart part) {
    return part == LintPart::kName ? std::vector<int>{tag::kName} : std::vector<int>{};
  }

  void KeepAtFileLevel(const pb::FileDescriptor& file, const std::vector<int>& path,
                       std::string message) {
    pb::SourceLocation location;
    if (!file.GetSourceLocation(path, &location)) {
      Finding finding;
      finding.rule = rule_;
      finding.file = file.name();
      finding.line = finding.column = 1;
      finding.message = std::move(message);
      out_->push_back(std::move(finding));
      return;
    }
    if (IgnoredBy(file, path)) return;
    out_->push_back(FindingAt(&file, path, rule_, std::move(message)));
  }

  void Keep(const pb::FileDescriptor& file, const std::vector<int>& element,
            const std::vector<int>& part, std::string message) {
    // An ignore above an enclosing element counts too: every even-length prefix of an element's
    // path is the path of an element around it (a message around a field, a service around an
    // RPC).
    for (size_t n = 2; n <= element.size(); n += 2) {
      if (IgnoredBy(file, std::vector<int>(element.begin(), element.begin() + n))) return;
    }
    std::vector<int> path = element;
    path.insert(path.end(), part.begin(), part.end());
    out_->push_back(FindingAt(&file, path, rule_, std::move(message)));
  }

  bool IgnoredBy(const pb::FileDescriptor& file, const std::vector<int>& element) const {
    if (!comment_ignores_) return false;
    return HasIgnoreDirective(LeadingComments(&file, element), rule_);
  }

  const char* rule_;
  bool comment_ignores_;
  std::vector<Finding>* out_;
};

struct ActiveRule {
  std::unique_ptr<LintCheck> check;
  std::unique_ptr<RuleReport> report;
};

void WalkEnum(const pb::EnumDescriptor& enum_type, std::vector<ActiveRule>& rules) {
  for (auto& r : rules) r.check->CheckEnum(enum_type, r.report.get());
  for (int i = 0; i < enum_type.value_count(); ++i) {
    for (auto& r : rules) r.check->CheckEnumValue(*enum_type.value(i), r.report.get());
  }
}

void WalkMessage(const pb::Descriptor& message, std::vector<ActiveRule>& rules) {
  if (message.options().map_entry()) return;
  for (auto& r : rules) r.check->CheckMessage(message, r.report.get());
  for (int i = 0; i < message.field_count(); ++i) {
    for (auto& r : rules) r.check->CheckField(*message.field(i), r.report.get());
  }
  for (int i = 0; i < message.extension_count(); ++i) {
    for (auto& r : rules) r.check->CheckField(*message.extension(i), r.report.get());
  }
  for (int i = 0; i < message.real_oneof_decl_count(); ++i) {
    for (auto& r : rules) r.check->CheckOneof(*message.oneof_decl(i), r.report.get());
  }
  for (int i = 0; i < message.enum_type_count(); ++i) WalkEnum(*message.enum_type(i), rules);
  for (int i = 0; i < message.nested_type_count(); ++i) WalkMessage(*message.nested_type(i), rules);
}

void WalkFile(const pb::FileDescriptor& file, std::vector<ActiveRule>& rules) {
  for (auto& r : rules) r.check->CheckFile(file, r.report.get());
  for (int i = 0; i < file.message_type_count(); ++i) WalkMessage(*file.message_type(i), rules);
  for (int i = 0; i < file.enum_type_count(); ++i) WalkEnum(*file.enum_type(i), rules);
  for (int i = 0; i < file.extension_count(); ++i) {
    for (auto& r : rules) r.check->CheckField(*file.extension(i), r.report.get());
  }
  for (int i = 0; i < file.service_count(); ++i) {
    const pb::ServiceDescriptor& service = *file.service(i);
    for (auto& r : rules) r.check->CheckService(service, r.report.get());
    for (int j = 0; j < service.method_count(); ++j) {
      for (auto& r : rules) r.check->CheckMethod(*service.method(j), r.report.get());
    }
  }
}

bool UnderPath(const std::string& file, const std::string& prefix) {
  if (prefix.empty() || prefix == "." || prefix == "./") return true;
  if (file == prefix) return true;
  std::string dir = prefix.empty() || prefix.back() == '/' ? prefix : prefix + "/";
  return file.compare(0, dir.size(), dir) == 0;
}

}  // namespace

LintRule HookRule(std::string id, std::vector<std::string> categories, std::string summary,
                  LintHooks hooks) {
  return LintRule{std::move(id), std::move(categories), std::move(summary),
                  [hooks = std::move(hooks)](const SchemaImage&, const LintOptions&)
                      -> std::unique_ptr<LintCheck> { return std::make_unique<HookCheck>(hooks); }};
}

LintRule ConfiguredHookRule(std::string id, std::vector<std::string> categories,
                            std::string summary,
                            std::function<LintHooks(const LintOptions&)> hooks_for) {
  return LintRule{
      std::move(id), std::move(categories), std::move(summary),
      [hooks_for = std::move(hooks_for)](const SchemaImage&,
                                         const LintOptions& options) -> std::unique_ptr<LintCheck> {
        return std::make_unique<HookCheck>(hooks_for(options));
      }};
}

bool HasIgnoreDirective(const std::string& comments, const std::string& rule) {
  for (const char* marker : {"spoke:lint:ignore ", "buf:lint:ignore "}) {
    std::string wanted = std::string(marker) + rule;
    size_t at = comments.find(wanted);
    while (at != std::string::npos) {
      size_t end = at + wanted.size();
      // The ID must end there: FIELD_LOWER_SNAKE_CASE must not match FIELD_LOWER_SNAKE_CASE_X.
      if (end == comments.size() ||
          !(std::isalnum(static_cast<unsigned char>(comments[end])) || comments[end] == '_')) {
        return true;
      }
      at = comments.find(wanted, end);
    }
  }
  return false;
}

bool IsDocumentation(const std::string& comments) {
  // Lines that are blank or an ignore directive ("buf:lint:ignore X") document nothing.
  size_t start = 0;
  while (start < comments.size()) {
    size_t end = comments.find('\n', start);
    if (end == std::string::npos) end = comments.size();
    std::string line = comments.substr(start, end - start);
    size_t b = line.find_first_not_of(" \t\r");
    if (b != std::string::npos && line.compare(b, 17, "spoke:lint:ignore") != 0 &&
        line.compare(b, 15, "buf:lint:ignore") != 0) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

bool UnderAnyPrefix(const std::string& file, const std::vector<std::string>& prefixes) {
  for (const auto& prefix : prefixes) {
    if (UnderPath(file, prefix)) return true;
  }
  return false;
}

std::vector<std::string> Minimal() { return {"MINIMAL", "BASIC", "STANDARD"}; }
std::vector<std::string> Basic() { return {"BASIC", "STANDARD"}; }
std::vector<std::string> Standard() { return {"STANDARD"}; }

}  // namespace check

const std::vector<LintRule>& BuiltinLintRules() {
  static const std::vector<LintRule> rules = [] {
    std::vector<LintRule> out;
    check::AddNamingRules(&out);
    check::AddLayoutRules(&out);
    check::AddServiceRules(&out);
    check::AddCommentRules(&out);
    check::AddPackageRules(&out);
    std::sort(out.begin(), out.end(),
              [](const LintRule& a, const LintRule& b) { return a.id < b.id; });
    return out;
  }();
  return rules;
}

Result<LintConfig> LintConfigFromModuleConfig(const ModuleConfig& config) {
  LintConfig lint;
  for (const auto& entry : config.values) {
    // Named, not a structured binding, for the lambdas below to capture.
    const std::string& key = entry.first;
    const std::vector<std::string>& values = entry.second;
    if (key.rfind("lint.", 0) != 0) continue;
    std::string name = key.substr(5);
    auto one = [&](std::string* into) -> Status {
      if (values.size() != 1)
        return Status::InvalidArgument("spoke.yaml: lint." + name + " takes one value");
      *into = values[0];
      return Status::Ok();
    };
    auto flag = [&](bool* into) -> Status {
      std::string text;
      SPOKE_RETURN_IF_ERROR(one(&text));
      if (text != "true" && text != "false")
        return Status::InvalidArgument("spoke.yaml: lint." + name + " is true or false, not " +
                                       check::Quoted(text));
      *into = text == "true";
      return Status::Ok();
    };
    if (name == "use") {
      lint.use = values;
    } else if (name == "except") {
      lint.except = values;
    } else if (name == "ignore") {
      lint.ignore = values;
    } else if (name == "ignore_only") {
      for (const auto& item : values) {
        size_t space = item.find(' ');
        std::string rule = item.substr(0, space);
        std::string path =
            space == std::string::npos ? "" : item.substr(item.find_first_not_of(' ', space));
        if (path.empty() || path.find(' ') != std::string::npos) {
          return Status::InvalidArgument(
              "spoke.yaml: lint.ignore_only items are \"RULE_ID path\", "
              "not \"" +
              item + "\"");
        }
        lint.ignore_only[rule].push_back(path);
      }
    } else if (name == "enum_zero_value_suffix") {
      SPOKE_RETURN_IF_ERROR(one(&lint.options.enum_zero_value_suffix));
    } else if (name == "service_suffix") {
      SPOKE_RETURN_IF_ERROR(one(&lint.options.service_suffix));
    } else if (name == "rpc_allow_same_request_response") {
      SPOKE_RETURN_IF_ERROR(flag(&lint.options.rpc_allow_same_request_response));
    } else if (name == "rpc_allow_google_protobuf_empty_requests") {
      SPOKE_RETURN_IF_ERROR(flag(&lint.options.rpc_allow_google_protobuf_empty_requests));
    } else if (name == "rpc_allow_google_protobuf_empty_responses") {
      SPOKE_RETURN_IF_ERROR(flag(&lint.options.rpc_allow_google_protobuf_empty_responses));
    } else if (name == "disallow_comment_ignores") {
      bool disallow = false;
      SPOKE_RETURN_IF_ERROR(flag(&disallow));
      lint.comment_ignores = !disallow;
    } else {
      return Status::InvalidArgument(
          "spoke.yaml: unknown key lint." + name +
          " (known: use, except, ignore, ignore_only, enum_zero_value_suffix, service_suffix, "
          "rpc_allow_same_request_response, rpc_allow_google_protobuf_empty_requests, "
          "rpc_allow_google_protobuf_empty_responses, disallow_comment_ignores)");
    }
  }
  return lint;
}

Result<std::vector<std::string>> EnabledLintRules(const LintConfig& config,
                                                  const std::vector<LintRule>& rules) {
  // Each name is a rule ID or a category; both expand to a set of IDs.
  auto expand = [&rules](const std::string& name, std::set<std::string>* into) -> Status {
    bool known = false;
    for (const auto& rule : rules) {
      bool in_category =
          std::find(rule.categories.begin(), rule.categories.end(), name) != rule.categories.end();
      if (rule.id == name || in_category) {
        into->insert(rule.id);
        known = true;
      }
    }
    if (!known) {
      return Status::InvalidArgument(
          "unknown lint rule or category \"" + name +
          "\"; categories: MINIMAL, BASIC, STANDARD, COMMENTS, UNARY_RPC "
          "(spoke lint --list-rules lists the rules)");
    }
    return Status::Ok();
  };
  std::set<std::string> on, off;
  for (const auto& name : config.use) SPOKE_RETURN_IF_ERROR(expand(name, &on));
  for (const auto& name : config.except) SPOKE_RETURN_IF_ERROR(expand(name, &off));
  std::vector<std::string> out;
  for (const auto& id : on) {
    if (!off.count(id)) out.push_back(id);
  }
  return out;
}

Result<std::vector<Finding>> Lint(const SchemaImage& image, const LintConfig& config,
                                  const std::vector<LintRule>& extra_rules) {
  std::vector<LintRule> rules = BuiltinLintRules();
  rules.insert(rules.end(), extra_rules.begin(), extra_rules.end());
  std::set<std::string> ids;
  for (const auto& rule : rules) {
    if (!ids.insert(rule.id).second)
      return Status::InvalidArgument("two lint rules have the ID " + rule.id);
  }
  SPOKE_ASSIGN_OR_RETURN(std::vector<std::string> enabled, EnabledLintRules(config, rules));
  // ignore_only names rules or categories, like use and except.
  std::map<std::string, std::vector<std::string>> ignore_only;
  for (const auto& [name, paths] : config.ignore_only) {
    LintConfig just_this;
    just_this.use = {name};
    SPOKE_ASSIGN_OR_RETURN(std::vector<std::string> expanded, EnabledLintRules(just_this, rules));
    for (const auto& id : expanded) {
      ignore_only[id].insert(ignore_only[id].end(), paths.begin(), paths.end());
    }
  }
  std::vector<Finding> findings;
  std::vector<check::ActiveRule> active;
  for (const auto& rule : rules) {
    if (!std::binary_search(enabled.begin(), enabled.end(), rule.id)) continue;
    active.push_back(
        {rule.make(image, config.options),
         std::make_unique<check::RuleReport>(rule.id.c_str(), config.comment_ignores, &findings)});
  }
  // With paths (--path), as with buf, the rules see only those files: a rule comparing files
  // compares only them.
  const std::vector<std::string>& paths = config.options.paths;
  for (const auto* file : image.files()) {
    if (check::UnderAnyPrefix(file->name(), config.ignore)) continue;
    if (!paths.empty() && !check::UnderAnyPrefix(file->name(), paths)) continue;
    check::WalkFile(*file, active);
  }
  for (auto& r : active) r.check->Finish(r.report.get());
  // Rules that look across files (Finish) may still name an ignored file.
  std::erase_if(findings, [&](const Finding& f) {
    if (check::UnderAnyPrefix(f.file, config.ignore)) return true;
    if (!paths.empty() && !check::UnderAnyPrefix(f.file, paths)) return true;
    auto only = ignore_only.find(f.rule);
    return only != ignore_only.end() && check::UnderAnyPrefix(f.file, only->second);
  });
  SortFindings(&findings);
  return findings;
}

}  // namespace spoke
