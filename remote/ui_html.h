// The web UI's HTML: one escaping helper every page goes through, a small builder that escapes
// text by default, and the layout every page shares (header with the registry's name, search form
// and navigation; main; footer).
#ifndef SPOKE_REMOTE_UI_HTML_H_
#define SPOKE_REMOTE_UI_HTML_H_

#include <initializer_list>
#include <string>
#include <string_view>

#include "http_server.h"
#include "spoke/status.h"

namespace spoke::ui {

// Appends `text` with the five characters that matter in HTML text and in quoted attribute values
// (& < > " ') written as character references, so no text from a module (a name, a description,
// a file's content) can open a tag, end an attribute or start an entity.
void AppendEscaped(std::string* out, std::string_view text);
std::string Escape(std::string_view text);

// A path for an href: every byte except ASCII letters, digits, "-._~" and '/' percent-encoded
// (a file path may hold spaces, '#', '?' or '%', none of which may end up meaning something else).
std::string UrlPath(std::string_view path);
// A query value for an href: as UrlPath, '/' encoded too.
std::string UrlQueryValue(std::string_view value);

// Builds a fragment of HTML. Text() escapes, Raw() takes markup the caller wrote, so the one way
// to put a value from outside into a page is through Text() or an escaping overload.
class Html {
 public:
  Html& Raw(std::string_view markup) {
    out_.append(markup);
    return *this;
  }
  Html& Text(std::string_view text) {
    AppendEscaped(&out_, text);
    return *this;
  }
  // <a href="HREF">TEXT</a>, both escaped. `href` is a URL already built with UrlPath and
  // UrlQueryValue.
  Html& Link(std::string_view href, std::string_view text);
  // <tag>TEXT</tag>, TEXT escaped; `tag` is the caller's markup ("td", "code", "h1").
  Html& Element(std::string_view tag, std::string_view text);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// What a page puts into the shared layout.
struct Page {
  std::string title;  // text: the <title> (followed by " - Spoke") and nothing else
  std::string query;  // text: the header search box's value
  std::string main;   // HTML: the content of <main>
  std::string nav;    // HTML: breadcrumbs shown above main (may be empty)
};

// The whole document: doctype, head (charset, viewport, the CSS and the deferred JS by their
// hashed URLs), header, the page's nav and main, footer.
std::string RenderPage(const Page& page);

// Sends RenderPage(page) as a 200 text/html; charset=utf-8 with a strong ETag, the first 16 hex
// digits of the body's SHA-256, and Cache-Control: no-cache; or a 304 with no body when the
// request's If-None-Match names that ETag. The validator is the body's hash, so it changes whenever
// the page would (a new version in a switcher, an artifact's status): no copy is served stale.
void SendPage(const http::Request& req, http::Response& res, const Page& page);

// The ETag of a page that names its content without rendering it: the first 16 hex digits of the
// SHA-256 of BuildIdentity() and `parts`, each length-prefixed. The caller passes everything the
// body depends on besides this build's code (a version's tag id and a path); HandleETag with it
// answers a repeated request without the render, and SendPageWithETag sends the page otherwise.
std::string ContentETag(std::initializer_list<std::string_view> parts);
// Sends RenderPage(page) as a 200 text/html; charset=utf-8. REQUIRES: HandleETag(req, res, etag)
// ran for this response (it set ETag and Cache-Control) and returned false.
void SendPageWithETag(http::Response& res, const Page& page);

// Sends RenderPage(page) as text/html; charset=utf-8 with `http_status` and no validator: error
// pages, the sign-in page, a page shown without a part that failed (to be rendered again).
void SendUntaggedPage(http::Response& res, const Page& page, int http_status);

// Sends an HTML error page for `error` with the status HttpStatusFor gives it (404 for an unknown
// module, version or file) and the error's message, escaped.
void SendErrorPage(http::Response& res, const Status& error);

}  // namespace spoke::ui

#endif  // SPOKE_REMOTE_UI_HTML_H_
