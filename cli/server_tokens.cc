// `spoke-server token`: creates, lists and revokes the tokens of a store's spoke-tokens.json, or
// of a store shared in PostgreSQL (--postgres).
#include "server_tokens.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "exit_code.h"
#include "program_args.h"
#include "spoke/json.h"
#include "spoke/store.h"
#include "spoke/sys/postgres_tokens.h"
#include "spoke/time_text.h"
#include "spoke/tokens.h"

namespace spoke::cli {
namespace {

int Exit(const CommandOutcome& outcome) { return ExitWith(outcome, "spoke-server token"); }

std::string ScopeList(const TokenRecord& record) {
  std::string out;
  for (const TokenScope& scope : record.scopes) out += (out.empty() ? "" : ",") + scope.ToString();
  return out;
}

// The store's path as the server names it; the store must exist (a token for a registry that
// has never run is a typo's sign).
Result<std::string> StorePath(const std::string& dir) {
  SPOKE_ASSIGN_OR_RETURN(auto store, Store::Open(dir, /*create=*/false));
  return store->path();
}

}  // namespace

int TokenMain(int argc, char** argv) {
  CLI::App app{"spoke-server token: the registry's bearer tokens with scopes"};
  app.require_subcommand(1);
  std::string storage_dir = "spoke-data";
  app.add_option("-s,--storage-dir", storage_dir, "The server's store")->capture_default_str();
  std::string postgres_url;
  if (const char* url = std::getenv("SPOKE_POSTGRES"); url && *url) postgres_url = url;
  const std::string postgres_help =
      "The tokens of the store shared in this PostgreSQL database (as spoke-server --postgres; "
      "default $SPOKE_POSTGRES) instead of -storage-dir's spoke-tokens.json";
  app.add_option("--postgres", postgres_url, postgres_help);

  std::string name;
  std::vector<std::string> scope_texts;
  CLI::App* create = app.add_subcommand(
      "create", "Make a token and print it, once: the store keeps only its SHA-256");
  create->add_option("--name", name, "A name for the token, unique in the store")->required();
  create
      ->add_option("--scope", scope_texts,
                   "read, write, write:MODULE-PREFIX (module names starting with it) or admin; "
                   "may repeat")
      ->required();
  create->add_option("-s,--storage-dir", storage_dir, "The server's store");
  create->add_option("--postgres", postgres_url, postgres_help);

  bool json = false;
  CLI::App* list = app.add_subcommand("list", "List the tokens (never their secrets)");
  list->add_flag("--json", json, "Print JSON for scripts");
  list->add_option("-s,--storage-dir", storage_dir, "The server's store");
  list->add_option("--postgres", postgres_url, postgres_help);

  std::string which;
  CLI::App* revoke =
      app.add_subcommand("revoke", "Remove a token; a running server refuses it at once");
  revoke->add_option("name-or-id", which, "The token's name or id")->required();
  revoke->add_option("-s,--storage-dir", storage_dir, "The server's store");
  revoke->add_option("--postgres", postgres_url, postgres_help);
  app.footer("Flags may be spelled -flag or --flag. Exit codes: 0 ok, 1 failure, 2 usage error.");
  if (auto exit_code = ParseProgramArgs(app, argc, argv)) return *exit_code;

  std::unique_ptr<TokenStore> token_store;
  if (!postgres_url.empty()) {
    auto opened = OpenPostgresTokens(postgres_url);
    if (!opened.ok()) return Exit(opened.status());
    token_store = std::move(*opened);
  } else {
    auto store_path = StorePath(storage_dir);
    if (!store_path.ok()) return Exit(store_path.status());
    token_store = std::make_unique<TokenFile>(*store_path);
  }
  TokenStore& file = *token_store;

  if (create->parsed()) {
    std::vector<TokenScope> scopes;
    for (const std::string& text : scope_texts) {
      auto scope = TokenScope::Parse(text);
      if (!scope.ok()) return Exit(Usage(scope.status()));
      scopes.push_back(*scope);
    }
    auto token = file.Create(name, scopes);
    if (!token.ok()) return Exit(UsageIfInvalid(token.status()));
    std::printf("%s\n", token->c_str());
    std::fprintf(stderr,
                 "spoke-server token: created %s; this is the only time the token is shown\n",
                 name.c_str());
    return kExitOk;
  }
  if (list->parsed()) {
    auto tokens = file.List();
    if (!tokens.ok()) return Exit(tokens.status());
    if (json) {
      Json out = Json::MakeArray();
      for (const TokenRecord& record : *tokens) {
        Json entry = Json::MakeObject();
        entry.Set("id", record.id);
        entry.Set("name", record.name);
        Json scopes = Json::MakeArray();
        for (const TokenScope& scope : record.scopes) scopes.Push(scope.ToString());
        entry.Set("scopes", std::move(scopes));
        entry.Set("created", FormatRfc3339(record.created));
        out.Push(std::move(entry));
      }
      std::printf("%s\n", out.Dump(2).c_str());
    } else {
      for (const TokenRecord& record : *tokens) {
        std::printf("%s  %-20s  %-30s  %s\n", record.id.c_str(), record.name.c_str(),
                    ScopeList(record).c_str(), FormatRfc3339(record.created).c_str());
      }
    }
    return kExitOk;
  }
  auto removed = file.Revoke(which);
  if (!removed.ok()) return Exit(removed.status());
  std::printf("revoked %s (%s)\n", removed->name.c_str(), removed->id.c_str());
  return kExitOk;
}

}  // namespace spoke::cli
