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
  std::string service = method.service()->name();
  if (type_name == method.name() + suffix || type_name == service + method.name() + suffix)
    return true;
  if (EndsWith(service, "Service")) {
    service.resize(service.size() - 7);
    return type_name == service + method.name() + suffix;
  }
  return false;
}

// Every request and response type is used by one RPC only, in one role only, so each can evolve
// with its RPC.
class RequestResponseUniqueCheck : public LintCheck {
 public:
  void CheckMethod(const pb::MethodDescriptor& method, LintReport*) override {
    uses_[method.input_type()->full_name()].push_back({&method, true});
    uses_[method.output_type()->full_name()].push_back({&method, false});
  }
  void Finish(LintReport* report) override {
    for (const auto& [type, uses] : uses_) {
      if (uses.size() < 2) continue;
      for (const auto& use : uses) {
        std::string role = use.request ? "request" : "response";
        report->Add(*use.method, use.request ? LintPart::kType : LintPart::kOutput,
                    "RPC " + Quoted(use.method->name()) + " has " + role + " type " + Quoted(type) +
                        ", which is used " + std::to_string(uses.size()) +
                        " times as a request or response; give each RPC its own request and "
                        "response messages.");
      }
    }
  }

 private:
  struct Use {
    const pb::MethodDescriptor* method;
    bool request;
  };
  std::map<std::string, std::vector<Use>> uses_;
};

bool HasLeadingComment(const pb::FileDescriptor* file, const std::vector<int>& path) {
  std::string comment = LeadingComments(file, path);
  return comment.find_first_not_of(" \t\r\n") != std::string::npos;
}

std::string NeedsComment(const char* what, const std::string& name) {
  return std::string(what) + " " + Quoted(name) +
         " should have a non-empty leading comment for documentation.";
}

}  // namespace

void AddServiceRules(std::vector<LintRule>* rules) {
  rules->push_back(HookRule(
      "SERVICE_SUFFIX", Standard(), "service names end in Service",
      {.service = [](const pb::ServiceDescriptor& service, LintReport* report) {
        if (EndsWith(service.name(), "Service")) return;
        report->Add(
            service, LintPart::kName,
            "Service name " + Quoted(service.name()) + " should be suffixed with \"Service\".");
      }}));
  rules->push_back(HookRule(
      "RPC_REQUEST_STANDARD_NAME", Standard(),
      "RPC requests are named <Rpc>Request or <Service><Rpc>Request",
      {.method = [](const pb::MethodDescriptor& method, LintReport* report) {
        const std::string& name = method.input_type()->name();
        if (IsStandardName(method, name, "Request")) return;
        report->Add(method, LintPart::kType,
                    "RPC request type " + Quoted(name) + " should be named " +
                        Quoted(method.name() + "Request") + " or " +
                        Quoted(method.service()->name() + method.name() + "Request") + ".");
      }}));
  rules->push_back(HookRule(
      "RPC_RESPONSE_STANDARD_NAME", Standard(),
      "RPC responses are named <Rpc>Response or <Service><Rpc>Response",
      {.method = [](const pb::MethodDescriptor& method, LintReport* report) {
        const std::string& name = method.output_type()->name();
        if (IsStandardName(method, name, "Response")) return;
        report->Add(method, LintPart::kOutput,
                    "RPC response type " + Quoted(name) + " should be named " +
                        Quoted(method.name() + "Response") + " or " +
                        Quoted(method.service()->name() + method.name() + "Response") + ".");
      }}));
  rules->push_back(
      LintRule{"RPC_REQUEST_RESPONSE_UNIQUE", Standard(),
               "each request and response message is used by one RPC only",
               [](const SchemaImage&) { return std::make_unique<RequestResponseUniqueCheck>(); }});
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
                            {.message = [](const pb::Descriptor& d, LintReport* report) {
                              if (!HasLeadingComment(d.file(), PathOf(&d))) {
                                report->Add(d, LintPart::kName, NeedsComment("Message", d.name()));
                              }
                            }}));
  rules->push_back(HookRule("COMMENT_FIELD", comments, "fields have a leading comment",
                            {.field = [](const pb::FieldDescriptor& d, LintReport* report) {
                              if (!HasLeadingComment(d.file(), PathOf(&d))) {
                                report->Add(d, LintPart::kName, NeedsComment("Field", d.name()));
                              }
                            }}));
  rules->push_back(HookRule("COMMENT_ONEOF", comments, "oneofs have a leading comment",
                            {.oneof = [](const pb::OneofDescriptor& d, LintReport* report) {
                              if (!HasLeadingComment(d.file(), PathOf(&d))) {
                                report->Add(d, LintPart::kName, NeedsComment("Oneof", d.name()));
                              }
                            }}));
  rules->push_back(HookRule("COMMENT_ENUM", comments, "enums have a leading comment",
                            {.enum_type = [](const pb::EnumDescriptor& d, LintReport* report) {
                              if (!HasLeadingComment(d.file(), PathOf(&d))) {
                                report->Add(d, LintPart::kName, NeedsComment("Enum", d.name()));
                              }
                            }}));
  rules->push_back(
      HookRule("COMMENT_ENUM_VALUE", comments, "enum values have a leading comment",
               {.enum_value = [](const pb::EnumValueDescriptor& d, LintReport* report) {
                 if (!HasLeadingComment(d.file(), PathOf(&d))) {
                   report->Add(d, LintPart::kName, NeedsComment("Enum value", d.name()));
                 }
               }}));
  rules->push_back(HookRule("COMMENT_SERVICE", comments, "services have a leading comment",
                            {.service = [](const pb::ServiceDescriptor& d, LintReport* report) {
                              if (!HasLeadingComment(d.file(), PathOf(&d))) {
                                report->Add(d, LintPart::kName, NeedsComment("Service", d.name()));
                              }
                            }}));
  rules->push_back(HookRule("COMMENT_RPC", comments, "RPCs have a leading comment",
                            {.method = [](const pb::MethodDescriptor& d, LintReport* report) {
                              if (!HasLeadingComment(d.file(), PathOf(&d))) {
                                report->Add(d, LintPart::kName, NeedsComment("RPC", d.name()));
                              }
                            }}));
}

}  // namespace spoke::check
