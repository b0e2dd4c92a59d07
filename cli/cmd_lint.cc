// spoke lint: the style rules of lint.h over a directory's .proto files, configured by its
// spoke.yaml, printed as file:line:col: message (RULE_ID) or as JSON.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "context.h"
#include "schema_input.h"
#include "spoke/buf_config.h"
#include "spoke/json.h"
#include "spoke/lint.h"

namespace spoke::cli {
namespace {

struct LintArgs {
  std::string dir = ".";
  std::vector<std::string> paths, use, except;
  bool json = false, list_rules = false;
};

CommandOutcome ListRules(const LintConfig& config, bool json) {
  auto enabled = EnabledLintRules(config, BuiltinLintRules());
  if (!enabled.ok()) return Usage(enabled.status());
  Json list = Json::MakeArray();
  for (const auto& rule : BuiltinLintRules()) {
    bool on = std::binary_search(enabled->begin(), enabled->end(), rule.id);
    std::string categories;
    for (const auto& c : rule.categories) categories += (categories.empty() ? "" : ",") + c;
    if (json) {
      Json entry = Json::MakeObject();
      entry.Set("id", rule.id);
      Json cats = Json::MakeArray();
      for (const auto& c : rule.categories) cats.Push(c);
      entry.Set("categories", std::move(cats));
      entry.Set("enabled", on);
      entry.Set("summary", rule.summary);
      list.Push(std::move(entry));
    } else {
      if (categories.empty()) categories = "(opt-in)";
      std::printf("%-33s %-3s %-24s %s\n", rule.id.c_str(), on ? "on" : "off", categories.c_str(),
                  rule.summary.c_str());
    }
  }
  if (json) std::printf("%s\n", list.Dump(2).c_str());
  return Status::Ok();
}

}  // namespace

void SetupLint(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  auto args = std::make_shared<LintArgs>();
  sub->add_option("-d,--dir", args->dir,
                  "The module directory (its spoke.yaml configures the rules)")
      ->capture_default_str();
  sub->add_option("--path", args->paths,
                  "Report only on this file or directory, relative to -dir (repeatable)");
  sub->add_option("--use", args->use,
                  "Rule IDs or categories to run, replacing spoke.yaml's lint.use (repeatable)");
  sub->add_option("--except", args->except,
                  "Rule IDs or categories to leave out, added to spoke.yaml's (repeatable)");
  sub->add_flag("--json", args->json,
                "Print {\"findings\": [{rule, file, line, column, message}]}");
  sub->add_flag("--list-rules", args->list_rules,
                "List every rule, its categories and whether it is on");
  sub->footer(
      "Categories: MINIMAL < BASIC < STANDARD (default); COMMENTS, UNARY_RPC and the rule\n"
      "STABLE_PACKAGE_NO_IMPORT_UNSTABLE are opt-in.\n"
      "spoke.yaml: a \"lint:\" section with \"use:\", \"except:\", \"ignore:\", "
      "\"ignore_only:\"\n"
      "and buf's rule options (docs/checks.md); without spoke.yaml, buf.yaml's lint section.\n"
      "An element (and what it holds) is exempted from a rule by a leading comment\n"
      "\"spoke:lint:ignore RULE_ID\" (or buf:lint:ignore), unless disallow_comment_ignores.\n"
      "Exit codes: 0 clean, 1 findings or errors, 2 usage error.");
  *run = [args, flags]() -> CommandOutcome {
    LintConfig config;
    // A spoke.yaml that cannot be looked at (ec set) is taken as absent, as LoadModuleConfig does.
    // With no spoke.yaml, buf.yaml says the same (buf_config.h).
    std::error_code ec;
    if (!args->list_rules || std::filesystem::exists(args->dir + "/" + kModuleConfigFile, ec) ||
        std::filesystem::exists(args->dir + "/" + kBufConfigFile, ec)) {
      auto module = LoadCheckConfig(args->dir);
      if (!module.ok()) return Usage(module.status());
      for (const auto& warning : module->warnings)
        std::fprintf(stderr, "warning: %s\n", warning.c_str());
      auto parsed = LintConfigFromModuleConfig(module->config);
      if (!parsed.ok()) return Usage(parsed.status());
      config = *parsed;
    }
    if (!args->use.empty()) config.use = args->use;
    config.except.insert(config.except.end(), args->except.begin(), args->except.end());
    if (auto enabled = EnabledLintRules(config, BuiltinLintRules()); !enabled.ok())
      return Usage(enabled.status());
    if (args->list_rules) return ListRules(config, args->json);

    auto input = LoadDirInput(args->dir, *flags);
    if (!input.ok()) {
      return UsageIfInvalid(input.status());
    }
    if (!args->paths.empty()) {
      // Every file stays in the image (PACKAGE_NO_IMPORT_CYCLE follows imports through them all);
      // Lint runs the rules on these only (LintOptions::paths).
      std::vector<std::string> all = (*input)->sources.targets;
      if (Status s = RestrictTargets(args->paths, &(*input)->sources); !s.ok()) return Usage(s);
      (*input)->sources.targets = std::move(all);
    }
    auto image = SchemaImage::Build((*input)->sources);
    if (!image.ok()) {
      std::printf("%s\n", image.status().message().c_str());
      return CommandOutcome::Shown(true);
    }
    config.options.paths = args->paths;
    auto findings = Lint(**image, config);
    if (!findings.ok()) return Usage(findings.status());
    if (args->json) {
      Json out = Json::MakeObject();
      out.Set("findings", FindingsToJson(*findings));
      std::printf("%s\n", out.Dump(2).c_str());
    } else {
      std::fputs(FormatFindings(*findings).c_str(), stdout);
    }
    return CommandOutcome::Shown(!findings->empty());
  };
}

}  // namespace spoke::cli
