// `spoke-server migrate`: parses its flags, runs the import and prints its progress and summary.
#include "server_migrate.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "exit_code.h"
#include "program_args.h"
#include "spoke/json.h"
#include "spoke/sys/postgres_import.h"

namespace spoke::cli {
namespace {

int Exit(const CommandOutcome& outcome) { return ExitWith(outcome, "spoke-server migrate"); }

Json SummaryJson(const PostgresImport& summary) {
  Json json = Json::MakeObject();
  json.Set("refs", summary.refs);
  json.Set("refs_added", summary.refs_added);
  json.Set("refs_moved", summary.refs_moved);
  json.Set("refs_present", summary.refs_present);
  json.Set("other_refs", summary.other_refs);
  json.Set("objects_checked", summary.objects_checked);
  json.Set("objects_added", summary.objects_added);
  json.Set("packs_added", summary.packs_added);
  json.Set("pack_bytes", summary.pack_bytes);
  return json;
}

}  // namespace

int MigrateMain(int argc, char** argv) {
  CLI::App app{
      "spoke-server migrate: import a store on files (-storage-dir) into a PostgreSQL database, "
      "so spoke-servers on --postgres serve it. Its refs (versions, module branches and records, "
      "artifacts) and every object they reach move, after the store is checked as received packs "
      "are (fsck); the refs go in one transaction. Run it again to add what the store gained: "
      "refs already there are left, a ref the database holds with another target refuses the "
      "whole import (exit 1, nothing written). Not migrated: the config file's settings, "
      "spoke-tokens.json (create the tokens again with spoke-server token create --postgres), "
      "Sprocket's queue, states and failure log (artifacts compile again), artifact-use/ (gc's "
      "clock) and objects no ref reaches (docs/storage.md, \"Migrating a store\")"};
  std::string storage_dir = "spoke-data";
  app.add_option("-s,--storage-dir", storage_dir, "The store to import (left unchanged)")
      ->capture_default_str();
  std::string postgres_url;
  if (const char* url = std::getenv("SPOKE_POSTGRES"); url && *url) postgres_url = url;
  app.add_option("--postgres", postgres_url,
                 "The database to import into (libpq URL; default $SPOKE_POSTGRES)");
  bool json = false;
  app.add_flag("--json", json, "Print the summary as JSON (progress then goes to stderr)");
  app.footer("Flags may be spelled -flag or --flag. Exit codes: 0 ok, 1 failure, 2 usage error.");
  if (auto exit_code = ParseProgramArgs(app, argc, argv)) return *exit_code;
  if (postgres_url.empty()) {
    return Exit(
        Usage(Status::InvalidArgument("give the database: --postgres URL or SPOKE_POSTGRES")));
  }
  FILE* progress_out = json ? stderr : stdout;
  auto imported =
      ImportStoreToPostgres(storage_dir, postgres_url, [progress_out](const std::string& line) {
        std::fprintf(progress_out, "spoke-server migrate: %s\n", line.c_str());
        std::fflush(progress_out);
      });
  if (!imported.ok()) return Exit(imported.status());
  if (json) {
    std::printf("%s\n", SummaryJson(*imported).Dump().c_str());
  } else if (imported->refs_added == 0 && imported->refs_moved == 0) {
    std::printf("spoke-server migrate: nothing added: all %lld refs were in the database already\n",
                static_cast<long long>(imported->refs));
  } else {
    std::printf(
        "spoke-server migrate: added %lld refs, moved %lld branches, added %lld objects in %lld "
        "packs (%lld bytes); %lld refs were there already, %lld other refs in the database left "
        "as they are\n",
        static_cast<long long>(imported->refs_added), static_cast<long long>(imported->refs_moved),
        static_cast<long long>(imported->objects_added),
        static_cast<long long>(imported->packs_added), static_cast<long long>(imported->pack_bytes),
        static_cast<long long>(imported->refs_present),
        static_cast<long long>(imported->other_refs));
  }
  return 0;
}

}  // namespace spoke::cli
