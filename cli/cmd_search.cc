// spoke search: the registry's search index (GET /search), one line per hit, like grep: exit 0 with
// hits, 1 with none.
#include <algorithm>
#include <array>
#include <cstdio>

#include "context.h"
#include "spoke/json.h"
#include "spoke/search_index.h"

namespace spoke::cli {
namespace {

// "user.proto:12"; "-" for a module, which has no place in a file.
std::string Where(const Json& hit) {
  std::string file = hit.GetString("file");
  if (file.empty()) return "-";
  const Json* line = hit.Get("line");
  return file + ":" + std::to_string(line ? line->as_int() : 0);
}

// A comment's first line, quoted, with "..." when more follows; "" for none.
std::string Quoted(const std::string& comment) {
  if (comment.empty()) return "";
  size_t end = comment.find('\n');
  if (end == std::string::npos) return "\"" + comment + "\"";
  return "\"" + comment.substr(0, end) + "...\"";
}

// Columns padded to the widest value, so hits line up; a single hit reads
// `field  acme.user.v1.User.email  user@v1.0.0  user.proto:12  "The user's email"`.
void PrintHits(const Json::Array& hits) {
  std::vector<std::array<std::string, 5>> rows;
  std::array<size_t, 4> width{};
  for (const auto& hit : hits) {
    std::array<std::string, 5> row = {hit.GetString("kind"), hit.GetString("name"),
                                      hit.GetString("module") + "@" + hit.GetString("version"),
                                      Where(hit), Quoted(hit.GetString("comment"))};
    for (size_t i = 0; i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
    rows.push_back(std::move(row));
  }
  for (const auto& row : rows) {
    const size_t last = row[4].empty() ? 3 : 4;
    std::string line;
    for (size_t i = 0; i <= last; ++i) {
      if (i > 0) line += "  ";
      line += row[i];
      if (i < last) line.append(width[i] - row[i].size(), ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace

void SetupSearch(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  struct Args {
    std::string query, type;
    bool all_versions = false, json = false;
    size_t limit = kDefaultSearchLimit;
  };
  auto args = std::make_shared<Args>();
  sub->add_option("query", args->query, "Text to find in element names (and comments), any case")
      ->required();
  sub->add_option("-t,--type", args->type,
                  "Only elements of this kind: module, file, message, enum, enum_value, service, "
                  "method, field");
  sub->add_flag("--all-versions", args->all_versions,
                "Search every version, not only each module's latest");
  sub->add_option("-n,--limit", args->limit, "Show at most this many hits (1 to 500)")
      ->capture_default_str();
  sub->add_flag("--json", args->json, "Print the registry's answer as JSON");
  sub->footer("Exit codes: 0 with hits, 1 with none (or on failure), 2 usage error.");
  *run = [args, flags]() -> CommandOutcome {
    if (args->query.empty()) return Usage(Status::InvalidArgument("the query is empty"));
    if (!args->type.empty()) {
      if (auto kind = ParseSearchKind(args->type); !kind.ok()) return Usage(kind.status());
    }
    if (args->limit < 1 || args->limit > kMaxSearchLimit) {
      return Usage(
          Status::InvalidArgument("--limit must be from 1 to " + std::to_string(kMaxSearchLimit)));
    }
    auto remote = ConnectRegistry(*flags);
    if (!remote.ok()) return Usage(remote.status());
    RemoteClient::SearchQuery query;
    query.text = args->query;
    query.limit = args->limit;
    query.type = args->type;
    query.all_versions = args->all_versions;
    auto answer = (*remote)->Search(query);
    if (!answer.ok()) return answer.status();
    const Json* hits = answer->Get("hits");
    if (hits == nullptr || !hits->is_array()) {
      return Status::Corruption("the registry's search answer has no hits list");
    }
    if (const Json* complete = answer->Get("complete");
        complete && complete->is_bool() && !complete->as_bool()) {
      std::fprintf(stderr, "spoke: the registry is still indexing; some hits may be missing\n");
    }
    if (args->json) {
      std::printf("%s\n", answer->Dump(2).c_str());
    } else {
      PrintHits(hits->as_array());
      const Json* total = answer->Get("total");
      if (total && static_cast<size_t>(total->as_int()) > hits->as_array().size()) {
        std::fprintf(stderr, "spoke: showing %zu of %lld hits (--limit)\n", hits->as_array().size(),
                     static_cast<long long>(total->as_int()));
      }
    }
    return CommandOutcome::Shown(hits->as_array().empty());
  };
}

}  // namespace spoke::cli
