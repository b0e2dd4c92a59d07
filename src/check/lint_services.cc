// Lint rules about services and RPCs (a Service suffix, request and response messages named after
// their RPC and used by it alone, optionally no streaming), and the COMMENTS rules: a leading
// comment on every public element.
#include <map>

#include "check/lint_support.h"
#include "check/locate.h"

namespace spoke::check {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The names an RPC's message may have: <Rpc><suffix>, or <Service><Rpc><suffix> with the service
// named with or without its "Service" suffix.
bool IsStandardName(const pb::MethodDescriptor& method, const std::string& type_name,
                    const std::string& suffix) {
  // Exactly buf's two names: the service's whole name, "Service" suffix included (buf does not
  // accept FooGetRequest for FooService.Get; 142 such findings in google-proto-files).
  const std::string& service = method.service()->name();
  return type_name == method.name() + suffix || type_name == service + method.name() + suffix;
}

constexpr char kEmpty[] = "google.protobuf.Empty";

// Every request and response type is used by one RPC only, so each can evolve with its RPC. As
// buf: one finding per RPC and type used by several RPCs (an RPC using one type both ways counts
// once, and has its own finding unless rpc_allow_same_request_response), at the `rpc` keyword.
class RequestResponseUniqueCheck : public LintCheck {
 public:
  explicit RequestResponseUniqueCheck(const LintOptions& options) : options_(options) {}
  void CheckMethod(const pb::MethodDescriptor& method, LintReport*) override {
    const std::string& input = method.input_type()->full_name();
    const std::string& output = method.output_type()->full_name();
    methods_.push_back(&method);
    users_[input].push_back(&method);
    if (output != input) users_[output].push_back(&method);
  }
  void Finish(LintReport* report) override {
    for (const auto* method : methods_) {
      const std::string& input = method->input_type()->full_name();
      const std::string& output = method->output_type()->full_name();
      if (input == output && !options_.rpc_allow_same_request_response &&
          !EmptyAllowed(input, *method)) {
        report->Add(*method, LintPart::kElement,
                    "RPC " + Quoted(method->name()) + " has the same type " + Quoted(input) +
                        " for the request and response.");
      }
      std::vector<std::string> types = {input};
      if (output != input) types.push_back(output);
      for (const std::string& type : types) {
        const auto& users = users_[type];
        if (users.size() < 2 || EmptyAllowed(type, *method)) continue;
        report->Add(*method, LintPart::kElement,
                    Quoted(type) + " is used as the request or response type for multiple RPCs.");
      }
    }
  }

 private:
  // google.protobuf.Empty may be shared by an RPC when allowed for every role it plays in it.
  bool EmptyAllowed(const std::string& type, const pb::MethodDescriptor& method) const {
    if (type != kEmpty) return false;
    bool as_request = method.input_type()->full_name() == type;
    bool as_response = method.output_type()->full_name() == type;
    return (!as_request || options_.rpc_allow_google_protobuf_empty_requests) &&
           (!as_response || options_.rpc_allow_google_protobuf_empty_responses);
  }

  const LintOptions& options_;
  std::vector<const pb::MethodDescriptor*> methods_;
  std::map<std::string, std::vector<const pb::MethodDescriptor*>> users_;
};

// The COMMENT_* rules: a leading comment that is more than ignore directives, reported at the
// element's keyword.
template <typename D>
void RequireComment(const D& d, const char* what, LintReport* report) {
  if (IsDocumentation(LeadingComments(d.file(), PathOf(&d)))) return;
  report->Add(d, LintPart::kElement,
              std::string(what) + " " + Quoted(d.name()) +
                  " should have a non-empty leading comment for documentation.");
}

}  // namespace

void AddServiceRules(std::vector<LintRule>* rules) {
  rules->push_back(ConfiguredHookRule(
      "SERVICE_SUFFIX", Standard(), "service names end in Service (lint.service_suffix)",
      [](const LintOptions& options) -> LintHooks {
        return {.service = [suffix = options.service_suffix](const pb::ServiceDescriptor& service,
                                                             LintReport* report) {
          if (EndsWith(service.name(), suffix)) return;
          report->Add(service, LintPart::kName,
                      "Service name " + Quoted(service.name()) + " should be suffixed with " +
                          Quoted(suffix) + ".");
        }};
      }));
  rules->push_back(ConfiguredHookRule(
      "RPC_REQUEST_STANDARD_NAME", Standard(),
      "RPC requests are named <Rpc>Request or <Service><Rpc>Request",
      [](const LintOptions& options) -> LintHooks {
        return {.method = [allow_empty = options.rpc_allow_google_protobuf_empty_requests](
                              const pb::MethodDescriptor& method, LintReport* report) {
          const std::string& name = method.input_type()->name();
          if (allow_empty && method.input_type()->full_name() == kEmpty) return;
          if (IsStandardName(method, name, "Request")) return;
          report->Add(method, LintPart::kType,
                      "RPC request type " + Quoted(name) + " should be named " +
                          Quoted(method.name() + "Request") + " or " +
                          Quoted(method.service()->name() + method.name() + "Request") + ".");
        }};
      }));
  rules->push_back(ConfiguredHookRule(
      "RPC_RESPONSE_STANDARD_NAME", Standard(),
      "RPC responses are named <Rpc>Response or <Service><Rpc>Response",
      [](const LintOptions& options) -> LintHooks {
        return {.method = [allow_empty = options.rpc_allow_google_protobuf_empty_responses](
                              const pb::MethodDescriptor& method, LintReport* report) {
          const std::string& name = method.output_type()->name();
          if (allow_empty && method.output_type()->full_name() == kEmpty) return;
          if (IsStandardName(method, name, "Response")) return;
          report->Add(method, LintPart::kOutput,
                      "RPC response type " + Quoted(name) + " should be named " +
                          Quoted(method.name() + "Response") + " or " +
                          Quoted(method.service()->name() + method.name() + "Response") + ".");
        }};
      }));
  rules->push_back(LintRule{"RPC_REQUEST_RESPONSE_UNIQUE", Standard(),
                            "each request and response message is used by one RPC only",
                            [](const SchemaImage&, const LintOptions& options) {
                              return std::make_unique<RequestResponseUniqueCheck>(options);
                            }});
  rules->push_back(HookRule("RPC_NO_CLIENT_STREAMING", {"UNARY_RPC"}, "RPCs do not stream requests",
                            {.method = [](const pb::MethodDescriptor& method, LintReport* report) {
                              if (!method.client_streaming()) return;
                              report->Add(method, LintPart::kType,
                                          "RPC " + Quoted(method.name()) + " is client streaming.");
                            }}));
  rules->push_back(HookRule("RPC_NO_SERVER_STREAMING", {"UNARY_RPC"},
                            "RPCs do not stream responses",
                            {.method = [](const pb::MethodDescriptor& method, LintReport* report) {
                              if (!method.server_streaming()) return;
                              report->Add(method, LintPart::kOutput,
                                          "RPC " + Quoted(method.name()) + " is server streaming.");
                            }}));
}

void AddCommentRules(std::vector<LintRule>* rules) {
  const std::vector<std::string> comments = {"COMMENTS"};
  rules->push_back(HookRule("COMMENT_MESSAGE", comments, "messages have a leading comment",
                            {.message = [](const pb::Descriptor& d, LintReport* r) {
                              RequireComment(d, "Message", r);
                            }}));
  rules->push_back(HookRule("COMMENT_FIELD", comments, "fields have a leading comment",
                            {.field = [](const pb::FieldDescriptor& d, LintReport* r) {
                              RequireComment(d, "Field", r);
                            }}));
  rules->push_back(HookRule("COMMENT_ONEOF", comments, "oneofs have a leading comment",
                            {.oneof = [](const pb::OneofDescriptor& d, LintReport* r) {
                              RequireComment(d, "Oneof", r);
                            }}));
  rules->push_back(HookRule("COMMENT_ENUM", comments, "enums have a leading comment",
                            {.enum_type = [](const pb::EnumDescriptor& d, LintReport* r) {
                              RequireComment(d, "Enum", r);
                            }}));
  rules->push_back(HookRule("COMMENT_ENUM_VALUE", comments, "enum values have a leading comment",
                            {.enum_value = [](const pb::EnumValueDescriptor& d, LintReport* r) {
                              RequireComment(d, "Enum value", r);
                            }}));
  rules->push_back(HookRule("COMMENT_SERVICE", comments, "services have a leading comment",
                            {.service = [](const pb::ServiceDescriptor& d, LintReport* r) {
                              RequireComment(d, "Service", r);
                            }}));
  rules->push_back(HookRule("COMMENT_RPC", comments, "RPCs have a leading comment",
                            {.method = [](const pb::MethodDescriptor& d, LintReport* r) {
                              RequireComment(d, "RPC", r);
                            }}));
}

}  // namespace spoke::check
