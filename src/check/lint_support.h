// What the built-in lint rules share: rules made from plain functions (most rules look at one kind
// of element and keep no state), the name-case predicates, and the lists the rule files add to.
#ifndef SPOKE_CHECK_LINT_SUPPORT_H_
#define SPOKE_CHECK_LINT_SUPPORT_H_

#include <functional>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.pb.h>

#include "spoke/sys/lint_rule.h"

namespace spoke::check {

namespace pb = google::protobuf;

// Hooks for a stateless rule; unset ones do nothing.
struct LintHooks {
  std::function<void(const pb::FileDescriptor&, LintReport*)> file = nullptr;
  std::function<void(const pb::Descriptor&, LintReport*)> message = nullptr;
  std::function<void(const pb::FieldDescriptor&, LintReport*)> field = nullptr;
  std::function<void(const pb::OneofDescriptor&, LintReport*)> oneof = nullptr;
  std::function<void(const pb::EnumDescriptor&, LintReport*)> enum_type = nullptr;
  std::function<void(const pb::EnumValueDescriptor&, LintReport*)> enum_value = nullptr;
  std::function<void(const pb::ServiceDescriptor&, LintReport*)> service = nullptr;
  std::function<void(const pb::MethodDescriptor&, LintReport*)> method = nullptr;
};

LintRule HookRule(std::string id, std::vector<std::string> categories, std::string summary,
                  LintHooks hooks);

// A rule whose hooks depend on the configured options: `hooks_for` makes them for each run.
LintRule ConfiguredHookRule(std::string id, std::vector<std::string> categories,
                            std::string summary,
                            std::function<LintHooks(const LintOptions&)> hooks_for);

// Whether `comments` hold "spoke:lint:ignore RULE" or "buf:lint:ignore RULE" for this rule.
bool HasIgnoreDirective(const std::string& comments, const std::string& rule);
// Whether `comments` say anything besides ignore directives (what the COMMENT_* rules want).
bool IsDocumentation(const std::string& comments);
// Whether `file` is one of `prefixes` or under one of them (directories).
bool UnderAnyPrefix(const std::string& file, const std::vector<std::string>& prefixes);

// The category lists rules belong to: each category includes the ones before it.
std::vector<std::string> Minimal();   // MINIMAL, BASIC, STANDARD
std::vector<std::string> Basic();     // BASIC, STANDARD
std::vector<std::string> Standard();  // STANDARD

bool IsLowerSnakeCase(const std::string& s);  // foo_bar2
bool IsUpperSnakeCase(const std::string& s);  // FOO_BAR2
bool IsPascalCase(const std::string& s);      // FooBar2
// "HTTPServerError" -> "HTTP_SERVER_ERROR", "FooBar" -> "FOO_BAR": an enum name as a value prefix.
std::string ToUpperSnakeCase(const std::string& s);
std::string Quoted(const std::string& s);
// A package's version component: "v1", "v1beta1", "v2alpha", "v1p1beta1", "v1test"
// (lint_layout.cc).
bool IsVersionComponent(const std::string& s);

// Rule families, one file each.
void AddNamingRules(std::vector<LintRule>* rules);   // lint_naming.cc
void AddLayoutRules(std::vector<LintRule>* rules);   // lint_layout.cc
void AddServiceRules(std::vector<LintRule>* rules);  // lint_services.cc
void AddCommentRules(std::vector<LintRule>* rules);  // lint_services.cc
void AddPackageRules(std::vector<LintRule>* rules);  // lint_packages.cc

}  // namespace spoke::check

#endif  // SPOKE_CHECK_LINT_SUPPORT_H_
