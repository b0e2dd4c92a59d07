// The web UI's pages (routes_ui.cc registers them): each one a handler that reads the store or an
// index and sends a page built with ui_html.h, or an HTML error page.
#ifndef SPOKE_REMOTE_UI_PAGES_H_
#define SPOKE_REMOTE_UI_PAGES_H_

#include <string>

#include "routes.h"
#include "ui_html.h"

namespace spoke::ui {

// The UI's URLs (docs/api.md, "Web UI"); every value percent-encoded.
inline std::string ModuleHref(const std::string& module) {
  return "/ui/modules/" + UrlPath(module);
}
inline std::string VersionHref(const std::string& module, const std::string& version) {
  return ModuleHref(module) + "/versions/" + UrlPath(version);
}
inline std::string FileHref(const std::string& module, const std::string& version,
                            const std::string& path) {
  return VersionHref(module, version) + "/files/" + UrlPath(path);
}

// "2026-11-25" with the full RFC 3339 time as its title, in a <time> element.
std::string TimeHtml(int64_t seconds);

// GET /ui/modules/{module}: req.matches[1] is the module.
void ServeModulePage(const ServerContext& ctx, const http::Request& req, http::Response& res);
// GET /ui/modules/{module}/versions/{v}: matches[1] module, [2] version or "latest".
void ServeVersionPage(const ServerContext& ctx, const http::Request& req, http::Response& res);
// GET /ui/modules/{module}/versions/{v}/files/{path}: matches[3] the file's path.
void ServeFilePage(const ServerContext& ctx, const http::Request& req, http::Response& res);
// GET /ui/modules/{module}/versions/{from}/compare/{to}[?level=L]: matches[2] from, [3] to; the
// breaking-change findings at level L (the module's own by default) and the files' diff.
void ServeComparePage(const ServerContext& ctx, const http::Request& req, http::Response& res);
// GET /ui/modules/{module}/versions/{v}/graph: every version the version's pins reach, as an SVG
// drawn on the server and as a list.
void ServeGraphPage(const ServerContext& ctx, const http::Request& req, http::Response& res);

}  // namespace spoke::ui

#endif  // SPOKE_REMOTE_UI_PAGES_H_
