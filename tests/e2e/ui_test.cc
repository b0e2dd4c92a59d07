// The web UI end to end (docs/api.md, "Web UI"): a real server with two modules, one depending on
// the other; every page answers HTML with the right status, shows what it is for, escapes hostile
// text, and links only to pages that exist; unknown modules, versions, files and paths get an HTML
// 404; the module page's pull and protoc lines work when pasted into a shell; search finds a field
// in another module and links to its line; the assets are cached by hash; a read-only server
// serves the same pages.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <vector>

#include "deps_fixture.h"

namespace spoke::e2e {
namespace {

const FileSet kShared = {{"common/types.proto",
                          "syntax = \"proto3\";\n"
                          "package common;\n"
                          "\n"
                          "// An id. <script>alert('file')</script>\n"
                          "message Id {\n"
                          "  string value = 1;\n"
                          "}\n"}};
const FileSet kOrders = {{"order/order.proto",
                          "syntax = \"proto3\";\n"
                          "package order;\n"
                          "import \"common/types.proto\";\n"
                          "\n"
                          "message Order {\n"
                          "  common.Id id = 1;\n"
                          "  string shipping_address = 2;\n"
                          "}\n"}};
constexpr char kHostileDescription[] = "Shared <script>alert(\"desc\")</script> & types";

class Ui : public DependencyFixture {
 protected:
  void SetUp() override {
    StartServer();
    ASSERT_TRUE(server_);
    std::string dir = work_.Sub("src/common");
    WriteFiles(dir, kShared);
    CommandResult pushed = publisher_->Run({"push", "-module", "common", "-version", "v1.0.0",
                                            "-dir", dir, "-description", kHostileDescription});
    ASSERT_EQ(pushed.exit_code, 0) << pushed.Describe();
    MustPush("order", "v1.0.0", kOrders, {"common@v1.0.0"});
    MustPush("order", "v1.1.0-rc.1", kOrders, {"common@v1.0.0"});
  }

  // GETs `path` and checks it is an HTML page with `status`; returns its body.
  std::string Page(const std::string& path, int status = 200) {
    auto res = http_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    if (!res) return "";
    EXPECT_EQ(res->status, status) << path << "\n" << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_TRUE(Contains(res->body, "<!DOCTYPE html>")) << path;
    EXPECT_TRUE(Contains(res->body, "<main id=\"main\">")) << path;
    // No inline script or style may run, whatever escaping missed; no other site frames a page.
    const std::string policy = res->get_header_value("Content-Security-Policy");
    EXPECT_TRUE(Contains(policy, "default-src 'none'")) << path << ": " << policy;
    EXPECT_TRUE(Contains(policy, "script-src 'self';")) << path << ": " << policy;
    EXPECT_TRUE(Contains(policy, "frame-ancestors 'none'")) << path << ": " << policy;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    return res->body;
  }

  // Every href of `html` that is a path on this server, entities undone and any #fragment cut.
  static std::vector<std::string> LocalLinks(const std::string& html) {
    static const std::regex kHref("href=\"(/[^\"]*)\"");
    std::vector<std::string> links;
    for (std::sregex_iterator it(html.begin(), html.end(), kHref), end; it != end; ++it) {
      std::string link = (*it)[1];
      for (size_t at; (at = link.find("&amp;")) != std::string::npos;) link.replace(at, 5, "&");
      link = link.substr(0, link.find('#'));
      links.push_back(link);
    }
    return links;
  }
};

TEST_F(Ui, HomeListsEveryModuleWithItsLatestVersionDescriptionAndTheStats) {
  std::string home = Page("/");
  EXPECT_TRUE(Contains(home, "<a href=\"/ui/modules/common\">common</a>"));
  EXPECT_TRUE(Contains(home, "<a href=\"/ui/modules/order\">order</a>"));
  // order's latest is its release, not the later pre-release.
  EXPECT_TRUE(Contains(home, "<a href=\"/ui/modules/order/versions/v1.0.0\">v1.0.0</a>"));
  EXPECT_TRUE(Contains(home, "<b>2</b>modules")) << home;
  EXPECT_TRUE(Contains(home, "<b>3</b>versions")) << home;
  EXPECT_TRUE(Contains(home, "data-filter-for=\"modules\"")) << home;
  EXPECT_EQ(Page("/ui/"), home);
  EXPECT_EQ(Page("/ui"), home);
}

TEST_F(Ui, ModulePageShowsVersionsDependenciesDependentsCommandsAndDownloads) {
  std::string order = Page("/ui/modules/order");
  EXPECT_TRUE(Contains(order, "<h1>order</h1>"));
  EXPECT_TRUE(Contains(order, "<span class=\"tag pre\">pre-release</span>"));
  EXPECT_TRUE(Contains(order, "<span class=\"tag release\">release</span>"));
  EXPECT_TRUE(Contains(order, "<a href=\"/ui/modules/common/versions/v1.0.0\">v1.0.0</a>"));
  EXPECT_TRUE(Contains(order, "spoke pull -module order -version v1.0.0 -recursive -dir ./order"));
  EXPECT_TRUE(Contains(order, "spoke compile -module order -version v1.0.0"));
  EXPECT_TRUE(Contains(order, "protoc -I ./order"));
  EXPECT_TRUE(Contains(order, "buf generate ./order"));
  EXPECT_TRUE(Contains(order, "href=\"/modules/order/versions/v1.0.0/download/python\""));
  std::string common = Page("/ui/modules/common");
  EXPECT_TRUE(Contains(common, "<a href=\"/ui/modules/order/versions/v1.1.0-rc.1\">")) << common;
  EXPECT_TRUE(Contains(common, "Compatibility"));
  EXPECT_TRUE(Contains(common, "spoke pull -module common -version v1.0.0 -dir ./common"));
}

// The module page's command lines, run as a user would paste them into a shell: the pull, then
// protoc over what it wrote.
TEST_F(Ui, TheModulePagesPullAndProtocLinesWorkWhenPasted) {
  if (RunCommand({{"sh", "-c", "command -v protoc"}, {}, ""}).exit_code != 0)
    GTEST_SKIP() << "no protoc on PATH";
  std::string page = Page("/ui/modules/order");
  static const std::regex kCommand("<pre class=\"cmd\"><code>([^<]*)</code>");
  std::vector<std::string> lines;
  for (std::sregex_iterator it(page.begin(), page.end(), kCommand), end; it != end; ++it) {
    std::string line = (*it)[1];
    for (size_t at; (at = line.find("&#39;")) != std::string::npos;) line.replace(at, 5, "'");
    lines.push_back(line);
  }
  std::string pull, protoc;
  for (const std::string& line : lines) {
    if (line.rfind("spoke pull ", 0) == 0) pull = std::string(SPOKE_BIN) + line.substr(5);
    if (line.rfind("protoc ", 0) == 0) protoc = line;
  }
  ASSERT_FALSE(pull.empty()) << page;
  ASSERT_FALSE(protoc.empty()) << page;
  std::string cwd = work_.Sub("pasted");
  WriteFiles(cwd + "/gen", {{".keep", ""}});
  CommandResult pulled = RunCommand({{"sh", "-c", pull}, reader_->env(), cwd});
  ASSERT_EQ(pulled.exit_code, 0) << pull << "\n" << pulled.Describe();
  CommandResult built = RunCommand({{"sh", "-c", protoc}, {}, cwd});
  ASSERT_EQ(built.exit_code, 0) << protoc << "\n" << built.Describe();
  FileSet generated = ReadFiles(cwd + "/gen");
  EXPECT_TRUE(generated.count("order/order.pb.cc"));
  EXPECT_TRUE(generated.count("common/types.pb.cc"));
}

TEST_F(Ui, VersionPageShowsTheFileTreeAndManifest) {
  std::string page = Page("/ui/modules/order/versions/latest");
  EXPECT_TRUE(Contains(page, "<li>order/"));
  EXPECT_TRUE(Contains(
      page, "<a href=\"/ui/modules/order/versions/v1.0.0/files/order/order.proto\">order.proto"));
  Json version = GetJson("/modules/order/versions/v1.0.0");
  EXPECT_TRUE(Contains(page, version.GetString("digest")));
  EXPECT_TRUE(Contains(page, "id=\"types\""));
  // The other versions are a link away; the one shown is marked.
  EXPECT_TRUE(Contains(page, "<a href=\"/ui/modules/order/versions/v1.1.0-rc.1\">v1.1.0-rc.1</a>"));
  EXPECT_TRUE(Contains(Page("/ui/modules/order/versions/v1.1.0-rc.1"),
                       "<strong aria-current=\"page\">v1.1.0-rc.1</strong>"));
}

// The Types section documents the version's schema, with types linked to their definitions, in
// another module's version page too.
TEST_F(Ui, VersionPageDocumentsTheTypesAndLinksThemToTheirDefinitions) {
  std::string page = Page("/ui/modules/order/versions/v1.0.0");
  EXPECT_TRUE(Contains(page, "id=\"order.Order\"")) << page;
  EXPECT_TRUE(Contains(page, "shipping_address"));
  // common.Id is defined in the dependency: linked to its version page, at its anchor.
  EXPECT_TRUE(Contains(page, "/ui/modules/common/versions/v1.0.0#common.Id")) << page;
  std::string common = Page("/ui/modules/common/versions/v1.0.0");
  EXPECT_TRUE(Contains(common, "id=\"common.Id\""));
  // Its comment is documentation, escaped.
  EXPECT_TRUE(Contains(common, "&lt;script&gt;alert(&#39;file&#39;)&lt;/script&gt;") ||
              Contains(common, "&lt;script&gt;alert('file')&lt;/script&gt;"))
      << common;
  EXPECT_FALSE(Contains(common, "<script>alert('file')"));
}

// The compare page: the breaking findings at a level, each linked to its line (a deletion to the
// line in the version it was deleted from), and the files' diff.
TEST_F(Ui, ComparePageShowsTheBreakingFindingsLinkedToTheirLinesAndTheDiff) {
  auto none = http_->Put("/modules/order/compatibility", "{\"compatibility\": \"NONE\"}",
                         "application/json");
  ASSERT_TRUE(none);
  ASSERT_EQ(none->status, 200) << none->body;
  FileSet without = kOrders;
  std::string& text = without["order/order.proto"];
  text.erase(text.find("  string shipping_address = 2;\n"),
             std::string("  string shipping_address = 2;\n").size());
  MustPush("order", "v1.2.0", without, {"common@v1.0.0"});

  std::string page = Page("/ui/modules/order/versions/v1.0.0/compare/v1.2.0?level=FILE");
  EXPECT_TRUE(Contains(page, "FIELD_NO_DELETE")) << page;
  // Deleted from line 7 of v1.0.0's file.
  EXPECT_TRUE(Contains(page, "/ui/modules/order/versions/v1.0.0/files/order/order.proto#L7"))
      << page;
  EXPECT_TRUE(Contains(page, "<span class=\"del\">-  string shipping_address = 2;</span>")) << page;
  // Each level is a link away; the one shown is marked.
  EXPECT_TRUE(Contains(page, "<strong aria-current=\"page\">FILE</strong>"));
  EXPECT_TRUE(Contains(page, "/ui/modules/order/versions/v1.0.0/compare/v1.2.0?level=WIRE\""));
  // The version page links to the comparison with the version before it.
  EXPECT_TRUE(Contains(Page("/ui/modules/order/versions/v1.2.0"),
                       "/ui/modules/order/versions/v1.1.0-rc.1/compare/v1.2.0"));
  // Nothing breaks between identical versions; unknown versions and levels are HTML errors.
  EXPECT_TRUE(Contains(Page("/ui/modules/order/versions/v1.0.0/compare/v1.1.0-rc.1"), "None at"));
  Page("/ui/modules/order/versions/v1.0.0/compare/v9.0.0", 404);
  Page("/ui/modules/order/versions/v1.0.0/compare/v1.2.0?level=LOOSE", 400);
}

// The dependency graph: an SVG drawn on the server, each version a link, the edges as a list too.
TEST_F(Ui, GraphPageDrawsTheVersionsItsPinsReach) {
  std::string version = Page("/ui/modules/order/versions/v1.0.0");
  EXPECT_TRUE(Contains(version, "/ui/modules/order/versions/v1.0.0/graph"));
  std::string page = Page("/ui/modules/order/versions/v1.0.0/graph");
  EXPECT_TRUE(Contains(page, "<svg class=\"graph\"")) << page;
  EXPECT_TRUE(Contains(page, "<a href=\"/ui/modules/common/versions/v1.0.0\"><rect")) << page;
  EXPECT_TRUE(Contains(page, "<line ")) << page;
  EXPECT_TRUE(Contains(page,
                       ">order@v1.0.0</a> → <a href=\"/ui/modules/common/versions/v1.0.0\">"
                       "common@v1.0.0</a>"))
      << page;
  // A version without dependencies says so.
  EXPECT_TRUE(Contains(Page("/ui/modules/common/versions/v1.0.0/graph"), "depends on no other"));
  Page("/ui/modules/order/versions/v7.0.0/graph", 404);
}

TEST_F(Ui, FilePageHighlightsTheSourceWithLineAnchorsAndLinksTheRawFile) {
  std::string page = Page("/ui/modules/order/versions/v1.0.0/files/order/order.proto");
  EXPECT_TRUE(Contains(page, "<span class=\"line\" id=\"L7\"><a class=\"ln\" href=\"#L7\">7</a>"));
  EXPECT_TRUE(Contains(page, "<span class=\"kw\">message</span> Order {"));
  EXPECT_TRUE(Contains(page, "<span class=\"str\">&quot;common/types.proto&quot;</span>"));
  EXPECT_TRUE(Contains(page, "href=\"/modules/order/versions/v1.0.0/files/order/order.proto\""));
}

// Below its source, a .proto file's page documents the types it defines; a type of a small
// version's other file or module links to that version page, which documents it.
TEST_F(Ui, FilePageDocumentsItsOwnTypesBelowTheSource) {
  std::string page = Page("/ui/modules/order/versions/v1.0.0/files/order/order.proto");
  EXPECT_TRUE(Contains(page, "<a href=\"#types\">Types defined here</a>"));
  EXPECT_TRUE(Contains(page, "<section id=\"types\""));
  EXPECT_TRUE(Contains(page, "<section class=\"schema-message\" id=\"order.Order\">")) << page;
  EXPECT_TRUE(Contains(page, "href=\"/ui/modules/common/versions/v1.0.0#common.Id\""));
  EXPECT_FALSE(Contains(page, "id=\"common.Id\""));
}

TEST_F(Ui, HostileDescriptionsAndFileContentsAreEscaped) {
  for (const std::string& path : {std::string("/"), std::string("/ui/modules/common"),
                                  std::string("/ui/modules/common/versions/v1.0.0"),
                                  std::string("/ui/modules/common/versions/v1.0.0/files/"
                                              "common/types.proto"),
                                  std::string("/ui/search?q=%3Cscript%3E")}) {
    SCOPED_TRACE(path);
    std::string page = Page(path);
    EXPECT_FALSE(Contains(page, "<script>alert")) << page;
    EXPECT_FALSE(Contains(page, "<script>\"")) << page;
  }
  EXPECT_TRUE(Contains(Page("/ui/modules/common"),
                       "Shared &lt;script&gt;alert(&quot;desc&quot;)&lt;/script&gt; &amp; types"));
  EXPECT_TRUE(Contains(Page("/ui/modules/common/versions/v1.0.0/files/common/types.proto"),
                       "&lt;script&gt;alert(&#39;file&#39;)&lt;/script&gt;"));
  EXPECT_TRUE(
      Contains(Page("/ui/search?q=%22%3E%3Cscript%3E"), "value=\"&quot;&gt;&lt;script&gt;\""));
}

TEST_F(Ui, EveryLinkOnEveryPageResolves) {
  std::set<std::string> seen;
  std::vector<std::string> queue = {"/", "/ui/search?q=Id"};
  // Downloads compile on request (their own tests cover them); the rest must answer 200.
  while (!queue.empty()) {
    std::string path = queue.back();
    queue.pop_back();
    if (!seen.insert(path).second) continue;
    if (Contains(path, "/download/")) continue;
    auto res = http_->Get(path.c_str());
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
    if (res->get_header_value("Content-Type") != "text/html; charset=utf-8") continue;
    for (const std::string& link : LocalLinks(res->body)) queue.push_back(link);
  }
  EXPECT_TRUE(seen.count("/ui/modules/common/versions/v1.0.0/files/common/types.proto"));
  EXPECT_TRUE(seen.count("/ui/modules/order/versions/v1.1.0-rc.1"));
  EXPECT_TRUE(seen.count("/modules/order/versions/v1.0.0/download/cpp"));
}

TEST_F(Ui, UnknownModulesVersionsFilesAndPathsGetAnHtml404) {
  for (const std::string& path :
       {std::string("/ui/modules/nosuch"), std::string("/ui/modules/order/versions/v9.9.9"),
        std::string("/ui/modules/order/versions/v1.0.0/files/order/nosuch.proto"),
        std::string("/ui/nosuch"), std::string("/ui/modules/UPPER")}) {
    SCOPED_TRACE(path);
    std::string page = Page(path, 404);
    EXPECT_TRUE(Contains(page, "<h1>Not found</h1>")) << page;
  }
  // The REST API keeps its JSON errors.
  ExpectJsonError(http_->Get("/modules/nosuch"), 404);
}

TEST_F(Ui, SearchFindsAFieldInAnotherModuleAndLinksToItsLine) {
  std::string page = Page("/ui/search?q=shipping_address");
  const std::string href = "/ui/modules/order/versions/v1.0.0/files/order/order.proto#L7";
  EXPECT_TRUE(Contains(page, "<a href=\"" + href + "\">order.Order.shipping_address</a>")) << page;
  EXPECT_TRUE(Contains(page, "<td>field</td>"));
  EXPECT_TRUE(Contains(page, "value=\"shipping_address\""));
  EXPECT_TRUE(Contains(Page(href.substr(0, href.find('#'))), "id=\"L7\""));
  EXPECT_TRUE(Contains(page, "href=\"/ui/search?q=shipping_address&amp;type=field\""));
  std::string fields = Page("/ui/search?q=shipping_address&type=field");
  EXPECT_TRUE(Contains(fields, "order.Order.shipping_address"));
  EXPECT_TRUE(Contains(fields, "<strong aria-current=\"page\">field</strong>"));
  EXPECT_FALSE(Contains(Page("/ui/search?q=shipping_address&type=enum"), "<td>field</td>"));
  EXPECT_TRUE(Contains(Page("/ui/search"), "<h1>Search</h1>"));
  Page("/ui/search?q=x&type=nosuchkind", 400);
}

TEST_F(Ui, AssetsAreServedWithTheirHashAsETagAndCachedForAYear) {
  std::string home = Page("/");
  std::smatch css;
  ASSERT_TRUE(
      std::regex_search(home, css, std::regex("/ui/assets/spoke\\.css\\?v=([0-9a-f]{16})")));
  auto res = http_->Get(css[0].str().c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(res->get_header_value("ETag"), "\"" + css[1].str() + "\"");
  EXPECT_EQ(res->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
  auto again = http_->Get("/ui/assets/spoke.css", {{"If-None-Match", "\"" + css[1].str() + "\""}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  auto js = http_->Get("/ui/assets/spoke.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  Page("/ui/assets/nosuch.js", 404);
}

// Every page carries a strong ETag and Cache-Control: no-cache, and a GET naming that ETag gets a
// 304 with no body. The validator follows the content: a new version changes the OLD version's
// page (its switcher lists the new one), the module page and the home page, but not a file page
// of the old version. Error pages have none.
TEST_F(Ui, PagesHaveETagsThatAnswer304AndChangeWithTheirContent) {
  const std::vector<std::string> paths = {
      "/",
      "/ui/modules/order",
      "/ui/modules/order/versions/v1.0.0",
      "/ui/modules/order/versions/latest",
      "/ui/modules/order/versions/v1.0.0/files/order/order.proto",
      "/ui/modules/order/versions/latest/files/order/order.proto",
      "/ui/modules/order/versions/v1.0.0/compare/v1.1.0-rc.1",
      "/ui/modules/order/versions/v1.0.0/graph",
      "/ui/search?q=Id"};
  std::map<std::string, std::string> etags;
  for (const std::string& path : paths) {
    SCOPED_TRACE(path);
    auto res = http_->Get(path.c_str());
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    const std::string etag = res->get_header_value("ETag");
    EXPECT_TRUE(std::regex_match(etag, std::regex("\"[0-9a-f]{16}\""))) << etag;
    EXPECT_EQ(res->get_header_value("Cache-Control"), "no-cache");
    auto again = http_->Get(path.c_str(), {{"If-None-Match", etag}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_EQ(again->body, "");
    EXPECT_EQ(again->get_header_value("ETag"), etag);
    auto other = http_->Get(path.c_str(), {{"If-None-Match", "\"0000000000000000\""}});
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 200);
    EXPECT_EQ(other->body, res->body);
    etags[path] = etag;
  }

  MustPush("order", "v1.2.0", kOrders, {"common@v1.0.0"});
  auto old_version = http_->Get("/ui/modules/order/versions/v1.0.0",
                                {{"If-None-Match", etags["/ui/modules/order/versions/v1.0.0"]}});
  ASSERT_TRUE(old_version);
  EXPECT_EQ(old_version->status, 200);
  EXPECT_NE(old_version->get_header_value("ETag"), etags["/ui/modules/order/versions/v1.0.0"]);
  EXPECT_TRUE(Contains(old_version->body, "<a href=\"/ui/modules/order/versions/v1.2.0\">"));
  // "latest" is now v1.2.0: its file page too is another page, though the file is the same.
  for (const std::string path : {"/", "/ui/modules/order", "/ui/modules/order/versions/latest",
                                 "/ui/modules/order/versions/latest/files/order/order.proto"}) {
    auto res = http_->Get(path.c_str(), {{"If-None-Match", etags[path]}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << path;
    EXPECT_TRUE(Contains(res->body, "v1.2.0")) << path;
  }
  const std::string file = "/ui/modules/order/versions/v1.0.0/files/order/order.proto";
  auto same = http_->Get(file.c_str(), {{"If-None-Match", etags[file]}});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 304);

  for (const std::string path : {"/ui/modules/nosuch", "/ui/nosuch",
                                 "/ui/modules/order/versions/v1.0.0/files/order/nosuch.proto"}) {
    auto res = http_->Get(path.c_str(), {{"If-None-Match", "*"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_FALSE(res->has_header("ETag")) << path;
  }
}

// A file page shown without its types (here a version that does not compile, pushed with
// --validate none) says why and has no ETag: it is rendered again next time.
TEST_F(Ui, AFilePageWithoutItsTypesHasNoETag) {
  server_->Stop();
  StartServer({"--validate", "none"});
  MustPush("broken", "v1.0.0",
           {{"broken/b.proto", "syntax = \"proto3\";\npackage b;\nmessage B { Nope n = 1; }\n"}});
  auto res = http_->Get("/ui/modules/broken/versions/v1.0.0/files/broken/b.proto");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(Contains(res->body, "The types cannot be shown")) << res->body;
  EXPECT_TRUE(Contains(res->body, "<span class=\"kw\">message</span> B"));
  EXPECT_FALSE(res->has_header("ETag"));
}

TEST_F(Ui, AReadOnlyServerServesTheSamePages) {
  const std::string home = Page("/");
  const std::string file = Page("/ui/modules/common/versions/v1.0.0/files/common/types.proto");
  server_->Stop();
  server_ = ServerProcess::Start({work_.Sub("storage"), {"--read-only"}, {}});
  ASSERT_TRUE(server_);
  http_ = HttpClient(server_->port());
  EXPECT_EQ(Page("/"), home);
  EXPECT_EQ(Page("/ui/modules/common/versions/v1.0.0/files/common/types.proto"), file);
  EXPECT_TRUE(Contains(Page("/ui/modules/order"), "<h1>order</h1>"));
  EXPECT_TRUE(Contains(Page("/ui/search?q=shipping_address"), "order.Order.shipping_address"));
}

}  // namespace
}  // namespace spoke::e2e
