// spoke breaking: compare a directory's schema against an earlier version (a module version from
// the local store or the registry, or another directory) and print what breaks at a level.
#include <algorithm>
#include <cstdio>
#include <future>

#include "context.h"
#include "schema_input.h"
#include "spoke/breaking.h"
#include "spoke/buf_config.h"
#include "spoke/json.h"

namespace spoke::cli {
namespace {

struct BreakingArgs {
  std::string dir = ".", against, against_dir, level;
  std::vector<std::string> except;
  bool json = false, list_rules = false, report_nested_deletions = false;
};

// "on" when the options check the rule; an alias is on when every rule it stands for is.
CommandOutcome ListRules(const BreakingOptions& options, bool json) {
  Json list = Json::MakeArray();
  for (const auto& rule : BreakingRules()) {
    bool on = BreakingRuleEnabled(options, rule.id);
    std::string levels;
    for (auto l : rule.levels)
      levels += std::string(levels.empty() ? "" : ",") + BreakingLevelName(l);
    if (levels.empty()) levels = "-";
    if (json) {
      Json entry = Json::MakeObject();
      entry.Set("id", rule.id);
      Json names = Json::MakeArray();
      for (auto l : rule.levels) names.Push(BreakingLevelName(l));
      entry.Set("levels", std::move(names));
      entry.Set("enabled", on);
      entry.Set("deprecated", rule.deprecated);
      if (!rule.replaced_by.empty()) {
        Json replaced_by = Json::MakeArray();
        for (const auto& id : rule.replaced_by) replaced_by.Push(id);
        entry.Set("replaced_by", std::move(replaced_by));
      }
      entry.Set("summary", rule.summary);
      list.Push(std::move(entry));
    } else {
      std::printf("%-46s %-3s %-28s %s\n", rule.id.c_str(), on ? "on" : "off", levels.c_str(),
                  rule.summary.c_str());
    }
  }
  if (json) std::printf("%s\n", list.Dump(2).c_str());
  return Status::Ok();
}

Result<std::unique_ptr<SchemaImage>> BuildImage(const SchemaInput& input) {
  auto image = SchemaImage::Build(input.sources);
  if (!image.ok()) return image.status().WithContext(input.label + " does not compile");
  return image;
}

}  // namespace

void SetupBreaking(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  auto args = std::make_shared<BreakingArgs>();
  sub->add_option("-d,--dir", args->dir, "The module directory holding the new schema")
      ->capture_default_str();
  sub->add_option(
      "--against", args->against,
      "The earlier version, module@version (from the local store, else fetched like spoke pull)");
  sub->add_option("--against-dir", args->against_dir, "The earlier version as a directory");
  sub->add_option(
      "--level", args->level,
      "FILE, PACKAGE, WIRE_JSON or WIRE (default: spoke.yaml's breaking.level or breaking.use, "
      "else FILE)");
  sub->add_option("--except", args->except,
                  "Rule IDs (or levels) not to check, added to spoke.yaml's (repeatable)");
  sub->add_flag("--report-nested-deletions", args->report_nested_deletions,
                "Also report each message, enum and extension nested in a deleted message (as "
                "buf does; default: spoke.yaml's breaking.report_nested_deletions, else only the "
                "outermost)");
  sub->add_flag(
      "--json", args->json,
      "Print {\"level\", \"against\", \"findings\": [{rule, file, line, column, message}]}");
  sub->add_flag("--list-rules", args->list_rules, "List every rule and the levels that check it");
  sub->footer(
      "Levels, strictest first: FILE (generated code per file), PACKAGE (per package), WIRE_JSON\n"
      "(binary and JSON encodings), WIRE (binary encoding only).\n"
      "Exit codes: 0 nothing breaks, 1 findings or errors, 2 usage error.");
  *run = [args, flags]() -> CommandOutcome {
    BreakingOptions options;
    // spoke.yaml, else buf.yaml mapped onto it (buf_config.h).
    auto module = LoadCheckConfig(args->dir);
    if (!module.ok()) return Usage(module.status());
    for (const auto& warning : module->warnings)
      std::fprintf(stderr, "warning: %s\n", warning.c_str());
    auto configured = BreakingOptionsFromConfig(module->config);
    if (!configured.ok()) return Usage(configured.status());
    options = *configured;
    if (!args->level.empty()) {
      auto level = ParseBreakingLevel(args->level);
      if (!level.ok()) return Usage(level.status());
      options.level = *level;
      options.use.clear();  // the flag replaces spoke.yaml's choice of rules
    }
    if (args->report_nested_deletions) options.report_nested_deletions = true;
    for (const auto& id : args->except) {
      if (!IsBreakingRuleId(id) && !ParseBreakingLevel(id).ok())
        return Usage(
            Status::InvalidArgument("unknown breaking rule " + id + " (see --list-rules)"));
      options.except.push_back(id);
    }
    if (args->list_rules) return ListRules(options, args->json);
    if (args->against.empty() == args->against_dir.empty()) {
      return Usage(Status::InvalidArgument(
          "give exactly one of --against module@version or --against-dir DIR"));
    }
    auto current = LoadDirInput(args->dir, *flags);
    if (!current.ok()) {
      return UsageIfInvalid(current.status());
    }
    auto previous = args->against_dir.empty() ? LoadVersionInput(args->against, *flags)
                                              : LoadDirInput(args->against_dir, *flags);
    if (!previous.ok()) {
      return UsageIfInvalid(previous.status());
    }
    // The two versions parse on two threads: they share nothing.
    auto previous_image = std::async(std::launch::async, [&] { return BuildImage(**previous); });
    auto current_image = BuildImage(**current);
    auto previous_built = previous_image.get();
    if (!current_image.ok()) return current_image.status();
    if (!previous_built.ok()) return previous_built.status();
    std::vector<Finding> findings = CheckBreaking(**previous_built, **current_image, options);
    if (args->json) {
      Json out = Json::MakeObject();
      out.Set("level", BreakingLevelName(options.level));
      if (!options.use.empty()) {
        Json use = Json::MakeArray();
        for (const auto& name : options.use) use.Push(name);
        out.Set("use", std::move(use));
      }
      out.Set("against", (*previous)->label);
      out.Set("findings", FindingsToJson(findings));
      std::printf("%s\n", out.Dump(2).c_str());
    } else {
      std::fputs(FormatFindings(findings).c_str(), stdout);
    }
    return CommandOutcome::Shown(!findings.empty());
  };
}

}  // namespace spoke::cli
