// spoke compat: show or set a module's compatibility level on the registry (the policy that refuses
// versions breaking the previous release of their major version; policy.h).
#include <cstdio>

#include "context.h"
#include "spoke/json.h"
#include "spoke/names.h"
#include "spoke/policy.h"

namespace spoke::cli {

void SetupCompat(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    std::string module, set;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  sub->add_option("-m,--module", args->module, "Module name")->required();
  sub->add_option("--set", args->set,
                  "New level: FILE, PACKAGE, WIRE_JSON, WIRE (strictest first) or NONE");
  sub->add_flag("--json", args->json, "Print {\"name\", \"compatibility\"}");
  *run = [args, flags]() -> CommandOutcome {
    if (Status s = ValidateModuleName(args->module); !s.ok()) return Usage(s);
    std::string level;
    if (!args->set.empty()) {
      auto parsed = ParseCompatibility(args->set);
      if (!parsed.ok()) return Usage(parsed.status());
      level = CompatibilityName(*parsed);
    }
    auto remote = ConnectRegistry(*flags);
    if (!remote.ok()) return Usage(remote.status());
    Result<Json> answer = Status::Internal("");
    if (args->set.empty()) {
      answer = (*remote)->GetModule(args->module);
    } else {
      answer = (*remote)->SetCompatibility(args->module, level);
    }
    if (!answer.ok()) return answer.status();
    if (args->json) {
      Json out = Json::MakeObject();
      out.Set("name", answer->GetString("name"));
      out.Set("compatibility", answer->GetString("compatibility"));
      std::printf("%s\n", out.Dump(2).c_str());
    } else {
      std::printf("%s: %s\n", answer->GetString("name").c_str(),
                  answer->GetString("compatibility").c_str());
    }
    return Status::Ok();
  };
}

}  // namespace spoke::cli
