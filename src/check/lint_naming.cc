// Lint rules about names: the case of packages, messages, fields, oneofs, enums, enum values,
// services and RPCs, and the enum conventions (values prefixed by the enum's name, a zero value
// named *_UNSPECIFIED first, no aliases), and no required fields.
#include <cctype>

#include "check/lint_support.h"

namespace spoke::check {

namespace {

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Words of letters and digits joined by single underscores, starting with a letter of `first`.
bool IsSnake(const std::string& s, bool (*letter)(char)) {
  if (s.empty() || !letter(s[0])) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      if (i + 1 == s.size() || s[i + 1] == '_') return false;
    } else if (!letter(c) && !IsDigit(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsLowerSnakeCase(const std::string& s) { return IsSnake(s, IsLower); }
bool IsUpperSnakeCase(const std::string& s) { return IsSnake(s, IsUpper); }

bool IsPascalCase(const std::string& s) {
  if (s.empty() || !IsUpper(s[0])) return false;
  for (char c : s) {
    if (!IsUpper(c) && !IsLower(c) && !IsDigit(c)) return false;
  }
  return true;
}

std::string ToUpperSnakeCase(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      if (!out.empty() && out.back() != '_') out += '_';
      continue;
    }
    if (IsUpper(c) && i > 0 && !out.empty() && out.back() != '_') {
      char prev = s[i - 1];
      bool next_lower = i + 1 < s.size() && IsLower(s[i + 1]);
      // A word starts at an upper-case letter after a lower-case one or a digit ("fooBar"), or at
      // the last capital of an acronym followed by lower case ("HTTPServer" -> HTTP_SERVER).
      if (IsLower(prev) || IsDigit(prev) || (IsUpper(prev) && next_lower)) out += '_';
    }
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

void AddNamingRules(std::vector<LintRule>* rules) {
  rules->push_back(HookRule(
      "PACKAGE_LOWER_SNAKE_CASE", Basic(), "packages are lower_snake_case, dot-separated",
      {.file = [](const pb::FileDescriptor& file, LintReport* report) {
        const std::string& package = file.package();
        if (package.empty()) return;
        size_t start = 0;
        while (start <= package.size()) {
          size_t dot = package.find('.', start);
          std::string part =
              package.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
          if (!IsLowerSnakeCase(part)) {
            report->Add(file, "Package name " + Quoted(package) +
                                  " should be lower_snake.case, like \"company.userservice.v1\".");
            return;
          }
          if (dot == std::string::npos) break;
          start = dot + 1;
        }
      }}));
  rules->push_back(HookRule("MESSAGE_PASCAL_CASE", Basic(), "messages are PascalCase",
                            {.message = [](const pb::Descriptor& message, LintReport* report) {
                              if (IsPascalCase(message.name())) return;
                              report->Add(message, LintPart::kName,
                                          "Message name " + Quoted(message.name()) +
                                              " should be PascalCase.");
                            }}));
  rules->push_back(HookRule("FIELD_LOWER_SNAKE_CASE", Basic(), "fields are lower_snake_case",
                            {.field = [](const pb::FieldDescriptor& field, LintReport* report) {
                              // A group's field is named after its message type by protoc.
                              if (field.type() == pb::FieldDescriptor::TYPE_GROUP) return;
                              if (IsLowerSnakeCase(field.name())) return;
                              report->Add(field, LintPart::kName,
                                          "Field name " + Quoted(field.name()) +
                                              " should be lower_snake_case.");
                            }}));
  rules->push_back(HookRule("ONEOF_LOWER_SNAKE_CASE", Basic(), "oneofs are lower_snake_case",
                            {.oneof = [](const pb::OneofDescriptor& oneof, LintReport* report) {
                              if (IsLowerSnakeCase(oneof.name())) return;
                              report->Add(oneof, LintPart::kName,
                                          "Oneof name " + Quoted(oneof.name()) +
                                              " should be lower_snake_case.");
                            }}));
  rules->push_back(
      HookRule("ENUM_PASCAL_CASE", Basic(), "enums are PascalCase",
               {.enum_type = [](const pb::EnumDescriptor& enum_type, LintReport* report) {
                 if (IsPascalCase(enum_type.name())) return;
                 report->Add(enum_type, LintPart::kName,
                             "Enum name " + Quoted(enum_type.name()) + " should be PascalCase.");
               }}));
  rules->push_back(HookRule(
      "ENUM_VALUE_UPPER_SNAKE_CASE", Basic(), "enum values are UPPER_SNAKE_CASE",
      {.enum_value = [](const pb::EnumValueDescriptor& value, LintReport* report) {
        if (IsUpperSnakeCase(value.name())) return;
        report->Add(value, LintPart::kName,
                    "Enum value name " + Quoted(value.name()) + " should be UPPER_SNAKE_CASE.");
      }}));
  rules->push_back(
      HookRule("SERVICE_PASCAL_CASE", Basic(), "services are PascalCase",
               {.service = [](const pb::ServiceDescriptor& service, LintReport* report) {
                 if (IsPascalCase(service.name())) return;
                 report->Add(service, LintPart::kName,
                             "Service name " + Quoted(service.name()) + " should be PascalCase.");
               }}));
  rules->push_back(HookRule("RPC_PASCAL_CASE", Basic(), "RPCs are PascalCase",
                            {.method = [](const pb::MethodDescriptor& method, LintReport* report) {
                              if (IsPascalCase(method.name())) return;
                              report->Add(
                                  method, LintPart::kName,
                                  "RPC name " + Quoted(method.name()) + " should be PascalCase.");
                            }}));
  rules->push_back(HookRule(
      "ENUM_VALUE_PREFIX", Standard(), "enum values start with the enum's name in UPPER_SNAKE_CASE",
      {.enum_value = [](const pb::EnumValueDescriptor& value, LintReport* report) {
        std::string prefix = ToUpperSnakeCase(value.type()->name()) + "_";
        if (value.name().compare(0, prefix.size(), prefix) == 0) return;
        report->Add(value, LintPart::kName,
                    "Enum value name " + Quoted(value.name()) + " should be prefixed with " +
                        Quoted(prefix) + ".");
      }}));
  rules->push_back(ConfiguredHookRule(
      "ENUM_ZERO_VALUE_SUFFIX", Standard(),
      "the zero value of an enum is named *_UNSPECIFIED (lint.enum_zero_value_suffix)",
      [](const LintOptions& options) -> LintHooks {
        return {.enum_value = [suffix = options.enum_zero_value_suffix](
                                  const pb::EnumValueDescriptor& value, LintReport* report) {
          if (value.number() != 0) return;
          const std::string& name = value.name();
          if (name.size() >= suffix.size() &&
              name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            return;
          }
          report->Add(value, LintPart::kName,
                      "Enum zero value name " + Quoted(name) + " should be suffixed with " +
                          Quoted(suffix) + " (" + ToUpperSnakeCase(value.type()->name()) + suffix +
                          ").");
        }};
      }));
  rules->push_back(
      HookRule("ENUM_FIRST_VALUE_ZERO", Basic(), "the first value of an enum is zero",
               {.enum_type = [](const pb::EnumDescriptor& enum_type, LintReport* report) {
                 if (enum_type.value_count() == 0 || enum_type.value(0)->number() == 0) return;
                 report->Add(*enum_type.value(0), LintPart::kNumber,
                             "The first value of enum " + Quoted(enum_type.name()) +
                                 " should be zero: it is the default of fields of this type.");
               }}));
  rules->push_back(
      HookRule("ENUM_NO_ALLOW_ALIAS", Basic(), "enums do not set allow_alias",
               {.enum_type = [](const pb::EnumDescriptor& enum_type, LintReport* report) {
                 if (!enum_type.options().allow_alias()) return;
                 report->Add(enum_type, LintPart::kAllowAlias,
                             "Enum " + Quoted(enum_type.name()) +
                                 " sets allow_alias; aliases make names ambiguous in JSON.");
               }}));
  rules->push_back(
      HookRule("FIELD_NOT_REQUIRED", Basic(), "fields are not required (proto2 required)",
               {.field = [](const pb::FieldDescriptor& field, LintReport* report) {
                 if (!field.is_required()) return;
                 report->Add(field, LintPart::kName,
                             "Field named " + Quoted(field.name()) +
                                 " should not be required: a required field can never be removed.");
               }}));
}

}  // namespace spoke::check
