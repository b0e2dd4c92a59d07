// The web UI's pages of one module: the module (versions, dependencies, dependents, commands,
// downloads), a version (file tree, manifest facts, the schema as documentation) and a file
// (highlighted source with line anchors). See ui_pages.h.
#include <algorithm>
#include <map>
#include <optional>

#include "spoke/compiler.h"
#include "spoke/refs.h"
#include "spoke/semver.h"
#include "ui_pages.h"
#include "ui_proto_highlight.h"
#include "ui_schema_docs.h"
#include "ui_version_schema.h"

namespace spoke::ui {
namespace {

std::string Crumbs(const std::string& module, const std::string& version = "",
                   const std::string& file = "") {
  Html nav;
  nav.Link("/", "Modules").Raw(" / ").Link(ModuleHref(module), module);
  if (!version.empty()) nav.Raw(" / ").Link(VersionHref(module, version), version);
  if (!file.empty()) nav.Raw(" / ").Text(file);
  return nav.Take();
}

void Fact(Html& html, std::string_view name, std::string_view value_html) {
  html.Raw("<dt>").Text(name).Raw("</dt><dd>").Raw(value_html).Raw("</dd>\n");
}

void Command(Html& html, const std::string& text) {
  html.Raw("<pre class=\"cmd\"><code>").Text(text).Raw("</code></pre>\n");
}

void DependencyTable(Html& html, const std::vector<DependencyPin>& pins) {
  if (pins.empty()) {
    html.Raw("<p class=\"muted\">None.</p>\n");
    return;
  }
  html.Raw("<table><thead><tr><th>Module</th><th>Version</th><th>Digest</th></tr></thead><tbody>");
  for (const DependencyPin& pin : pins) {
    html.Raw("<tr><td>")
        .Link(ModuleHref(pin.module), pin.module)
        .Raw("</td><td>")
        .Link(VersionHref(pin.module, pin.version), pin.version)
        .Raw("</td><td class=\"digest\">")
        .Text(pin.digest)
        .Raw("</td></tr>\n");
  }
  html.Raw("</tbody></table>\n");
}

struct Dependent {
  std::string module, version, depends_on;
};

// Every version of another module that pins `module`: one pass over the version tags, as GET
// /modules/{name}/dependents does (routes_deps.cc).
std::vector<Dependent> FindDependents(const Store& store, const std::string& module) {
  std::vector<Dependent> found;
  auto refs = store.ListRefs(kTagRefsPrefix);
  if (!refs.ok()) return found;
  for (const auto& ref : *refs) {
    std::string m, v;
    if (!ParseVersionTagRef(ref.name, &m, &v) || m == module) continue;
    auto version = store.GetVersion(m, v);
    if (!version.ok()) continue;
    for (const auto& pin : version->manifest.dependencies)
      if (pin.module == module) found.push_back({m, v, pin.version});
  }
  return found;
}

void CommandsSection(Html& html, const ServerContext& ctx, const http::Request& req,
                     const VersionInfo& latest) {
  const std::string& module = latest.module;
  const std::string& version = latest.version;
  html.Raw("<h2 id=\"use\">Use it</h2>\n");
  std::string host = req.get_header_value("Host");
  if (!host.empty()) {
    std::string scheme = ctx.options.tls_cert_file.empty() ? "http://" : "https://";
    Command(html, "export SPOKE_REGISTRY=" + scheme + host);
  }
  const std::string dir = "./" + module;
  // With dependencies, a recursive pull writes them where the module's imports look for them, so
  // the toolchains below find them under the same -I.
  const bool recursive = !latest.manifest.dependencies.empty();
  Command(html, "spoke pull -module " + module + " -version " + version +
                    (recursive ? " -recursive" : "") + " -dir " + dir);
  Command(html, "spoke compile -module " + module + " -version " + version +
                    " -lang cpp,python -out ./gen");
  // Once pulled, the files are plain .proto files at their import paths: any toolchain takes them.
  Command(html, "protoc -I " + dir + " --cpp_out=./gen $(find " + dir + " -name '*.proto')");
  Command(html, "buf generate " + dir + "  # with your buf.gen.yaml");
}

void DownloadsSection(Html& html, const ServerContext& ctx, const VersionInfo& version) {
  std::map<std::string, std::string> states;
  if (ctx.artifact_states) {
    auto known = ctx.artifact_states(version);
    if (known.ok())
      for (const ArtifactState& state : *known) states[state.language] = state.status;
  }
  html.Raw("<h2 id=\"downloads\">Generated code</h2>\n<table><thead><tr><th>Language</th>")
      .Raw("<th>Download</th><th>Status</th></tr></thead><tbody>\n");
  const std::string base = "/modules/" + UrlPath(version.module) + "/versions/" +
                           UrlPath(version.version) + "/download/";
  for (const Language& language : Languages()) {
    html.Raw("<tr><td>")
        .Text(language.description)
        .Raw("</td><td>")
        .Link(base + language.name, language.name + ".zip")
        .Raw("</td><td>");
    auto it = states.find(language.name);
    if (it == states.end()) {
      html.Raw("<span class=\"muted\">compiled when asked for</span>");
    } else {
      html.Raw("<span class=\"tag ").Text(it->second).Raw("\">").Text(it->second).Raw("</span>");
    }
    html.Raw("</td></tr>\n");
  }
  html.Raw("</tbody></table>\n");
}

// The version's files as nested lists, one per directory, each file linked to its page.
void FileTree(Html& html, const VersionInfo& version) {
  std::vector<std::string> paths;
  for (const auto& file : version.manifest.files) paths.push_back(file.path);
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> open;  // the directories whose lists are open, outermost first
  html.Raw("<ul class=\"tree root\">\n");
  for (const std::string& path : paths) {
    std::vector<std::string> dirs;
    size_t start = 0;
    for (size_t slash; (slash = path.find('/', start)) != std::string::npos; start = slash + 1)
      dirs.push_back(path.substr(start, slash - start));
    size_t shared = 0;
    while (shared < open.size() && shared < dirs.size() && open[shared] == dirs[shared]) ++shared;
    for (; open.size() > shared; open.pop_back()) html.Raw("</ul></li>\n");
    for (size_t i = shared; i < dirs.size(); ++i) {
      html.Raw("<li>").Text(dirs[i]).Raw("/\n<ul class=\"tree\">\n");
      open.push_back(dirs[i]);
    }
    html.Raw("<li>")
        .Link(FileHref(version.module, version.version, path), path.substr(start))
        .Raw("</li>\n");
  }
  for (; !open.empty(); open.pop_back()) html.Raw("</ul></li>\n");
  html.Raw("</ul>\n");
}

// Every version of the module, newest first, linked; the one shown marked.
void VersionSwitcher(Html& html, const Store& store, const VersionInfo& shown) {
  auto names = store.ListVersions(shown.module);
  if (!names.ok() || names->size() < 2) return;
  html.Raw("<nav aria-label=\"Versions\" class=\"versions\">Versions: ");
  for (auto name = names->rbegin(); name != names->rend(); ++name) {
    if (*name == shown.version) {
      html.Raw("<strong aria-current=\"page\">").Text(*name).Raw("</strong>");
    } else {
      html.Link(VersionHref(shown.module, *name), *name);
    }
    html.Raw(" ");
  }
  html.Raw("</nav>\n");
  // The version before this one, to compare with (the compare page: findings and diff).
  auto shown_at = std::find(names->begin(), names->end(), shown.version);
  if (shown_at != names->end() && shown_at != names->begin()) {
    const std::string& previous = *(shown_at - 1);
    html.Raw("<p>")
        .Link(VersionHref(shown.module, previous) + "/compare/" + UrlPath(shown.version),
              "Compare with " + previous)
        .Raw("</p>\n");
  }
}

}  // namespace

std::string TimeHtml(int64_t seconds) {
  std::string full = FormatTime(seconds);
  Html html;
  html.Raw("<time datetime=\"").Text(full).Raw("\" title=\"").Text(full).Raw("\">");
  html.Text(full.substr(0, 10)).Raw("</time>");
  return html.Take();
}

void ServeModulePage(const ServerContext& ctx, const http::Request& req, http::Response& res) {
  const std::string module = req.matches[1];
  auto info = ctx.store->GetModule(module);
  if (!info.ok()) return SendErrorPage(res, info.status());
  auto names = ctx.store->ListVersions(module);
  if (!names.ok()) return SendErrorPage(res, names.status());
  auto log = ctx.store->Log(module);
  if (!log.ok()) return SendErrorPage(res, log.status());
  std::map<std::string, const VersionInfo*> by_name;
  for (const auto& v : *log) by_name[v.version] = &v;
  std::optional<std::string> latest = HighestRelease(*names);
  if (!latest && !names->empty()) latest = names->back();

  Html html;
  html.Element("h1", module);
  if (!info->description.empty()) html.Raw("<p>").Text(info->description).Raw("</p>\n");
  html.Raw("<dl class=\"facts\">\n");
  Fact(html, "Latest",
       latest ? Html().Link(VersionHref(module, *latest), *latest).str()
              : "<span class=\"muted\">no version yet</span>");
  Fact(html, "Compatibility",
       Html().Text(info->compatibility.empty() ? "NONE" : info->compatibility).str());
  Fact(html, "Created", TimeHtml(info->created));
  Fact(html, "Versions", std::to_string(names->size()));
  html.Raw("</dl>\n<h2 id=\"versions\">Versions</h2>\n");
  html.Raw("<table><thead><tr><th>Version</th><th>Kind</th><th>Created</th><th>Digest</th>")
      .Raw("<th>Description</th></tr></thead><tbody>\n");
  for (auto name = names->rbegin(); name != names->rend(); ++name) {
    auto parsed = SemVer::Parse(*name);
    bool pre = parsed.ok() && parsed->is_prerelease();
    html.Raw("<tr><td>")
        .Link(VersionHref(module, *name), *name)
        .Raw(pre ? "</td><td><span class=\"tag pre\">pre-release</span>"
                 : "</td><td><span class=\"tag release\">release</span>")
        .Raw("</td><td>");
    auto it = by_name.find(*name);
    if (it != by_name.end()) {
      html.Raw(TimeHtml(it->second->created))
          .Raw("</td><td class=\"digest\">")
          .Text(it->second->manifest.digest)
          .Raw("</td><td>")
          .Text(it->second->manifest.description);
    } else {
      html.Raw("</td><td></td><td>");
    }
    html.Raw("</td></tr>\n");
  }
  html.Raw("</tbody></table>\n");

  if (latest) {
    auto version = ctx.store->GetVersion(module, *latest);
    if (!version.ok()) return SendErrorPage(res, version.status());
    html.Raw("<h2 id=\"dependencies\">Dependencies of ").Text(*latest).Raw("</h2>\n");
    DependencyTable(html, version->manifest.dependencies);
    CommandsSection(html, ctx, req, *version);
    DownloadsSection(html, ctx, *version);
  }
  html.Raw("<h2 id=\"dependents\">Dependents</h2>\n");
  std::vector<Dependent> dependents = FindDependents(*ctx.store, module);
  if (dependents.empty()) {
    html.Raw("<p class=\"muted\">No version of another module depends on this one.</p>\n");
  } else {
    html.Raw("<table><thead><tr><th>Module</th><th>Version</th><th>Depends on</th></tr></thead>")
        .Raw("<tbody>\n");
    for (const Dependent& d : dependents) {
      html.Raw("<tr><td>")
          .Link(ModuleHref(d.module), d.module)
          .Raw("</td><td>")
          .Link(VersionHref(d.module, d.version), d.version)
          .Raw("</td><td>")
          .Link(VersionHref(module, d.depends_on), d.depends_on)
          .Raw("</td></tr>\n");
    }
    html.Raw("</tbody></table>\n");
  }
  Page page;
  page.title = module;
  page.nav = Crumbs(module);
  page.main = html.Take();
  SendPage(req, res, page);
}

namespace {

// The version's schema as documentation, into the Types section; for a version too large for
// one page (DocumentsTypesOnFilePages), where its files' pages document them; why not, when it
// cannot be.
void SchemaSection(const ServerContext& ctx, const VersionInfo& version, Html& html) {
  if (DocumentsTypesOnFilePages(version.manifest)) {
    html.Raw("<p class=\"docs-elsewhere\">")
        .Text(
            "Too large to document on one page: each file's page documents the types it "
            "defines, below its source (its Types section; a type's anchor is its full name). "
            "Open a file above, or find a type with the search box.")
        .Raw("</p>\n");
    return;
  }
  if (!ctx.schemas) return;
  auto schema = ctx.schemas->Get(*ctx.store, version);
  if (!schema.ok()) {
    html.Raw("<p class=\"muted\">")
        .Text("The schema cannot be shown: " + schema.status().message())
        .Raw("</p>\n");
    return;
  }
  html.Raw(RenderSchemaDocs((*schema)->image->files(), LinksFor(**schema)));
}

// The documentation of one .proto file's own types, into the file page's Types section: parsed
// with the whole version when the version page documents it too (one parse for both pages), else
// alone with what it imports. False when it cannot be (a dependency still missing on a mirror, a
// version pushed with --validate none that does not compile): the section says why.
bool FileSchemaSection(const ServerContext& ctx, const VersionInfo& version,
                       const std::string& path, Html& html) {
  if (!ctx.schemas) return true;
  const bool alone = DocumentsTypesOnFilePages(version.manifest);
  auto schema = ctx.schemas->Get(*ctx.store, version, alone ? path : "");
  const google::protobuf::FileDescriptor* file =
      schema.ok() ? (*schema)->image->FindFile(path) : nullptr;
  if (!file) {
    html.Raw("<p class=\"muted\">")
        .Text("The types cannot be shown: " +
              (schema.ok() ? "the file is not in the version's schema" : schema.status().message()))
        .Raw("</p>\n");
    return false;
  }
  html.Raw(RenderSchemaDocs({file}, LinksFor(**schema)));
  return true;
}

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void ServeVersionPage(const ServerContext& ctx, const http::Request& req, http::Response& res) {
  auto version = ctx.store->GetVersion(req.matches[1], req.matches[2]);
  if (!version.ok()) return SendErrorPage(res, version.status());
  const std::string& module = version->module;
  Html html;
  html.Raw("<h1>").Text(module).Raw(" <span class=\"muted\">").Text(version->version);
  html.Raw("</span></h1>\n");
  VersionSwitcher(html, *ctx.store, *version);
  if (!version->manifest.description.empty())
    html.Raw("<p>").Text(version->manifest.description).Raw("</p>\n");
  html.Raw("<dl class=\"facts\">\n");
  Fact(html, "Digest",
       Html().Raw("<span class=\"digest\">").Text(version->manifest.digest).Raw("</span>").str());
  Fact(html, "Created", TimeHtml(version->created));
  Fact(html, "Commit",
       Html().Raw("<span class=\"digest\">").Text(version->commit_id).Raw("</span>").str());
  Fact(html, "Files", std::to_string(version->manifest.files.size()));
  Fact(html, "JSON",
       Html()
           .Link("/modules/" + UrlPath(module) + "/versions/" + UrlPath(version->version),
                 "/modules/" + module + "/versions/" + version->version)
           .str());
  html.Raw("</dl>\n<h2 id=\"files\">Files</h2>\n");
  FileTree(html, *version);
  html.Raw("<h2 id=\"dependencies\">Dependencies</h2>\n");
  DependencyTable(html, version->manifest.dependencies);
  if (!version->manifest.dependencies.empty()) {
    html.Raw("<p>")
        .Link(VersionHref(module, version->version) + "/graph", "Dependency graph")
        .Raw("</p>\n");
  }
  // The schema as documentation: every message, enum, service and RPC with its fields, types
  // linked to their definitions, comments as docs (ui_schema_docs.h).
  html.Raw("<section id=\"types\" aria-labelledby=\"types-h\">\n<h2 id=\"types-h\">Types</h2>\n");
  SchemaSection(ctx, *version, html);
  html.Raw("</section>\n");
  Page page;
  page.title = module + " " + version->version;
  page.nav = Crumbs(module, version->version);
  page.main = html.Take();
  SendPage(req, res, page);
}

// Source lines per chunk of a file page (see the stylesheet's pre.src .chunk).
constexpr size_t kLinesPerChunk = 200;

void ServeFilePage(const ServerContext& ctx, const http::Request& req, http::Response& res) {
  auto version = ctx.store->GetVersion(req.matches[1], req.matches[2]);
  if (!version.ok()) return SendErrorPage(res, version.status());
  const std::string path = req.matches[3];
  const bool listed = std::any_of(version->manifest.files.begin(), version->manifest.files.end(),
                                  [&path](const ManifestFile& f) { return f.path == path; });
  // The page is a function of the version (its tag names its content and its pins, so the types
  // its docs link to), the path and this build's code: a validator of those alone answers a
  // repeated request before the file is read or its schema parsed.
  if (listed && HandleETag(req, res, ContentETag({"file page", version->tag_id, path}))) return;
  auto file = ctx.store->ReadFile(*version, path);
  if (!file.ok()) {
    res.headers.erase("ETag");
    return SendErrorPage(res, file.status());
  }
  const std::string& module = version->module;
  const bool proto = EndsWith(path, ".proto");
  std::vector<std::string> lines =
      proto ? HighlightProtoLines(file->first) : PlainLines(file->first);
  Html html;
  html.Raw("<h1>")
      .Text(path)
      .Raw("</h1>\n<p>")
      .Link("/modules/" + UrlPath(module) + "/versions/" + UrlPath(version->version) + "/files/" +
                UrlPath(path),
            "Raw file")
      .Raw(" <span class=\"muted\">")
      .Text(std::to_string(lines.size()) + " lines, " + std::to_string(file->first.size()) +
            " bytes")
      .Raw("</span>");
  if (proto) html.Raw(" &middot; <a href=\"#types\">Types defined here</a>");
  html.Raw("</p>\n<pre class=\"src\"><code>");
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    // A chunk of lines is what the browser may skip laying out while it is out of view (the
    // stylesheet's content-visibility): per line that would cost more than it saves.
    if (i % kLinesPerChunk == 0)
      html.Raw(i == 0 ? "<span class=\"chunk\">" : "</span><span class=\"chunk\">");
    html.Raw("<span class=\"line\" id=\"L")
        .Raw(n)
        .Raw("\"><a class=\"ln\" href=\"#L")
        .Raw(n)
        .Raw("\">")
        .Raw(n)
        .Raw("</a>")
        .Raw(lines[i])
        .Raw("</span>");
  }
  if (!lines.empty()) html.Raw("</span>");
  html.Raw("</code></pre>\n");
  bool whole = true;
  if (proto) {
    html.Raw("<section id=\"types\" aria-labelledby=\"types-h\">\n<h2 id=\"types-h\">Types</h2>\n");
    whole = FileSchemaSection(ctx, *version, path, html);
    html.Raw("</section>\n");
  }
  Page page;
  page.title = path + " - " + module + " " + version->version;
  page.nav = Crumbs(module, version->version, path);
  page.main = html.Take();
  if (whole) return SendPageWithETag(res, page);
  // Without its types the page is not what the validator promises: sent untagged, it is rendered
  // again next time, when the missing dependency may have arrived.
  res.headers.erase("ETag");
  SendUntaggedPage(res, page, 200);
}

}  // namespace spoke::ui
