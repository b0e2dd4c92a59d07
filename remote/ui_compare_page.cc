// The web UI's compare page: two versions of a module side by side as a reviewer reads them, the
// breaking-change findings at a chosen level (each linked to its line) above the files' diff.
#include <string>
#include <vector>

#include "spoke/policy.h"
#include "ui_pages.h"

namespace spoke::ui {
namespace {

constexpr const char* kLevels[] = {"FILE", "PACKAGE", "WIRE_JSON", "WIRE"};

std::string CompareHref(const std::string& module, const std::string& from, const std::string& to,
                        const std::string& level) {
  return VersionHref(module, from) + "/compare/" + UrlPath(to) + "?level=" + UrlQueryValue(level);
}

// A unified diff, each line classed by its first character so the CSS can colour it. Each line is
// a block of its own (ui_assets.cc), so no newline goes between them: it would show as a blank
// line.
void PatchHtml(Html& html, const std::string& patch) {
  html.Raw("<pre class=\"diff\">");
  size_t begin = 0;
  while (begin < patch.size()) {
    size_t end = patch.find('\n', begin);
    if (end == std::string::npos) end = patch.size();
    std::string_view line(patch.data() + begin, end - begin);
    const char* kind = "ctx";
    if (line.rfind("+++", 0) == 0 || line.rfind("---", 0) == 0 || line.rfind("diff ", 0) == 0) {
      kind = "meta";
    } else if (line.rfind("@@", 0) == 0) {
      kind = "hunk";
    } else if (!line.empty() && line[0] == '+') {
      kind = "add";
    } else if (!line.empty() && line[0] == '-') {
      kind = "del";
    }
    html.Raw("<span class=\"").Raw(kind).Raw("\">").Text(line).Raw("</span>");
    begin = end + 1;
  }
  html.Raw("</pre>\n");
}

}  // namespace

void ServeComparePage(const ServerContext& ctx, const http::Request& req, http::Response& res) {
  const std::string& module = req.matches[1];
  auto info = ctx.store->GetModule(module);
  if (!info.ok()) return SendErrorPage(res, info.status());
  auto from = ctx.store->GetVersion(module, req.matches[2]);
  if (!from.ok()) return SendErrorPage(res, from.status());
  auto to = ctx.store->GetVersion(module, req.matches[3]);
  if (!to.ok()) return SendErrorPage(res, to.status());
  // The module's own level by default (as GET .../diff/...), else the strictest.
  const std::string level_name =
      req.has_param("level")
          ? req.get_param_value("level")
          : (info->compatibility.empty() || info->compatibility == "NONE" ? "FILE"
                                                                          : info->compatibility);
  auto level = ParseBreakingLevel(level_name);
  if (!level.ok()) return SendErrorPage(res, level.status());
  auto changes = ctx.store->DiffVersions(*from, *to, /*with_patch=*/true);
  if (!changes.ok()) return SendErrorPage(res, changes.status());

  Html html;
  html.Raw("<h1>").Text(module).Raw(" <span class=\"muted\">").Text(from->version);
  html.Raw(" → ").Text(to->version).Raw("</span></h1>\n");
  html.Raw("<nav aria-label=\"Levels\"><p>Level: ");
  for (const char* name : kLevels) {
    if (BreakingLevelName(*level) == name) {
      html.Raw("<strong aria-current=\"page\">").Text(name).Raw("</strong> ");
    } else {
      html.Link(CompareHref(module, from->version, to->version, name), name).Raw(" ");
    }
  }
  html.Raw("</p></nav>\n<h2 id=\"findings\">Breaking changes</h2>\n");
  auto findings = CompareVersions(*ctx.store, *from, *to, *level);
  if (!findings.ok()) {
    html.Raw("<p class=\"muted\">")
        .Text("The versions cannot be compared: " + findings.status().message())
        .Raw("</p>\n");
  } else if (findings->empty()) {
    html.Raw("<p>None at ").Text(BreakingLevelName(*level)).Raw(".</p>\n");
  } else {
    html.Raw("<table class=\"findings\"><thead><tr><th>Rule</th><th>Where</th><th>What</th>")
        .Raw("</tr></thead><tbody>\n");
    for (const Finding& finding : *findings) {
      // A deletion's place is in the version it was deleted from.
      const VersionInfo& where = finding.in_previous ? *from : *to;
      std::string place = finding.file + ":" + std::to_string(finding.line);
      std::string href = FileHref(module, where.version, finding.file);
      if (finding.line > 0) href += "#L" + std::to_string(finding.line);
      html.Raw("<tr><td><code>")
          .Text(finding.rule)
          .Raw("</code></td><td>")
          .Link(href, place + " (" + where.version + ")")
          .Raw("</td><td>")
          .Text(finding.message)
          .Raw("</td></tr>\n");
    }
    html.Raw("</tbody></table>\n");
  }
  html.Raw("<h2 id=\"files\">Files</h2>\n");
  if (changes->empty()) html.Raw("<p>No file changed.</p>\n");
  for (const FileChange& change : *changes) {
    html.Raw("<h3>").Text(change.path).Raw(" <span class=\"muted\">").Text(change.status);
    html.Raw("</span></h3>\n");
    PatchHtml(html, change.patch);
  }
  Page page;
  page.title = module + " " + from->version + " → " + to->version;
  page.nav = Html()
                 .Link("/", "Modules")
                 .Raw(" / ")
                 .Link(ModuleHref(module), module)
                 .Raw(" / ")
                 .Text("compare")
                 .Take();
  page.main = html.Take();
  SendPage(req, res, page);
}

}  // namespace spoke::ui
