// spoke gc: removes what a store no longer needs (gc.h): unreferenced objects older than the
// grace, stale quarantines, and least recently used artifacts over a size bound.
#include <chrono>
#include <cstdio>

#include "compile_common.h"
#include "context.h"
#include "duration.h"
#include "plural.h"
#include "spoke/gc.h"
#include "spoke/json.h"

namespace spoke::cli {
namespace {

// "1.5 MiB": sizes for people; --json has the exact bytes.
std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

Json ReportToJson(const std::string& store, const GcReport& r) {
  Json out = Json::MakeObject();
  out.Set("store", store);
  out.Set("dry_run", r.dry_run);
  auto set = [&out](const char* key, uint64_t value) { out.Set(key, static_cast<int64_t>(value)); };
  set("objects_before", r.objects_before);
  set("objects_after", r.objects_after);
  set("objects_removed", r.objects_removed);
  set("unreferenced", r.unreferenced);
  set("kept_by_grace", r.kept_by_grace);
  set("bytes_before", r.bytes_before);
  set("bytes_after", r.bytes_after);
  set("packs_before", r.packs_before);
  set("packs_after", r.packs_after);
  set("loose_before", r.loose_before);
  set("loose_after", r.loose_after);
  out.Set("quarantines_removed", static_cast<int64_t>(r.quarantines_removed));
  set("artifacts_before", r.artifacts_before);
  set("artifact_bytes_before", r.artifact_bytes_before);
  set("artifact_bytes_after", r.artifact_bytes_after);
  Json removed = Json::MakeArray();
  for (const auto& a : r.artifacts_removed) {
    Json entry = Json::MakeObject();
    entry.Set("key", a.key);
    entry.Set("bytes", static_cast<int64_t>(a.bytes));
    entry.Set("last_used", a.last_used);
    removed.Push(std::move(entry));
  }
  out.Set("artifacts_removed", std::move(removed));
  return out;
}

void PrintReport(const std::string& store, const GcReport& r) {
  const char* verb = r.dry_run ? "would remove" : "removed";
  std::printf("%s%s\n", store.c_str(), r.dry_run ? " (dry run: nothing removed)" : "");
  std::printf("objects: %s %s of %s unreferenced (%s kept, younger than the grace)\n", verb,
              std::to_string(r.objects_removed).c_str(), std::to_string(r.unreferenced).c_str(),
              std::to_string(r.kept_by_grace).c_str());
  std::printf(
      "objects: %llu before, %llu after; %llu packs and %llu loose before, %llu and %llu "
      "after\n",
      static_cast<unsigned long long>(r.objects_before),
      static_cast<unsigned long long>(r.objects_after),
      static_cast<unsigned long long>(r.packs_before),
      static_cast<unsigned long long>(r.loose_before),
      static_cast<unsigned long long>(r.packs_after),
      static_cast<unsigned long long>(r.loose_after));
  std::printf("bytes: %s before, %s after%s\n", HumanBytes(r.bytes_before).c_str(),
              HumanBytes(r.bytes_after).c_str(), r.dry_run ? " at most" : "");
  std::printf("quarantines: %s %s\n", verb,
              Plural(r.quarantines_removed, "stale quarantine").c_str());
  std::printf("artifacts: %s %s of %s (%s before, %s after)\n", verb,
              std::to_string(r.artifacts_removed.size()).c_str(),
              std::to_string(r.artifacts_before).c_str(),
              HumanBytes(r.artifact_bytes_before).c_str(),
              HumanBytes(r.artifact_bytes_after).c_str());
  for (const auto& a : r.artifacts_removed)
    std::printf("  %s  %s\n", a.key.c_str(), HumanBytes(a.bytes).c_str());
}

}  // namespace

// The store is named by --storage-dir or is the local one: no registry is involved.
void SetupGc(CLI::App* sub, const GlobalFlags* /*flags*/, CommandRunner* run) {
  struct Args {
    std::string storage_dir, prune = "1h", max_artifact_bytes;
    bool dry_run = false, json = false;
  };
  auto args = std::make_shared<Args>();
  sub->description(
      "Remove what a store no longer needs: objects no ref reaches (everything a ref reaches is "
      "repacked into one pack), quarantines left by dead processes, and the least recently used "
      "artifacts over --max-artifact-bytes. Objects and quarantines younger than "
      "--prune-older-than are kept, so a push in flight loses nothing; versions are never removed. "
      "Safe while a server serves the store; a second gc on the same store is refused.");
  sub->add_option("--storage-dir", args->storage_dir,
                  "The store: a registry's -storage-dir (default: the local store, $SPOKE_HOME or "
                  "~/.spoke)");
  sub->add_flag("--dry-run", args->dry_run, "Report what would be removed; remove nothing");
  sub->add_flag("--json", args->json, "Print the report as JSON");
  sub->add_option("--prune-older-than", args->prune,
                  "Grace for unreferenced objects and stale quarantines (default 1h; 0 for none)");
  sub->add_option(
      "--max-artifact-bytes", args->max_artifact_bytes,
      "Drop least recently used artifacts until they add up to at most this (500M, 2G)");
  *run = [args]() -> CommandOutcome {
    GcOptions options;
    options.dry_run = args->dry_run;
    auto grace = ParseDuration(args->prune);
    if (!grace.ok()) return Usage(grace.status().WithContext("--prune-older-than"));
    options.prune_older_than = std::chrono::duration_cast<std::chrono::seconds>(*grace);
    if (!args->max_artifact_bytes.empty()) {
      auto max = ParseSize(args->max_artifact_bytes);
      if (!max.ok()) return Usage(max.status().WithContext("--max-artifact-bytes"));
      if (*max == 0) return Usage(Status::InvalidArgument("--max-artifact-bytes must be above 0"));
      options.max_artifact_bytes = *max;
    }
    const std::string store = args->storage_dir.empty() ? LocalStorePath() : args->storage_dir;
    auto report = CollectGarbage(store, options);
    if (!report.ok()) {
      if (report.status().code() == Status::Code::kNotFound && !args->storage_dir.empty())
        return Usage(report.status().WithContext("--storage-dir"));
      return report.status();
    }
    if (args->json) {
      std::printf("%s\n", ReportToJson(store, *report).Dump(2).c_str());
    } else {
      PrintReport(store, *report);
    }
    return Status::Ok();
  };
}

}  // namespace spoke::cli
