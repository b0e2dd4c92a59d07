// GET /search (docs/api.md): the search index's ranked hits for a name or a comment.
#include <charconv>

#include "routes.h"

namespace spoke {
namespace {

// A query longer than any name a .proto file can hold is a mistake, not a search.
constexpr size_t kMaxQueryBytes = 1024;
// How long a search waits for the index's first filling after the server started.
constexpr std::chrono::seconds kFillWait{30};

Result<SearchQuery> ParseQuery(const http::Request& req) {
  SearchQuery query;
  query.text = req.get_param_value("q");
  if (query.text.empty()) return Status::InvalidArgument("missing ?q=<text to search for>");
  if (query.text.size() > kMaxQueryBytes) {
    return Status::InvalidArgument("q is " + std::to_string(query.text.size()) +
                                   " bytes; at most " + std::to_string(kMaxQueryBytes) +
                                   " are searched for");
  }
  if (std::string type = req.get_param_value("type"); !type.empty()) {
    SPOKE_ASSIGN_OR_RETURN(query.kind, ParseSearchKind(type));
  }
  if (req.has_param("all_versions")) {
    std::string all = req.get_param_value("all_versions");
    if (all != "true" && all != "false") {
      return Status::InvalidArgument("all_versions must be true or false, not \"" + all + "\"");
    }
    query.all_versions = all == "true";
  }
  query.limit = kDefaultSearchLimit;
  if (req.has_param("limit")) {
    std::string limit = req.get_param_value("limit");
    size_t value = 0;
    auto [end, error] = std::from_chars(limit.data(), limit.data() + limit.size(), value);
    if (error != std::errc() || end != limit.data() + limit.size() || value < 1 ||
        value > kMaxSearchLimit) {
      return Status::InvalidArgument("limit must be a number from 1 to " +
                                     std::to_string(kMaxSearchLimit) + ", not \"" + limit + "\"");
    }
    query.limit = value;
  }
  return query;
}

Json HitToJson(const SearchHit& hit) {
  Json entry = Json::MakeObject();
  entry.Set("kind", SearchKindName(hit.kind));
  entry.Set("name", hit.name);
  entry.Set("module", hit.module);
  entry.Set("version", hit.version);
  entry.Set("file", hit.file);
  entry.Set("line", hit.line);
  entry.Set("comment", hit.comment);
  entry.Set("score", hit.score);
  return entry;
}

}  // namespace

void RegisterSearchRoutes(http::Server& http, ServerContext& ctx) {
  http.Get("/search", [&ctx](const http::Request& req, http::Response& res) {
    auto query = ParseQuery(req);
    if (!query.ok()) return SendError(res, query.status());
    bool complete = ctx.indexes->WaitForSearchIndex(kFillWait);
    ctx.indexes->CatchUp();
    SearchResult result = ctx.indexes->search().Search(*query);
    Json hits = Json::MakeArray();
    for (const auto& hit : result.hits) hits.Push(HitToJson(hit));
    Json body = Json::MakeObject();
    body.Set("query", query->text);
    body.Set("type", query->kind ? Json(SearchKindName(*query->kind)) : Json());
    body.Set("all_versions", query->all_versions);
    body.Set("limit", static_cast<int64_t>(query->limit));
    body.Set("total", static_cast<int64_t>(result.total));
    body.Set("complete", complete);
    body.Set("hits", std::move(hits));
    SendJson(res, body);
  });
}

}  // namespace spoke
