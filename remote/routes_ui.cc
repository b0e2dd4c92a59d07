// The web UI's routes (docs/api.md, "Web UI"): server-rendered pages under /ui (the home page at
// /), their assets, and an HTML 404 for any other /ui path. The pages only read, so a read-only
// mirror serves them too. The pages of one module are in ui_module_pages.cc.
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "spoke/refs.h"
#include "spoke/search_index.h"
#include "spoke/semver.h"
#include "ui_assets.h"
#include "ui_pages.h"
#include "ui_sign_in.h"

namespace spoke {
namespace {

using ui::Html;

constexpr char kModule[] = R"(/ui/modules/([a-z0-9][a-z0-9_/-]*))";
constexpr char kVersion[] = R"(/versions/(v[0-9][^/]*|latest))";
// A query longer than any name a .proto file can hold is a mistake, not a search (as GET /search).
constexpr size_t kMaxQueryBytes = 1024;
// How long a search waits for the index's first filling after the server started.
constexpr std::chrono::seconds kFillWait{30};

// What the home page needs of a module that the store finds only by walking its branch to the
// root commit (GetModule: the description and creation time), kept per module with the target of
// its record ref. Every change of the record moves that ref, and the root never changes, so an
// entry holds while the ref has not moved. (Its branch_tip is then stale: the home page does not
// use it.)
class ModuleRecordCache {
 public:
  Result<ModuleInfo> Get(const Store& store, const std::string& module,
                         const std::string& record_target) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(module);
      if (it != entries_.end() && it->second.first == record_target) return it->second.second;
    }
    SPOKE_ASSIGN_OR_RETURN(ModuleInfo info, store.GetModule(module));
    std::lock_guard<std::mutex> lock(mutex_);
    entries_[module] = {record_target, info};
    return info;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<std::string, ModuleInfo>> entries_;
};

struct ModuleRefs {
  std::vector<std::string> versions;
  std::string record_target;  // "" while the module has no record ref
};

void ServeHome(const ServerContext& ctx, ModuleRecordCache& records, const http::Request& req,
               http::Response& res) {
  // One pass over all refs, as GET /modules does, then each module's latest version, which the
  // store keeps decoded, and its record, which `records` keeps.
  auto refs = ctx.store->ListRefs(kAllRefsPrefix);
  if (!refs.ok()) return ui::SendErrorPage(res, refs.status());
  std::map<std::string, ModuleRefs> modules;
  size_t version_count = 0;
  for (const auto& ref : *refs) {
    std::string module, version;
    if (ParseModuleBranchRef(ref.name, &module)) modules[module];
    if (ParseModuleRecordRef(ref.name, &module)) modules[module].record_target = ref.target;
    if (ParseVersionTagRef(ref.name, &module, &version)) {
      modules[module].versions.push_back(version);
      ++version_count;
    }
  }
  Html rows;
  for (auto& [name, module_refs] : modules) {
    std::vector<std::string>& versions = module_refs.versions;
    SortVersions(&versions);
    std::optional<std::string> latest = HighestRelease(versions);
    if (!latest && !versions.empty()) latest = versions.back();
    std::string description;
    int64_t created = 0;
    if (latest) {
      auto version = ctx.store->GetVersion(name, *latest);
      if (version.ok()) {
        description = version->manifest.description;
        created = version->created;
      }
    }
    if (description.empty() || !created) {
      auto info = records.Get(*ctx.store, name, module_refs.record_target);
      if (info.ok()) {
        if (description.empty()) description = info->description;
        if (!created) created = info->created;
      }
    }
    rows.Raw("<tr><td>").Link(ui::ModuleHref(name), name).Raw("</td><td>");
    if (latest) rows.Link(ui::VersionHref(name, *latest), *latest);
    rows.Raw("</td><td>").Text(description).Raw("</td><td>");
    if (created) rows.Raw(ui::TimeHtml(created));
    rows.Raw("</td></tr>\n");
  }
  Html html;
  html.Raw("<h1>Modules</h1>\n<div class=\"stats\"><div><b>")
      .Text(std::to_string(modules.size()))
      .Raw("</b>modules</div><div><b>")
      .Text(std::to_string(version_count))
      .Raw("</b>versions</div></div>\n");
  if (modules.empty()) {
    html.Raw("<p>No module yet. Push one with <code>spoke push -module NAME -version v1.0.0 ")
        .Raw("-dir DIR</code>.</p>\n");
  } else {
    // Hidden until the script shows it: without JS the table is complete and the box would do
    // nothing.
    html.Raw("<input type=\"search\" class=\"filter\" data-filter-for=\"modules\" hidden ")
        .Raw("aria-label=\"Filter modules\" placeholder=\"Filter modules\">\n")
        .Raw("<table id=\"modules\"><thead><tr><th>Module</th><th>Latest</th>")
        .Raw("<th>Description</th><th>Date</th></tr></thead><tbody>\n")
        .Raw(rows.str())
        .Raw("</tbody></table>\n");
  }
  ui::Page page;
  page.title = "Modules";
  page.main = html.Take();
  ui::SendPage(req, res, page);
}

std::string HitHref(const SearchHit& hit) {
  if (hit.file.empty()) return ui::ModuleHref(hit.module);
  std::string href = ui::FileHref(hit.module, hit.version, hit.file);
  if (hit.line > 0) href += "#L" + std::to_string(hit.line);
  return href;
}

// Links narrowing the same query to one kind of element, or to every kind.
void KindFilter(Html& html, const SearchQuery& query) {
  const std::string base = "/ui/search?q=" + ui::UrlQueryValue(query.text);
  html.Raw("<nav aria-label=\"Kinds\" class=\"kinds\">Show: ");
  auto item = [&](const std::string& href, const std::string& label, bool current) {
    if (current) {
      html.Raw("<strong aria-current=\"page\">").Text(label).Raw("</strong> ");
    } else {
      html.Link(href, label).Raw(" ");
    }
  };
  item(base, "all", !query.kind);
  for (SearchKind kind :
       {SearchKind::kModule, SearchKind::kFile, SearchKind::kMessage, SearchKind::kEnum,
        SearchKind::kEnumValue, SearchKind::kService, SearchKind::kMethod, SearchKind::kField}) {
    item(base + "&type=" + SearchKindName(kind), SearchKindName(kind), query.kind == kind);
  }
  html.Raw("</nav>\n");
}

void ServeSearch(const ServerContext& ctx, const http::Request& req, http::Response& res) {
  SearchQuery query;
  query.text = req.get_param_value("q");
  ui::Page page;
  page.title = query.text.empty() ? "Search" : "Search: " + query.text;
  page.query = query.text;
  Html html;
  html.Raw("<h1>Search</h1>\n");
  if (query.text.empty()) {
    html.Raw("<p>Find modules, files, messages, enums, services, fields and comments across ")
        .Raw("the registry: type in the box above (press <kbd>/</kbd> to get there).</p>\n");
    page.main = html.Take();
    return ui::SendPage(req, res, page);
  }
  if (query.text.size() > kMaxQueryBytes) {
    return ui::SendErrorPage(
        res, Status::InvalidArgument("the query is " + std::to_string(query.text.size()) +
                                     " bytes; at most " + std::to_string(kMaxQueryBytes) +
                                     " are searched for"));
  }
  if (std::string type = req.get_param_value("type"); !type.empty()) {
    auto kind = ParseSearchKind(type);
    if (!kind.ok()) return ui::SendErrorPage(res, kind.status());
    query.kind = *kind;
  }
  bool complete = ctx.indexes->WaitForSearchIndex(kFillWait);
  ctx.indexes->CatchUp();
  SearchResult result = ctx.indexes->search().Search(query);
  html.Raw("<p>").Text(std::to_string(result.total)).Raw(result.total == 1 ? " match" : " matches");
  if (result.total > result.hits.size())
    html.Raw(", the best ").Text(std::to_string(result.hits.size())).Raw(" shown");
  html.Raw(" for <q>").Text(query.text).Raw("</q>");
  if (query.kind) html.Raw(" among ").Text(SearchKindName(*query.kind)).Raw("s");
  html.Raw(".");
  if (!complete) html.Raw(" The index is still being filled: some versions are missing.");
  html.Raw("</p>\n");
  KindFilter(html, query);
  if (!result.hits.empty()) {
    html.Raw("<table id=\"hits\"><thead><tr><th>Name</th><th>Kind</th><th>Module</th>")
        .Raw("<th>Where</th><th>Comment</th></tr></thead><tbody>\n");
    for (const SearchHit& hit : result.hits) {
      html.Raw("<tr><td>")
          .Link(HitHref(hit), hit.name)
          .Raw("</td><td>")
          .Text(SearchKindName(hit.kind))
          .Raw("</td><td>")
          .Link(ui::ModuleHref(hit.module), hit.module)
          .Raw(" ")
          .Link(ui::VersionHref(hit.module, hit.version), hit.version)
          .Raw("</td><td>");
      if (!hit.file.empty()) html.Text(hit.file + ":" + std::to_string(hit.line));
      html.Raw("</td><td>").Text(hit.comment).Raw("</td></tr>\n");
    }
    html.Raw("</tbody></table>\n");
  }
  page.main = html.Take();
  ui::SendPage(req, res, page);
}

void ServeAsset(const http::Request& req, http::Response& res) {
  const ui::Asset* asset = ui::FindAsset(req.matches[1]);
  if (!asset) return ui::SendErrorPage(res, Status::NotFound("no asset " + req.matches[1]));
  if (!HandleETag(req, res, asset->hash))
    res.set_content(std::string(asset->body), std::string(asset->content_type));
  // The URL names the content's hash (ui_assets.h): a copy never goes stale.
  res.set_header("Cache-Control", "public, max-age=31536000, immutable");
}

}  // namespace

void RegisterUiRoutes(http::Server& http, ServerContext& ctx) {
  ui::RegisterSignInRoutes(http, ctx);
  auto records = std::make_shared<ModuleRecordCache>();
  // Three literal patterns rather than one regex: each route's name (in the metrics) is its
  // pattern.
  for (const char* home : {"/", "/ui", "/ui/"}) {
    http.Get(home, [&ctx, records](const http::Request& req, http::Response& res) {
      ServeHome(ctx, *records, req, res);
    });
  }
  http::RouteOptions quick;
  quick.quick = true;
  http.Route("GET", R"(/ui/assets/([a-z0-9.-]+))", quick, ServeAsset);
  http.Get("/ui/search",
           [&ctx](const http::Request& req, http::Response& res) { ServeSearch(ctx, req, res); });
  // Longest first: a module's name may hold '/', so /ui/modules/m/versions/latest would also
  // match the module page's pattern.
  http.Get(
      std::string(kModule) + kVersion + "/graph",
      [&ctx](const http::Request& req, http::Response& res) { ui::ServeGraphPage(ctx, req, res); });
  http.Get(std::string(kModule) + kVersion + "/compare/" + R"((v[0-9][^/]*|latest))",
           [&ctx](const http::Request& req, http::Response& res) {
             ui::ServeComparePage(ctx, req, res);
           });
  http.Get(
      std::string(kModule) + kVersion + "/files/(.+)",
      [&ctx](const http::Request& req, http::Response& res) { ui::ServeFilePage(ctx, req, res); });
  http.Get(std::string(kModule) + kVersion, [&ctx](const http::Request& req, http::Response& res) {
    ui::ServeVersionPage(ctx, req, res);
  });
  http.Get(kModule, [&ctx](const http::Request& req, http::Response& res) {
    ui::ServeModulePage(ctx, req, res);
  });
  http.Get("/ui/(.*)", [](const http::Request& req, http::Response& res) {
    ui::SendErrorPage(res, Status::NotFound("no page at " + req.path));
  });
}

}  // namespace spoke
